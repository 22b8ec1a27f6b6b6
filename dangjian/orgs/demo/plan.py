"""The shape of the demo enterprise: an org tree with a member capacity per branch, planned in memory.

The plan is pure data (no database): a list of :class:`OrgSpec` in depth-first (= materialized path) order.
Members are later generated branch by branch, so every branch's members are contiguous, and the
``forced`` statuses make sure that committee posts, group leaders and demo accounts land on full members.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from . import names

# Positions inside a branch (its members are generated in order 0, 1, 2, …):
# 0–4 hold the branch committee posts, 5–7 the posts of the parent committee / general branch
# when the branch is its first child, 8–10 lead the Party groups. All of them are full members.
BRANCH_POST_POSITIONS = ["secretary", "deputy_secretary", "organisation", "propaganda", "discipline"]
PARENT_POST_POSITIONS = {5: "secretary", 6: "deputy_secretary", 7: "discipline"}
GROUP_LEADER_POSITIONS = [8, 9, 10]
FORCED_FULL = 11

MIN_MEMBERS = 200


@dataclass
class OrgSpec:
    index: int
    parent: int | None
    kind: str  # Org.Kind value
    name: str
    short_name: str = ""
    unit: str = ""
    depth: int = 1
    path: str = ""
    numchild: int = 0
    founded_on: dt.date | None = None
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    is_cloud: bool = False
    is_temporary: bool = False
    ends_on: dt.date | None = None
    # Member generation (branches only)
    size: int = 0
    first_member: int = 0  # global index of the branch's first member
    dept: str = ""
    titles: list[str] = field(default_factory=list)
    region: int = 0  # index in names.REGIONS
    subsidiary: int = -1  # -1: group headquarters
    issuer: str = ""  # the committee that issues commendations to its members
    forced: dict[int, str] = field(default_factory=dict)  # position → status
    no_committee: bool = False  # a branch that has not elected its committee yet (a warning to show)
    special: str = ""  # "tiny" | "big" | "secretary" (the demo secretary's branch)
    post_branch: int | None = None  # committees / general branches: the branch whose positions 5–7 hold our posts
    children: list[int] = field(default_factory=list)

    @property
    def is_branch(self) -> bool:
        return self.kind == "branch"


def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


class Planner:
    def __init__(self, *, members: int, seed: int, today: dt.date) -> None:
        if members < MIN_MEMBERS:
            raise ValueError(f"the demo enterprise needs at least {MIN_MEMBERS} members")
        self.n = members
        self.rng = random.Random(f"plan:{seed}:{members}")
        self.today = today
        self.orgs: list[OrgSpec] = []

    # --- building blocks ----------------------------------------------------------------------

    def _add(self, parent: OrgSpec | None, kind: str, name: str, **fields: Any) -> OrgSpec:
        spec = OrgSpec(index=len(self.orgs), parent=parent.index if parent else None, kind=kind, name=name, **fields)
        if parent is not None:
            spec.depth = parent.depth + 1
            spec.region = fields.get("region", parent.region)
            spec.subsidiary = fields.get("subsidiary", parent.subsidiary)
            spec.unit = fields.get("unit", parent.unit)
            parent.children.append(spec.index)
        self.orgs.append(spec)
        self._dates(spec, parent)
        return spec

    def _dates(self, spec: OrgSpec, parent: OrgSpec | None) -> None:
        rng, today = self.rng, self.today
        if spec.founded_on is None:
            lo = parent.founded_on if parent is not None and parent.founded_on else dt.date(1952, 1, 1)
            lo = max(lo, dt.date(1952, 1, 1))
            hi = {"committee": dt.date(2012, 12, 31), "general_branch": dt.date(2018, 12, 31)}.get(
                spec.kind, dt.date(2022, 12, 31)
            )
            hi = min(hi, today - dt.timedelta(days=400))
            if parent is None:
                lo, hi = dt.date(1952, 1, 1), dt.date(1999, 12, 31)
            span = max(0, (hi - lo).days)
            spec.founded_on = lo + dt.timedelta(days=rng.randint(min(180, span), span) if span else 0)
        if spec.kind == "group" or spec.is_temporary:
            return
        years = 5 if spec.kind == "committee" else 3
        length = (add_years(today, years) - today).days
        if rng.random() < 0.03:
            end = today - dt.timedelta(days=rng.randint(10, 200))  # election overdue: a red warning
        else:
            end = today + dt.timedelta(days=rng.randint(20, length - 20))
        spec.term_end = end
        spec.term_start = max(add_years(end, -years), spec.founded_on or end)

    def _split(self, total: int, allow_specials: bool = True) -> list[int]:
        """Branch sizes summing to ``total``: mostly 20–46; now and then a tiny (< 3 full) or big (> 50) one."""
        rng = self.rng
        sizes: list[int] = []
        rem = total
        while rem > 0:
            r = rng.random()
            if sizes and allow_specials and r < 0.012:
                s = rng.choice([2, 3, 4])
            elif sizes and allow_specials and r < 0.035:
                s = rng.randint(51, 62)
            else:
                s = rng.randint(20, 46)
            if rem - s < 15:
                if rem <= 62:
                    s = rem
                else:
                    sizes.append(rem // 2)
                    rem -= rem // 2
                    s = rem
            sizes.append(s)
            rem -= s
        return sizes

    def _branch(self, parent: OrgSpec, name: str, size: int, dept: str, titles: list[str], issuer: str) -> OrgSpec:
        b = self._add(parent, "branch", name, size=size, dept=dept, titles=titles, issuer=issuer)
        if 2 <= size <= 4:
            b.special = "tiny"
        elif size > 50:
            b.special = "big"
        return b

    def _dept_branches(self, parent: OrgSpec, prefix: str, depts: list[str], total: int, issuer: str) -> None:
        per = max(1, min(len(depts), round(total / 32)))
        shares = [total // per + (1 if i < total % per else 0) for i in range(per)]
        for i, share in enumerate(shares):
            dept = depts[i % len(depts)]
            parts = self._split(share, allow_specials=False) if share > 46 else [share]
            for j, s in enumerate(parts):
                suffix = f"第{names.cn_number(j + 1)}党支部" if len(parts) > 1 else "党支部"
                self._branch(parent, f"{prefix}{dept}{suffix}", s, dept, names.HQ_TITLES, issuer)

    def _production(self, parent: OrgSpec, prefix: str, industry: dict[str, Any], total: int, issuer: str) -> None:
        shops: list[str] = list(industry["shops"])
        titles: list[str] = list(industry["titles"])
        if total >= 250:
            gb_sizes: list[int] = []
            rem = total
            while rem > 0:
                s = self.rng.randint(120, 200)
                s = rem if rem - s < 60 else s
                gb_sizes.append(s)
                rem -= s
            for i, gs in enumerate(gb_sizes):
                shop = shops[i % len(shops)]
                round_no = i // len(shops)
                gb_name = f"{shop}党总支" if round_no == 0 else f"{shop}第{names.cn_number(round_no + 1)}党总支"
                gb = self._add(parent, "general_branch", f"{prefix}{gb_name}", short_name=gb_name)
                for j, s in enumerate(self._split(gs)):
                    self._branch(gb, f"{prefix}{shop}第{names.cn_number(j + 1)}党支部", s, shop, titles, issuer)
        else:
            for j, s in enumerate(self._split(total)):
                self._branch(
                    parent, f"{prefix}第{names.cn_number(j + 1)}党支部", s, shops[j % len(shops)], titles, issuer
                )

    # --- the enterprise -----------------------------------------------------------------------

    def build(self) -> list[OrgSpec]:
        rng, n = self.rng, self.n
        brand = rng.choice(names.BRANDS)  # the first draw: see root_name()
        group_unit = f"中国{brand}集团有限公司"
        root = self._add(
            None,
            "committee",
            f"{group_unit}党委",
            short_name=f"{brand}集团党委",
            unit=group_unit,
            region=rng.randrange(4),
        )  # headquarters in a municipality
        root.subsidiary = -1

        hq_total = max(50, min(1500, round(n * 0.03)))
        self._dept_branches(root, "集团总部", names.HQ_DEPARTMENTS, hq_total, root.name)
        self._add(
            root,
            "branch",
            f"{brand}集团流动党员云端支部",
            short_name="云端支部",
            is_cloud=True,
            founded_on=self.today - dt.timedelta(days=rng.randint(500, 1500)),
        )

        k = 3 if n < 1000 else rng.randint(3, 5)
        industries = rng.sample(names.INDUSTRIES, k)
        weights = [rng.uniform(0.7, 1.4) for _ in range(k)]
        rest = n - hq_total
        sizes = [int(rest * w / sum(weights)) for w in weights]
        sizes[0] += rest - sum(sizes)
        regions = rng.sample(range(len(names.REGIONS)), k)
        for s_idx, (industry, m_s, region) in enumerate(zip(industries, sizes, regions, strict=True)):
            self._subsidiary(root, brand, s_idx, industry, m_s, region)

        self._ensure_specials()
        self._finish()
        return self.orgs

    def _subsidiary(
        self, root: OrgSpec, brand: str, s_idx: int, industry: dict[str, Any], total: int, region: int
    ) -> None:
        rng = self.rng
        short = f"{brand}{industry['name']}"
        unit = f"{short}有限公司"
        sub = self._add(
            root, "committee", f"{unit}党委", short_name=f"{short}党委", unit=unit, region=region, subsidiary=s_idx
        )
        jg = max(20, min(800, round(total * 0.06)))
        self._dept_branches(sub, short, names.UNIT_DEPARTMENTS, jg, sub.name)
        rest = total - jg
        if s_idx == 0:
            project = rng.choice(names.TEMP_PROJECTS)
            self._add(
                sub,
                "branch",
                f"{project}项目临时党支部",
                short_name="临时党支部",
                is_temporary=True,
                ends_on=self.today + dt.timedelta(days=rng.randint(120, 300)),
                founded_on=self.today - dt.timedelta(days=rng.randint(150, 500)),
            )
        if rest >= 2400:
            u = max(2, round(rest / 1500))
            weights = [rng.uniform(0.6, 1.4) for _ in range(u)]
            unit_sizes = [int(rest * w / sum(weights)) for w in weights]
            unit_sizes[0] += rest - sum(unit_sizes)
            used: set[str] = set()
            for m_u in unit_sizes:
                region_u = rng.randrange(len(names.REGIONS))
                city = names.REGIONS[region_u][1]
                suffix = rng.choice(industry["units"])
                label = f"{city}{suffix}"
                n_same = sum(1 for x in used if x.startswith(label))
                if n_same:
                    label = f"{city}第{names.cn_number(n_same + 1)}{suffix}"
                used.add(label)
                u_org = self._add(
                    sub, "committee", f"{label}党委", short_name=label, unit=f"{unit}{label}", region=region_u
                )
                jg_u = max(20, min(150, round(m_u * 0.08)))
                self._dept_branches(u_org, label, names.UNIT_DEPARTMENTS, jg_u, sub.name)
                self._production(u_org, label, industry, m_u - jg_u, u_org.name)
        else:
            self._production(sub, short, industry, rest, sub.name)

    # --- guarantees ---------------------------------------------------------------------------

    def _regular_branches(self) -> list[OrgSpec]:
        return [o for o in self.orgs if o.is_branch and not (o.is_cloud or o.is_temporary) and not o.special]

    def _siblings(self, b: OrgSpec) -> list[OrgSpec]:
        parent = self.orgs[b.parent] if b.parent is not None else None
        return [self.orgs[i] for i in parent.children if self.orgs[i].is_branch and self.orgs[i].size] if parent else []

    def _ensure_specials(self) -> None:
        """At least one branch with < 3 full members, one with > 50 members, and the demo secretary's branch."""
        prod = [o for o in self._regular_branches() if o.subsidiary >= 0 and o.titles is not names.HQ_TITLES]
        if not any(o.special == "tiny" for o in self.orgs):
            for b in reversed(prod):
                sib = [s for s in self._siblings(b) if s is not b and not s.special and s.index > b.index]
                first_child = self.orgs[b.parent].children[0] == b.index if b.parent is not None else True
                if sib and b.size >= 23 and not first_child:
                    sib[0].size += b.size - 3
                    b.size, b.special = 3, "tiny"
                    if sib[0].size > 50:
                        sib[0].special = "big"
                    break
        if not any(o.special == "big" for o in self.orgs):
            for b in reversed(self._regular_branches()):
                sib = [s for s in self._siblings(b) if s is not b and not s.special and s.index > b.index]
                if sib and b.size + sib[0].size - 55 >= 15:
                    sib[0].size -= 55 - b.size
                    b.size, b.special = 55, "big"
                    break

        def not_first(o: OrgSpec) -> bool:
            return o.parent is not None and self.orgs[o.parent].children[0] != o.index

        regular = self._regular_branches()
        candidates = (
            [
                o
                for o in regular
                if 20 <= o.size <= 40 and o.subsidiary == 0 and not_first(o) and o.titles is not names.HQ_TITLES
            ]
            or [o for o in regular if 20 <= o.size <= 40 and not_first(o)]
            or [o for o in regular if 20 <= o.size <= 46]
        )
        sec = candidates[0]
        sec.special = "secretary"
        sec.term_end = self.today + dt.timedelta(days=self.rng.randint(60, 150))
        sec.term_start = add_years(sec.term_end, -3)
        sec.forced[sec.size - 1] = "full"  # the demo `member`

    def _finish(self) -> None:
        rng = self.rng
        member_index = 0
        counters: dict[int | None, int] = {}
        for o in self.orgs:
            # Materialized path: steplen 4 over 0-9A-Z, as treebeard builds it.
            step = counters.get(o.parent, 0) + 1
            counters[o.parent] = step
            parent_path = self.orgs[o.parent].path if o.parent is not None else ""
            o.path = parent_path + _step(step)
            o.numchild = len(o.children)
            if o.is_branch:
                o.first_member = member_index
                member_index += o.size
                if o.special == "tiny":
                    o.forced.update({0: "full", 1: "full"})
                    for p in range(2, o.size):
                        o.forced[p] = "probationary" if p % 2 == 0 else "activist"
                elif o.size:
                    for p in range(min(FORCED_FULL, o.size)):
                        o.forced[p] = "full"
                    o.no_committee = o.special == "" and o.size >= 15 and rng.random() < 0.05
        assert member_index == self.n, (member_index, self.n)
        # Party groups under the larger branches, led by positions 8–10.
        for o in list(self.orgs):
            if o.is_branch and o.size >= 30 and (o.special == "secretary" or rng.random() < 0.6):
                for g in range(2 if o.size < 45 else 3):
                    grp = OrgSpec(
                        index=len(self.orgs),
                        parent=o.index,
                        kind="group",
                        name=f"第{names.cn_number(g + 1)}党小组",
                        depth=o.depth + 1,
                        unit=o.unit,
                        region=o.region,
                        subsidiary=o.subsidiary,
                    )
                    grp.founded_on = o.founded_on
                    grp.path = o.path + _step(g + 1)
                    o.children.append(grp.index)
                    o.numchild += 1
                    self.orgs.append(grp)
        self.orgs.sort(key=lambda x: x.path)
        remap = {o.index: i for i, o in enumerate(self.orgs)}
        for o in self.orgs:
            o.index = remap[o.index]
            o.parent = remap[o.parent] if o.parent is not None else None
            o.children = [remap[c] for c in o.children]
        # Committees and general branches take their posts from their first branch's positions 5–7.
        for o in self.orgs:
            if o.kind in ("committee", "general_branch"):
                first = self.orgs[o.children[0]] if o.children else None
                if first is not None and first.is_branch and first.size >= 8:
                    o.post_branch = first.index


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _step(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = _ALPHABET[r] + out
    return out.rjust(4, "0")


def build_plan(*, members: int, seed: int, today: dt.date) -> list[OrgSpec]:
    return Planner(members=members, seed=seed, today=today).build()


def root_name(*, members: int, seed: int) -> str:
    """The name of the root org that build_plan() gives for these arguments (a cheap fingerprint of a build)."""
    brand = random.Random(f"plan:{seed}:{members}").choice(names.BRANDS)
    return f"中国{brand}集团有限公司党委"
