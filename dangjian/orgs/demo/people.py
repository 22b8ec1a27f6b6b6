"""Generators for the demo people: names, identity numbers, phones, addresses and a consistent Party record.

Everything is drawn from a ``random.Random`` that the caller seeds per branch, so a branch's members are
the same whatever the chunk size, and nothing here touches the database.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field
from itertools import accumulate

from . import names

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

# Party status mix of an SOE (fractions); the terminal ones are small on purpose.
STATUS_MIX: list[tuple[str, float]] = [
    ("full", 0.85),
    ("probationary", 0.05),
    ("candidate", 0.03),
    ("activist", 0.03),
    ("applicant", 0.02),
    ("transferred_out", 0.01),
    ("suspended", 0.004),
    ("deceased", 0.004),
    ("removed", 0.002),
]
# Youngest age (years) at which each status can carry a complete, rule-abiding history (see key_dates()).
MIN_AGE = {"applicant": 19, "activist": 21, "candidate": 22, "probationary": 22}
MIN_AGE_FULL = 24
ACTIVE = ("full", "probationary")
PRESENT = ("full", "probationary", "candidate", "activist", "applicant")

REASONS = {
    "applicant": "递交入党申请书",
    "activist": "确定为入党积极分子",
    "candidate": "确定为发展对象",
    "probationary": "支部党员大会接收为预备党员",
    "full": "预备期满，按期转为正式党员",
    "suspended": "失去联系超过六个月，停止党籍",
    "removed": "自行脱党，予以除名",
    "deceased": "因病逝世",
    "transferred_out": "工作调动，组织关系转出",
}


def id_check_digit(first17: str) -> str:
    """GB 11643 check character of a resident ID number."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _cum(pairs: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


SURNAME_VALUES, SURNAME_CUM = _cum(names.SURNAMES)
ETHNIC_VALUES, ETHNIC_CUM = _cum(names.ETHNICITIES)
EDU_VALUES, EDU_CUM = _cum(names.EDUCATION)
STATUS_VALUES, STATUS_CUM = _cum(STATUS_MIX)
ALL_DISTRICTS = [(r, d) for r, region in enumerate(names.REGIONS) for d in range(len(region[3]))]


def pick(rng: random.Random, values: list[str], cum: list[float]) -> str:
    return values[bisect.bisect_right(cum, rng.random() * cum[-1])]


@dataclass
class Person:
    """One member record plus the history rows that go with it (member ids are filled in by the seeder)."""

    name: str
    gender: str
    ethnicity: str
    birth: dt.date
    id_number: str
    phone: str
    address: str
    education: str
    hire_date: dt.date
    status: str
    application_date: dt.date | None = None
    activist_date: dt.date | None = None
    candidate_date: dt.date | None = None
    probationary_date: dt.date | None = None
    full_date: dt.date | None = None
    end_date: dt.date | None = None  # suspended / removed / deceased / transferred out
    is_mobile: bool = False
    mobile_since: dt.date | None = None
    mobile_whereabouts: str = ""
    out_of_contact_since: dt.date | None = None
    job_title: str = ""
    rewards: list[tuple[str, str, dt.date]] = field(default_factory=list)  # (kind, title, issued_on)

    def status_history(self) -> list[tuple[str, str, dt.date]]:
        """(from, to, effective_on) for every key date, in order."""
        steps = [
            ("applicant", self.application_date),
            ("activist", self.activist_date),
            ("candidate", self.candidate_date),
            ("probationary", self.probationary_date),
            ("full", self.full_date),
        ]
        out: list[tuple[str, str, dt.date]] = []
        prev = ""
        for status, date in steps:
            if date is not None:
                out.append((prev, status, date))
                prev = status
        if self.end_date is not None:
            out.append((prev, self.status, self.end_date))
        return out


class PeopleGenerator:
    """Draws people for one org. ``used_ids`` / ``used_phones`` keep identity numbers and phones unique."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.t = today.toordinal()
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self._mixes: dict[tuple[int, int], tuple[list[str], list[float]]] = {}
        self.birth_max = min(dt.date(2003, 12, 31).toordinal(), self._years_ago(18))
        self.birth_min = dt.date(1960, 1, 1).toordinal()

    def _years_ago(self, years: float) -> int:
        return self.t - round(years * 365.25)

    # --- identity ---------------------------------------------------------------------------

    def name(self, rng: random.Random, gender: str) -> str:
        surname = pick(rng, SURNAME_VALUES, SURNAME_CUM)
        chars = names.MALE_CHARS if gender == "M" else names.FEMALE_CHARS
        n = 1 if rng.random() < 0.22 else 2
        given = "".join(rng.choice(names.NEUTRAL_CHARS if rng.random() < 0.12 else chars) for _ in range(n))
        return surname + given

    def id_number(self, rng: random.Random, region: int, birth: dt.date, gender: str) -> str:
        for _ in range(50):
            if rng.random() < 0.6:
                districts = names.REGIONS[region][3]
                code = districts[rng.randrange(len(districts))][1]
            else:
                r, d = ALL_DISTRICTS[rng.randrange(len(ALL_DISTRICTS))]
                code = names.REGIONS[r][3][d][1]
            seq = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)  # odd for men, even for women
            first17 = f"{code}{birth:%Y%m%d}{seq:03d}"
            value = first17 + id_check_digit(first17)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value
        raise RuntimeError("could not draw a unique ID number")

    def phone(self, rng: random.Random) -> str:
        while True:
            value = rng.choice(names.PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            if value not in self.used_phones:
                self.used_phones.add(value)
                return value

    def address(self, rng: random.Random, region: int) -> str:
        province, city, municipality, districts = names.REGIONS[region]
        district = districts[rng.randrange(len(districts))][0]
        place = province if municipality else f"{province}{city}市"
        return (
            f"{place}{district}{rng.choice(names.STREETS)}{rng.randint(1, 399)}号"
            f"{rng.choice(names.COMPOUNDS)}{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 32)}{rng.randint(1, 4):02d}室"
        )

    # --- a person ---------------------------------------------------------------------------

    def status_mix(self, size: int, forced_full: int) -> tuple[list[str], list[float]]:
        """Weights for the unforced positions of a branch so that the branch as a whole keeps STATUS_MIX."""
        key = (size, forced_full)
        got = self._mixes.get(key)
        if got is None:
            free = size - forced_full
            target = dict(STATUS_MIX)
            if free <= 0:
                got = _cum(STATUS_MIX)
            else:
                w_full = max(0.0, (target["full"] * size - forced_full) / free)
                scale = (1.0 - w_full) / (1.0 - target["full"]) if w_full < 1 else 0.0
                got = _cum([(s, w_full if s == "full" else w * scale) for s, w in STATUS_MIX])
            self._mixes[key] = got
        return got

    def person(
        self,
        rng: random.Random,
        *,
        region: int,
        titles: list[str],
        status: str | None,
        mix: tuple[list[str], list[float]] | None = None,
    ) -> Person:
        t = self.t
        status = status or pick(rng, *(mix or (STATUS_VALUES, STATUS_CUM)))
        gender = "F" if rng.random() < (0.38 if status not in ACTIVE else 0.3) else "M"
        if status in MIN_AGE:  # the pipeline: mostly young
            hi = min(self.birth_max, self._years_ago(MIN_AGE[status]))
            lo = max(self.birth_min, self._years_ago(40))
            birth_o = round(rng.triangular(lo, hi, hi - 6 * 365))
        else:
            hi = min(self.birth_max, self._years_ago(MIN_AGE_FULL))
            lo = self.birth_min
            mode = max(lo, min(hi, dt.date(1984, 1, 1).toordinal()))
            birth_o = round(rng.triangular(lo, hi, mode))
        birth = dt.date.fromordinal(birth_o)
        education = pick(rng, EDU_VALUES, EDU_CUM)
        leave_age = max(18, names.EDUCATION_LEAVING_AGE[education])
        hire_o = birth_o + round((leave_age + rng.random() * 5) * 365.25)
        hire_o = max(dt.date(1978, 3, 1).toordinal(), min(hire_o, t - 30))
        p = Person(
            name=self.name(rng, gender),
            gender=gender,
            ethnicity=pick(rng, ETHNIC_VALUES, ETHNIC_CUM),
            birth=birth,
            id_number=self.id_number(rng, region, birth, gender),
            phone=self.phone(rng),
            address=self.address(rng, region),
            education=education,
            hire_date=dt.date.fromordinal(hire_o),
            status=status,
            job_title=rng.choice(titles),
        )
        self.key_dates(rng, p, birth_o)
        self.extras(rng, p, region)
        return p

    def key_dates(self, rng: random.Random, p: Person, birth_o: int) -> None:
        """application < activist (≥ 1 month) < candidate (≥ 1 year) < probationary < full (≈ 1 year), all after 18."""
        t = self.t
        adult = birth_o + round(18 * 365.25) + 1
        gap_app = rng.randint(30, 300)  # application → activist
        gap_act = rng.randint(366, 540)  # activist → candidate (at least a year of training)
        gap_cand = rng.randint(60, 240)  # candidate → probationary
        status = p.status
        if status == "applicant":
            app = rng.randint(max(adult, t - 330), t - 5)
            p.application_date = dt.date.fromordinal(app)
            return
        if status == "activist":
            act = rng.randint(max(adult + gap_app, t - 700), t - 10)
            p.activist_date, p.application_date = dt.date.fromordinal(act), dt.date.fromordinal(act - gap_app)
            return
        if status == "candidate":
            cand = rng.randint(max(adult + gap_app + gap_act, t - 330), t - 10)
        elif status == "probationary":
            prob = rng.randint(max(adult + gap_app + gap_act + gap_cand, t - 360), t - 7)
            cand = prob - gap_cand
            p.probationary_date = dt.date.fromordinal(prob)
        else:  # full, and every status that went through full membership
            extended = rng.random() < 0.03  # probation extended by 6–12 months
            to_full = 365 + rng.randint(0, 75) + (rng.randint(180, 365) if extended else 0)
            hi = t - to_full - (400 if status in ("suspended", "removed", "deceased", "transferred_out") else 1)
            lo = adult + gap_app + gap_act + gap_cand
            # Most joined within ~12 years of starting work or university; some much later.
            prob = (
                rng.randint(lo, max(lo, hi)) if rng.random() < 0.3 else min(max(lo, hi), lo + rng.randint(0, 12 * 365))
            )
            p.probationary_date = dt.date.fromordinal(prob)
            full = prob + to_full
            p.full_date = dt.date.fromordinal(full)
            cand = prob - gap_cand
            if status != "full":
                end_lo = max(full + 30, t - 3 * 365)
                end = rng.randint(min(end_lo, t - 1), t - 1)
                p.end_date = dt.date.fromordinal(end)
                if status == "suspended":
                    p.out_of_contact_since = dt.date.fromordinal(max(full + 1, end - rng.randint(183, 300)))
        act = cand - gap_act
        p.candidate_date, p.activist_date = dt.date.fromordinal(cand), dt.date.fromordinal(act)
        p.application_date = dt.date.fromordinal(act - gap_app)

    def extras(self, rng: random.Random, p: Person, region: int) -> None:
        t = self.t
        if p.status in ACTIVE:
            r = rng.random()
            if r < 0.012:
                p.is_mobile = True
                p.mobile_since = dt.date.fromordinal(t - rng.randint(5, 170))
                r2, d2 = ALL_DISTRICTS[rng.randrange(len(ALL_DISTRICTS))]
                reg = names.REGIONS[r2]
                p.mobile_whereabouts = f"{reg[1]}{reg[3][d2][0]}（{rng.choice(names.MOBILE_REASONS)}）"
            elif r < 0.0135:
                p.out_of_contact_since = dt.date.fromordinal(t - rng.randint(30, 170))
            since = (p.full_date or p.probationary_date or self.today).toordinal()
            if rng.random() < 0.025 and since < t - 30:
                p.rewards.append(
                    ("reward", rng.choice(names.REWARD_TITLES), dt.date.fromordinal(rng.randint(since, t - 1)))
                )
            if rng.random() < 0.0015 and since < t - 30:
                p.rewards.append(
                    ("discipline", rng.choice(names.DISCIPLINE_TITLES), dt.date.fromordinal(rng.randint(since, t - 1)))
                )
