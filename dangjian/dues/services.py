"""Dues writes: rule versions, bases, reductions, the monthly bill run, payments and arrears alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import fact_record
from dangjian.core.audit import audit, snapshot
from dangjian.core.errors import DomainError
from dangjian.core.scoping import is_global_admin, require_org_perm
from dangjian.orgs.models import Member, MemberStatus

from .models import DuesArrearsAlert, DuesBase, DuesBill, DuesPayment, DuesReduction, DuesRuleSet
from .periods import add_months, month_end, month_start, months_between
from .rules import CENT, DEFAULT_RULES, DuesQuote, quote, validate_rules

BACK_PAYMENT_MONTHS = 6  # 补交 covers at most 6 months
VOLUNTARY_FORWARD_THRESHOLD = Decimal("1000.00")  # a single voluntary payment ≥ 1000 goes whole to the centre


# --- Rule versions --------------------------------------------------------------------------


def ruleset_for(day: dt.date) -> DuesRuleSet:
    rs = DuesRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if rs is None:  # the migration installs the 2008 rules; this only guards an emptied table
        rs, _created = DuesRuleSet.objects.get_or_create(
            effective_from=dt.date(2008, 4, 1), defaults={"name": "中组发〔2008〕3号", "rules": DEFAULT_RULES}
        )
    return rs


def dues_quote(*, category: str, base: Decimal | None, on: dt.date | None = None) -> tuple[DuesQuote, DuesRuleSet]:
    rs = ruleset_for(on or timezone.localdate())
    return quote(category=category, base=base, rules=rs.rules), rs


@transaction.atomic
def ruleset_create(*, name: str, effective_from: dt.date, rules: dict[str, Any], acting_user: Any) -> DuesRuleSet:
    """A new rule version. Existing bases and bills keep the version they were computed under."""
    if not is_global_admin(acting_user):
        raise DomainError(_("Only a system administrator can change the dues rules."), status=404)
    errors = validate_rules(rules)
    if errors:
        raise DomainError(_("The rules are not valid."), errors)
    if DuesRuleSet.objects.filter(effective_from=effective_from).exists():
        raise DomainError(
            _("A rule version already starts on that date."),
            [{"field": "effective_from", "message": _("Already taken.")}],
        )
    rs = DuesRuleSet.objects.create(name=name, effective_from=effective_from, rules=rules, created_by=acting_user)
    audit(
        acting_user, "dues.ruleset_create", rs, after={"name": name, "effective_from": effective_from, "rules": rules}
    )
    return rs


# --- Bases and reductions -------------------------------------------------------------------


@transaction.atomic
def base_set(
    *,
    member: Member,
    year: int,
    from_month: int,
    category: str,
    base_amount: Decimal | None,
    acting_user: Any,
    source: str = DuesBase.Source.SECRETARY,
) -> DuesBase:
    """Set (or re-base from ``from_month``) a member's monthly dues; a branch write, confirmed at once."""
    require_org_perm(acting_user, member.org, "members.manage")
    return _base_write(
        member=member,
        year=year,
        from_month=from_month,
        category=category,
        base_amount=base_amount,
        acting_user=acting_user,
        source=source,
        state=DuesBase.State.CONFIRMED,
    )


@transaction.atomic
def base_declare(
    *, member: Member, year: int, from_month: int, category: str, base_amount: Decimal | None, acting_user: Any
) -> DuesBase:
    """The member declares their base; the secretary confirms it before it counts."""
    if member.user_id != getattr(acting_user, "pk", None):
        raise DomainError(_("Members declare only their own base."), status=404)
    return _base_write(
        member=member,
        year=year,
        from_month=from_month,
        category=category,
        base_amount=base_amount,
        acting_user=acting_user,
        source=DuesBase.Source.DECLARED,
        state=DuesBase.State.PENDING,
    )


def _base_write(
    *,
    member: Member,
    year: int,
    from_month: int,
    category: str,
    base_amount: Decimal | None,
    acting_user: Any,
    source: str,
    state: str,
) -> DuesBase:
    if not 1 <= from_month <= 12:
        raise DomainError(_("The month must be between 1 and 12."), [{"field": "from_month", "message": _("1 to 12.")}])
    if not 2000 <= year <= 2100:
        raise DomainError(_("Not a plausible year."), [{"field": "year", "message": _("Not a plausible year.")}])
    q, rs = dues_quote(category=category, base=base_amount, on=dt.date(year, from_month, 1))
    if (
        DuesBill.objects.filter(member=member, period__gte=dt.date(year, from_month, 1))
        .exclude(status=DuesBill.Status.UNPAID)
        .exists()
    ):
        raise DomainError(
            _("Months from then on are already paid: re-base from a later month."),
            [{"field": "from_month", "message": _("Already paid.")}],
        )
    existing = DuesBase.objects.filter(member=member, year=year, from_month=from_month).first()
    before = snapshot(existing, ["category", "base_amount", "monthly_amount", "state"]) if existing else None
    obj, _created = DuesBase.objects.update_or_create(
        member=member,
        year=year,
        from_month=from_month,
        defaults={
            "category": category,
            "base_amount": q.base,
            "rate": q.rate,
            "monthly_amount": q.monthly_amount,
            "rule_set": rs,
            "source": source,
            "state": state,
            "recorded_by": acting_user,
            "confirmed_by": acting_user if state == DuesBase.State.CONFIRMED else None,
        },
    )
    if state == DuesBase.State.CONFIRMED:
        _reprice_unpaid_bills(member=member, base=obj)
    audit(
        acting_user,
        "dues.base_set",
        member,
        before=before,
        after={
            "year": year,
            "from_month": from_month,
            "category": category,
            "base_amount": q.base,
            "monthly_amount": q.monthly_amount,
            "state": state,
        },
    )
    return obj


def _reprice_unpaid_bills(*, member: Member, base: DuesBase) -> None:
    """Unpaid bills from the re-base month on follow the new base (until a later base takes over)."""
    start = dt.date(base.year, base.from_month, 1)
    later = (
        DuesBase.objects.filter(member=member, state=DuesBase.State.CONFIRMED)
        .filter(Q(year__gt=base.year) | Q(year=base.year, from_month__gt=base.from_month))
        .order_by("year", "from_month")
        .first()
    )
    bills = DuesBill.objects.filter(member=member, status=DuesBill.Status.UNPAID, period__gte=start)
    if later:
        bills = bills.filter(period__lt=dt.date(later.year, later.from_month, 1))
    bills.update(amount=base.monthly_amount, base=base, rule_set=base.rule_set)


@transaction.atomic
def base_confirm(*, base: DuesBase, acting_user: Any) -> DuesBase:
    require_org_perm(acting_user, base.member.org, "members.manage")
    if base.state != DuesBase.State.PENDING:
        raise DomainError(_("This base is already confirmed."))
    base.state = DuesBase.State.CONFIRMED
    base.confirmed_by = acting_user
    base.save(update_fields=["state", "confirmed_by"])
    _reprice_unpaid_bills(member=base.member, base=base)
    audit(
        acting_user,
        "dues.base_confirm",
        base.member,
        after={"year": base.year, "from_month": base.from_month, "monthly_amount": base.monthly_amount},
    )
    return base


@transaction.atomic
def reduction_propose(
    *,
    member: Member,
    first_month: dt.date,
    last_month: dt.date,
    monthly_amount: Decimal,
    reason: str,
    decided_on: dt.date,
    acting_user: Any,
) -> DuesReduction:
    """The branch decides that a member in real difficulty pays less or nothing (0 = exemption)."""
    require_org_perm(acting_user, member.org, "members.manage")
    if last_month < first_month:
        raise DomainError(
            _("The last month is before the first."), [{"field": "last_month", "message": _("Before the first month.")}]
        )
    if monthly_amount < 0:
        raise DomainError(
            _("The amount cannot be negative."), [{"field": "monthly_amount", "message": _("Cannot be negative.")}]
        )
    if not reason.strip():
        raise DomainError(_("Give the reason."), [{"field": "reason", "message": _("This field is required.")}])
    obj = DuesReduction.objects.create(
        member=member,
        first_month=month_start(first_month),
        last_month=month_start(last_month),
        monthly_amount=monthly_amount.quantize(CENT),
        reason=reason,
        branch_decided_on=decided_on,
        branch_decided_by=acting_user,
    )
    audit(
        acting_user,
        "dues.reduction_propose",
        member,
        after={"first": obj.first_month, "last": obj.last_month, "amount": obj.monthly_amount},
    )
    return obj


@transaction.atomic
def reduction_decide(*, reduction: DuesReduction, approve: bool, acting_user: Any) -> DuesReduction:
    """The next-level committee approves or rejects; approval applies to unpaid bills in the range."""
    parent = reduction.member.org.get_parent()
    if parent is None:
        raise DomainError(_("There is no higher committee to approve this."))
    require_org_perm(acting_user, parent, "orgs.manage")
    if reduction.state != DuesReduction.State.PROPOSED:
        raise DomainError(_("This reduction was already decided."))
    reduction.state = DuesReduction.State.APPROVED if approve else DuesReduction.State.REJECTED
    reduction.approved_on = timezone.localdate()
    reduction.approved_by = acting_user
    reduction.save(update_fields=["state", "approved_on", "approved_by"])
    if approve:
        bills = DuesBill.objects.filter(
            member=reduction.member,
            status=DuesBill.Status.UNPAID,
            period__gte=reduction.first_month,
            period__lte=reduction.last_month,
        )
        bills.update(amount=reduction.monthly_amount)
        if reduction.monthly_amount == 0:
            bills.update(status=DuesBill.Status.EXEMPTED)
    audit(
        acting_user, "dues.reduction_decide", reduction.member, after={"approved": approve, "reduction": reduction.pk}
    )
    return reduction


# --- The monthly bill run -------------------------------------------------------------------

BILL_SQL = """
INSERT INTO {bill} (member_id, org_id, org_path, period, amount, base_id, rule_set_id, status, created_at)
SELECT m.id, m.org_id, m.org_path, %s,
       COALESCE(red.amount, eb.monthly_amount), eb.id, eb.rule_set_id,
       CASE WHEN COALESCE(red.amount, eb.monthly_amount) = 0 THEN 'exempted' ELSE 'unpaid' END, %s
FROM {member} m
JOIN (
    SELECT b.id, b.member_id, b.monthly_amount, b.rule_set_id,
           ROW_NUMBER() OVER (PARTITION BY b.member_id ORDER BY b.year DESC, b.from_month DESC) AS rn
    FROM {base} b
    WHERE b.state = 'confirmed' AND (b.year * 100 + b.from_month) <= %s
) eb ON eb.member_id = m.id AND eb.rn = 1
LEFT JOIN (
    SELECT r.member_id, MIN(r.monthly_amount) AS amount
    FROM {reduction} r
    WHERE r.state = 'approved' AND r.first_month <= %s AND r.last_month >= %s
    GROUP BY r.member_id
) red ON red.member_id = m.id
WHERE m.status IN ('full', 'probationary')
  AND (m.probationary_date IS NULL OR m.probationary_date <= %s)
  AND m.org_path LIKE %s
  AND NOT EXISTS (SELECT 1 FROM {bill} x WHERE x.member_id = m.id AND x.period = %s)
"""


def bills_generate(*, period: dt.date, org_path: str = "") -> int:
    """Create the month's bills for every paying member who has none yet: one INSERT … SELECT.

    Idempotent: a second run creates nothing. Probationary members pay from their admission month.
    """
    period = month_start(period)
    table = {
        m: connection.ops.quote_name(model._meta.db_table)
        for m, model in {"bill": DuesBill, "member": Member, "base": DuesBase, "reduction": DuesReduction}.items()
    }
    sql = BILL_SQL.format(**table)
    params: list[Any] = [
        period,
        timezone.now(),
        period.year * 100 + period.month,
        period,
        period,
        month_end(period),
        f"{org_path}%",
        period,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def members_missing_base(*, period: dt.date, org_path: str = "") -> int:
    """Paying members with no confirmed base for the month: they get no bill until the branch sets one."""
    ym = period.year * 100 + period.month
    with_base = (
        DuesBase.objects.filter(state=DuesBase.State.CONFIRMED)
        .annotate(ym=F("year") * 100 + F("from_month"))
        .filter(ym__lte=ym)
        .values("member_id")
    )
    return (
        Member.objects.filter(status__in=[MemberStatus.FULL, MemberStatus.PROBATIONARY], org_path__startswith=org_path)
        .exclude(pk__in=with_base)
        .count()
    )


# --- Payments -------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    member: Member,
    bills: list[DuesBill],
    method: str,
    paid_on: dt.date,
    acting_user: Any,
    external_ref: str = "",
    voluntary_amount: Decimal = Decimal("0.00"),
    branch_consent: bool = False,
    paid_by_other: str = "",
) -> DuesPayment:
    """Record money received for ``bills`` (and voluntary extra dues), by the branch.

    Several months at once, or paid by someone else, need the branch's consent; back-payment covers at most
    6 months; a single voluntary payment of 1000 yuan or more is flagged to be forwarded to the centre.
    """
    require_org_perm(acting_user, member.org, "members.manage")
    if method not in DuesPayment.Method.values:
        raise DomainError(_("Unknown payment method."), [{"field": "method", "message": _("Unknown payment method.")}])
    if method != DuesPayment.Method.CASH and not external_ref.strip():
        raise DomainError(
            _("Give the bank or platform reference."),
            [{"field": "external_ref", "message": _("This field is required.")}],
        )
    if paid_on > timezone.localdate():
        raise DomainError(
            _("The payment date cannot be in the future."), [{"field": "paid_on", "message": _("In the future.")}]
        )
    if voluntary_amount < 0:
        raise DomainError(
            _("The voluntary amount cannot be negative."),
            [{"field": "voluntary_amount", "message": _("Cannot be negative.")}],
        )
    bill_ids = [b.pk for b in bills]
    locked = list(DuesBill.objects.select_for_update().filter(pk__in=bill_ids, member=member).order_by("period"))
    if len(locked) != len(set(bill_ids)):
        raise DomainError(
            _("Some bills do not belong to this member."),
            [{"field": "bills", "message": _("Not this member's bills.")}],
        )
    if any(b.status != DuesBill.Status.UNPAID for b in locked):
        raise DomainError(
            _("Some of these months are already settled."), [{"field": "bills", "message": _("Already settled.")}]
        )
    if not locked and voluntary_amount == 0:
        raise DomainError(
            _("Choose the months to pay or a voluntary amount."), [{"field": "bills", "message": _("Nothing to pay.")}]
        )
    if (len(locked) > 1 or paid_by_other.strip()) and not branch_consent:
        raise DomainError(
            _("Paying several months at once or through someone else needs the branch's consent."),
            [{"field": "branch_consent", "message": _("Branch consent is required.")}],
        )
    current = month_start(paid_on)
    too_old = [b for b in locked if months_between(b.period, current) > BACK_PAYMENT_MONTHS]
    if too_old:
        raise DomainError(
            _(
                "Back-payment covers at most %(n)d months; %(m)s is too far back for the branch to accept without a decision."
            )
            % {"n": BACK_PAYMENT_MONTHS, "m": too_old[0].period.strftime("%Y-%m")},
            [{"field": "bills", "message": _("More than 6 months back.")}],
        )
    dues_amount = sum((b.amount for b in locked), Decimal("0.00"))
    payment = DuesPayment.objects.create(
        member=member,
        org=member.org,
        org_path=member.org_path,
        receipt_no=f"tmp-{timezone.now().timestamp()}-{member.pk}",
        method=method,
        external_ref=external_ref.strip(),
        paid_on=paid_on,
        dues_amount=dues_amount,
        voluntary_amount=voluntary_amount.quantize(CENT),
        forward_to_centre=voluntary_amount >= VOLUNTARY_FORWARD_THRESHOLD,
        branch_consent=branch_consent,
        paid_by_other=paid_by_other.strip(),
        recorded_by=acting_user,
    )
    payment.receipt_no = f"R{paid_on:%Y%m%d}{payment.pk:08d}"
    payment.save(update_fields=["receipt_no"])
    now = timezone.now()
    DuesBill.objects.filter(pk__in=[b.pk for b in locked]).update(
        status=DuesBill.Status.PAID, paid_at=now, payment=payment
    )
    for b in locked:
        if paid_on <= month_end(b.period):
            fact_record(member=member, kind=FactKind.DUES_PAID_ON_TIME, quantity=1, source=b)
    audit(
        acting_user,
        "dues.payment",
        member,
        after={
            "receipt": payment.receipt_no,
            "months": [b.period.strftime("%Y-%m") for b in locked],
            "dues": dues_amount,
            "voluntary": payment.voluntary_amount,
            "method": method,
            "ref": payment.external_ref,
        },
    )
    return payment


def dues_paid_up_to(*, member: Member, month: dt.date) -> bool:
    """For transfers: no unpaid bill up to and including ``month``."""
    return not DuesBill.objects.filter(
        member=member, status=DuesBill.Status.UNPAID, period__lte=month_start(month)
    ).exists()


# --- Arrears --------------------------------------------------------------------------------


def arrears_counts(*, as_of: dt.date, org_path: str = "") -> list[dict[str, Any]]:
    """Consecutive unpaid months per member up to ``as_of``: unpaid bills after the last settled one.

    One GROUP BY with a correlated subquery; rows ``{"member_id", "months", "since"}``.
    """
    last_settled = Subquery(
        DuesBill.objects.filter(member=OuterRef("member"), period__lte=month_start(as_of))
        .exclude(status=DuesBill.Status.UNPAID)
        .order_by("-period")
        .values("period")[:1]
    )
    rows: Any = (
        DuesBill.objects.filter(
            status=DuesBill.Status.UNPAID, period__lte=month_start(as_of), org_path__startswith=org_path
        )
        .annotate(last_settled=last_settled)
        .filter(Q(last_settled__isnull=True) | Q(period__gt=F("last_settled")))
        .values("member_id")
        .annotate(months=Count("id"), since=Min("period"))
        .order_by("-months", "member_id")
    )
    return list(rows)


ALERT_LEVELS = [
    DuesArrearsAlert.Level.FLAG,
    DuesArrearsAlert.Level.ESCALATE_COMMITTEE,
    DuesArrearsAlert.Level.WARN_SECRETARY,
    DuesArrearsAlert.Level.REMIND_MEMBER,
]


def arrears_alert(*, as_of: dt.date) -> dict[int, int]:
    """Send the month's arrears alerts once: member at 1 month, secretary at 3, committee at 5, flag at 6."""
    from dangjian.accounts.models import OrgRole
    from dangjian.notices.services import notify

    period = month_start(as_of)
    rows = arrears_counts(as_of=as_of)
    sent: dict[int, int] = {}
    members = {
        m.pk: m for m in Member.objects.filter(pk__in=[r["member_id"] for r in rows]).select_related("org", "user")
    }
    done = set(DuesArrearsAlert.objects.filter(period=period).values_list("member_id", "level"))
    for row in rows:
        level = next((lv for lv in ALERT_LEVELS if row["months"] >= lv), None)
        member = members.get(row["member_id"])
        if level is None or member is None or (member.pk, int(level)) in done:
            continue
        with transaction.atomic():
            DuesArrearsAlert.objects.create(member=member, period=period, level=level)
            title = _("%(name)s has not paid dues for %(n)d months (since %(since)s)") % {
                "name": member.name,
                "n": row["months"],
                "since": row["since"].strftime("%Y-%m"),
            }
            if level == DuesArrearsAlert.Level.REMIND_MEMBER:
                recipients = [member.user] if member.user else []
                title = _("Reminder: your Party dues for %(since)s are unpaid") % {
                    "since": row["since"].strftime("%Y-%m")
                }
            else:
                org = (
                    member.org
                    if level in (DuesArrearsAlert.Level.WARN_SECRETARY, DuesArrearsAlert.Level.FLAG)
                    else (member.org.get_parent() or member.org)
                )
                recipients = [
                    r.user for r in OrgRole.objects.filter(org=org, ended_at__isnull=True).select_related("user")
                ]
                if level == DuesArrearsAlert.Level.FLAG:
                    title = _("%(name)s: 6 consecutive months unpaid — the branch must decide (自行脱党 review)") % {
                        "name": member.name
                    }
            notify(recipients=recipients, title=title, url="/dues/", kind=f"dues.arrears.{int(level)}")
        sent[int(level)] = sent.get(int(level), 0) + 1
    return sent


def next_period(period: dt.date) -> dt.date:
    return add_months(period, 1)
