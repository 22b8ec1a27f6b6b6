"""Member filters beyond search (gender, age band, education, join year) and statistics for a scope —
each count one GROUP BY over the scoped member rows, never a loop over members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Member, MemberStatus

# Age bands used by Party statistics reports (党内统计): ≤35, 36–45, 46–55, 56–60, over 60.
AGE_BANDS: list[tuple[str, Any, int, int | None]] = [
    ("35-", gettext_lazy("35 and under"), 0, 35),
    ("36-45", gettext_lazy("36 to 45"), 36, 45),
    ("46-55", gettext_lazy("46 to 55"), 46, 55),
    ("56-60", gettext_lazy("56 to 60"), 56, 60),
    ("61+", gettext_lazy("Over 60"), 61, None),
]
PARTY_AGE_BANDS: list[tuple[str, Any, int, int | None]] = [
    ("0-5", gettext_lazy("Under 5 years"), 0, 4),
    ("5-10", gettext_lazy("5 to 9 years"), 5, 9),
    ("10-20", gettext_lazy("10 to 19 years"), 10, 19),
    ("20-30", gettext_lazy("20 to 29 years"), 20, 29),
    ("30+", gettext_lazy("30 years or more"), 30, None),
]


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_band_q(
    code: str,
    field: str = "birth_date",
    today: dt.date | None = None,
    bands: list[tuple[str, Any, int, int | None]] | None = None,
) -> Q:
    """People whose age in whole years (on ``today``) falls in the band: a range on the date column (indexable)."""
    today = today or timezone.localdate()
    for key, _label, low, high in bands or AGE_BANDS:
        if key == code:
            q = Q(**{f"{field}__lte": _years_ago(today, low)})
            if high is not None:
                q &= Q(**{f"{field}__gt": _years_ago(today, high + 1)})
            return q
    return Q()


def apply_filters(
    qs: QuerySet[Member], *, gender: str = "", age: str = "", education: str = "", join_year: int | None = None
) -> QuerySet[Member]:
    if gender in Member.Gender.values:
        qs = qs.filter(gender=gender)
    if age in {b[0] for b in AGE_BANDS}:
        qs = qs.filter(age_band_q(age))
    if education in Member.Education.values:
        qs = qs.filter(education=education)
    if join_year:
        qs = qs.filter(probationary_date__year=join_year)
    return qs


@dataclass
class Breakdown:
    title: str
    rows: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _label, n in self.rows)


def statistics(qs: QuerySet[Member], today: dt.date | None = None) -> list[Breakdown]:
    """Counts by status, gender, age band, education and Party age for the members in ``qs``."""
    today = today or timezone.localdate()
    active = qs.filter(status__in=[MemberStatus.FULL, MemberStatus.PROBATIONARY])
    status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    gender = dict(active.values_list("gender").annotate(n=Count("id")).order_by())
    education = dict(active.values_list("education").annotate(n=Count("id")).order_by())
    ages = active.aggregate(**{key: Count("id", filter=age_band_q(key, today=today)) for key, *_rest in AGE_BANDS})
    party = active.aggregate(
        **{
            key: Count("id", filter=age_band_q(key, "probationary_date", today, PARTY_AGE_BANDS))
            for key, *_rest in PARTY_AGE_BANDS
        }
    )
    return [
        Breakdown(
            _("Party status"),
            [(str(MemberStatus(s).label), status.get(s, 0)) for s in MemberStatus.values if status.get(s)],
        ),
        Breakdown(_("Gender"), [(str(Member.Gender(g).label), gender.get(g, 0)) for g in Member.Gender.values]),
        Breakdown(_("Age"), [(str(label), ages[key]) for key, label, *_r in AGE_BANDS]),
        Breakdown(
            _("Education"),
            [(str(Member.Education(e).label), education.get(e, 0)) for e in Member.Education.values if education.get(e)]
            + ([(_("Not recorded"), education[""])] if education.get("") else []),
        ),
        Breakdown(_("Party age"), [(str(label), party[key]) for key, label, *_r in PARTY_AGE_BANDS]),
    ]


def join_years(qs: QuerySet[Member]) -> list[int]:
    return sorted(
        (
            y
            for y in qs.filter(probationary_date__isnull=False)
            .annotate(y=ExtractYear("probationary_date"))
            .values_list("y", flat=True)
            .distinct()
            if y
        ),
        reverse=True,
    )
