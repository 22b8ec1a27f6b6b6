"""Seed the demo enterprise: org tree, members with history, demo accounts, a year of facts.

Deterministic: the plan comes from ``Random(seed, N)`` and every branch draws its members from its own
``Random(seed, branch path)``, so the same N and seed give the same data (on the same ``today``).
Fast: rows are built as tuples in chunks of whole branches and written with COPY / executemany
(see :mod:`.writer`), one transaction per chunk; no per-row ``save()`` outside the handful of demo accounts.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts.models import OrgRole, User
from dangjian.accounts.services import org_role_grant
from dangjian.analytics.models import Fact, FactKind
from dangjian.core import crypto
from dangjian.notices.services import notify
from dangjian.orgs.models import Member, Membership, Org, OrgPost, RewardDiscipline, StatusChange
from dangjian.orgs.search import pinyin_forms

from . import names
from .people import ACTIVE, PRESENT, REASONS, PeopleGenerator, Person
from .plan import BRANCH_POST_POSITIONS, GROUP_LEADER_POSITIONS, PARENT_POST_POSITIONS, OrgSpec, build_plan
from .writer import BulkWriter

DEMO_PASSWORD = "Demo@2026!"
DEMO_USERNAMES = ("admin", "committee", "secretary", "member", "employee", "security", "auditor")
EMPLOYEE_NO_BASE = 100_000  # member employee numbers: E0100000, E0100001, …
DEMO_EMPLOYEE_NO = "E9000001"  # the `employee` demo account (staff, not a member)
FACT_SOURCE = "demo"

ORG_FIELDS = [
    "id",
    "path",
    "depth",
    "numchild",
    "name",
    "short_name",
    "kind",
    "unit",
    "founded_on",
    "is_cloud",
    "is_temporary",
    "ends_on",
    "term_start",
    "term_end",
]
MEMBER_FIELDS = [
    "id",
    "user_id",
    "org_id",
    "org_path",
    "name",
    "name_pinyin",
    "name_initials",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "id_number_index",
    "phone",
    "phone_index",
    "address",
    "education",
    "employee_no",
    "department",
    "job_title",
    "hire_date",
    "status",
    "application_date",
    "activist_date",
    "candidate_date",
    "probationary_date",
    "full_date",
    "is_mobile",
    "mobile_since",
    "mobile_whereabouts",
    "out_of_contact_since",
    "created_at",
    "updated_at",
]
USER_FIELDS = [
    "id",
    "password",
    "is_superuser",
    "username",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "name",
    "employee_no",
    "phone",
    "phone_index",
    "admin_role",
    "must_change_password",
    "password_changed_at",
    "failed_login_count",
    "totp_secret",
    "totp_last_step",
]
# Accounts carry the roster's ID number where the User model has one (for account claiming).
USER_HAS_ID_NUMBER = any(f.name == "id_number_index" for f in User._meta.concrete_fields)
if USER_HAS_ID_NUMBER:
    USER_FIELDS += ["id_number", "id_number_index"]
STATUS_FIELDS = ["member_id", "from_status", "to_status", "effective_on", "reason", "recorded_at"]
MEMBERSHIP_FIELDS = ["member_id", "org_id", "kind", "started_on", "ended_on", "end_reason"]
REWARD_FIELDS = ["member_id", "kind", "title", "issued_on", "issued_by", "note"]
FACT_FIELDS = ["member_id", "org_id", "org_path", "kind", "quantity", "occurred_at", "source_type", "source_id"]
POST_FIELDS = ["org_id", "member_id", "post", "started_on", "ended_on"]

ONE = Decimal(1)


def default_facts_per_member(members: int) -> int:
    """~15 facts per member-year for demo sizes; fewer at scale so 1,000,000 members stay within budget."""
    if members <= 100_000:
        return 15
    if members <= 300_000:
        return 6
    return 3


@dataclass
class DemoContext:
    """What an app's ``demo_data.seed_demo(ctx)`` gets: the demo enterprise to build its own year of history on.

    Member ids are dense (``first_member_id``…``last_member_id``); ``writer.insert(Model, fields, rows)`` is the
    fast bulk path; ``rng(name)`` a deterministic Random for this build. Give every demo account something to do
    today (DESIGN.md "Interfaces"): ``users`` holds them by username.
    """

    members: int
    seed: int
    today: dt.date
    facts_per_member: int
    users: dict[str, Any]
    root_org_id: int
    secretary_branch_id: int
    first_member_id: int
    last_member_id: int
    writer: BulkWriter
    out: TextIO | None = None

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{name}:{self.seed}:{self.members}")


@dataclass
class SeedResult:
    members: int = 0
    orgs: int = 0
    users: int = 0
    facts: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def members_per_second(self) -> float:
        return self.members / self.seconds if self.seconds else 0.0


class DemoSeeder:
    def __init__(
        self,
        *,
        members: int,
        seed: int = 1,
        today: dt.date | None = None,
        facts_per_member: int | None = None,
        accounts: int = 2000,
        chunk_size: int = 10_000,
        insert_mode: str | None = None,
        progress: bool = True,
        app_hooks: bool = True,
        out: TextIO | None = None,
    ) -> None:
        self.app_hooks = app_hooks
        self.n = members
        self.seed = seed
        self.today = today or timezone.localdate()
        self.fpm = default_facts_per_member(members) if facts_per_member is None else facts_per_member
        self.accounts = accounts
        self.chunk_size = chunk_size
        self.progress = progress
        self.out = out
        self.writer = BulkWriter(insert_mode)
        self.people = PeopleGenerator(self.today)
        self.now = timezone.now()
        self._pinyin: dict[str, tuple[str, str]] = {}
        self._index_key = crypto.index_key()
        self.demo_users: dict[str, User] = {}
        self.demo_links: dict[tuple[int, int], str] = {}  # (branch index, position) → demo username
        self.linked_members: dict[str, int] = {}  # demo username → member id
        self.temp_candidates: list[tuple[int, dt.date]] = []
        self.cloud_joins: list[tuple[int, dt.date]] = []
        self.result = SeedResult()

    # --- helpers ---------------------------------------------------------------------------

    def log(self, msg: str) -> None:
        if self.out is not None:
            self.out.write(msg + "\n")

    def blind(self, value: str) -> str:
        # == crypto.blind_index(value), without re-deriving the index key for every value.
        return crypto.hmac_sm3(self._index_key, crypto.normalise(value)).hex()[:32]

    def pinyin(self, name: str) -> tuple[str, str]:
        got = self._pinyin.get(name)
        if got is None:
            got = self._pinyin[name] = pinyin_forms(name)
        return got

    @staticmethod
    def _next_id(model: Any) -> int:
        return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1

    # --- run -------------------------------------------------------------------------------

    def run(self) -> SeedResult:
        assert self.blind("11010519491231002X") == crypto.blind_index("11010519491231002X")
        started = time.perf_counter()
        phase = time.perf_counter()
        self.plan = build_plan(members=self.n, seed=self.seed, today=self.today)
        self.org_base = self._next_id(Org)
        self.member_base = self._next_id(Member)
        self._tune_connection()
        with transaction.atomic():
            self._insert_orgs()
            self._demo_accounts()
        self.result.phases["orgs and accounts"] = time.perf_counter() - phase
        phase = time.perf_counter()
        self._members()
        self.result.phases["members"] = time.perf_counter() - phase
        phase = time.perf_counter()
        with transaction.atomic():
            self._posts()
            self._extra_memberships()
            self._finish_demo_accounts()
        self._reset_sequences()
        self.result.phases["posts and links"] = time.perf_counter() - phase
        if self.app_hooks:
            self._app_hooks()
        phase = time.perf_counter()
        self._analyze()
        self.result.phases["vacuum/analyze"] = time.perf_counter() - phase
        self.result.seconds = time.perf_counter() - started
        self.result.rows = dict(self.writer.rows_written)
        self.result.members = self.n
        self.result.orgs = len(self.plan)
        self.result.facts = self.writer.rows_written.get(Fact._meta.label, 0)
        return self.result

    def _tune_connection(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MB page cache while loading
            elif connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")  # this session only; a crash loses demo rows at worst

    def _analyze(self) -> None:
        """Fresh planner statistics (the member list must not be planned on an empty-table guess) and, on
        PostgreSQL outside a transaction, VACUUM: it sets the visibility map, without which index-only scans
        (the member-list counts) visit the heap for every freshly loaded row."""
        tables = [m._meta.db_table for m in (Org, Member, Membership, StatusChange, Fact, User, OrgPost)]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                for t in tables:
                    cursor.execute(f"{command} {connection.ops.quote_name(t)}")
            elif connection.vendor == "sqlite":
                cursor.execute("PRAGMA optimize")

    def _reset_sequences(self) -> None:
        sql = connection.ops.sequence_reset_sql(no_style(), [Org, Member, User])
        if sql:
            with connection.cursor() as cursor:
                for stmt in sql:
                    cursor.execute(stmt)

    def context(self) -> DemoContext:
        return DemoContext(
            members=self.n,
            seed=self.seed,
            today=self.today,
            facts_per_member=self.fpm,
            users=dict(self.demo_users),
            root_org_id=self.org_id(self.root),
            secretary_branch_id=self.org_id(self.sec_branch),
            first_member_id=self.member_base,
            last_member_id=self.member_base + self.n - 1,
            writer=self.writer,
            out=self.out,
        )

    def _app_hooks(self) -> None:
        """Let every other app add its demo year: ``dangjian.<app>.demo_data.seed_demo(ctx: DemoContext)``."""
        ctx = self.context()
        phase = time.perf_counter()
        with transaction.atomic():
            from dangjian.orgs.demo_work import seed_demo as seed_member_work

            seed_member_work(ctx)  # transfers and the development pipeline live in the orgs app itself
        self.result.phases["member work"] = time.perf_counter() - phase
        for app in apps.get_app_configs():
            if not app.name.startswith("dangjian.") or app.name == "dangjian.orgs":
                continue
            module_name = f"{app.name}.demo_data"
            if importlib.util.find_spec(module_name) is None:
                continue
            hook = getattr(importlib.import_module(module_name), "seed_demo", None)
            if hook is None:
                continue
            phase = time.perf_counter()
            with transaction.atomic():
                hook(ctx)
            self.result.phases[app.label] = time.perf_counter() - phase

    # --- orgs ------------------------------------------------------------------------------

    def org_id(self, spec: OrgSpec) -> int:
        return self.org_base + spec.index

    def _insert_orgs(self) -> None:
        rows = [
            (
                self.org_id(o),
                o.path,
                o.depth,
                o.numchild,
                o.name[:128],
                o.short_name[:64],
                o.kind,
                o.unit[:128],
                o.founded_on,
                o.is_cloud,
                o.is_temporary,
                o.ends_on,
                o.term_start,
                o.term_end,
            )
            for o in self.plan
        ]
        self.writer.insert(Org, ORG_FIELDS, rows)
        self.cloud = next(o for o in self.plan if o.is_cloud)
        self.temporary = next(o for o in self.plan if o.is_temporary)
        self.root = self.plan[0]
        self.sec_branch = next(o for o in self.plan if o.special == "secretary")
        hq_first = self.plan[self.root.children[0]]
        self.demo_links = {
            (self.sec_branch.index, 0): "secretary",
            (self.sec_branch.index, self.sec_branch.size - 1): "member",
            (hq_first.index, 2): "committee",
        }

    # --- demo accounts ---------------------------------------------------------------------

    def _demo_accounts(self) -> None:
        existing = set(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))
        for username in sorted(existing):
            self.log(f"  demo account {username!r} already exists: left as it is")
        specs: dict[str, dict[str, Any]] = {
            "admin": {"name": "系统管理员", "admin_role": User.AdminRole.SYSTEM, "is_staff": True},
            "security": {"name": "安全管理员", "admin_role": User.AdminRole.SECURITY},
            "auditor": {"name": "审计管理员", "admin_role": User.AdminRole.AUDITOR},
            "committee": {"name": "党委组织部"},
            "secretary": {"name": "支部书记"},
            "member": {"name": "党员"},
            "employee": {"name": "", "employee_no": DEMO_EMPLOYEE_NO},
        }
        rng = random.Random(f"accounts:{self.seed}")
        for username in DEMO_USERNAMES:
            if username in existing:
                continue
            user = User(username=username, must_change_password=False, password_changed_at=self.now, **specs[username])
            if username == "employee":
                gender = "F" if rng.random() < 0.4 else "M"
                user.name = self.people.name(rng, gender)
                user.phone = self.people.phone(rng)
            user.set_password(DEMO_PASSWORD)
            user.save()
            self.demo_users[username] = user
        root = Org.objects.get(pk=self.org_id(self.root))
        sec = Org.objects.get(pk=self.org_id(self.sec_branch))
        if "committee" in self.demo_users:
            org_role_grant(
                user=self.demo_users["committee"], org=root, role=OrgRole.Role.COMMITTEE_ADMIN, acting_user=None
            )
        if "secretary" in self.demo_users:
            org_role_grant(user=self.demo_users["secretary"], org=sec, role=OrgRole.Role.SECRETARY, acting_user=None)
        self.member_password = make_password(DEMO_PASSWORD)  # one hash for the bulk member accounts (demo only)
        self.user_next = self._next_id(User)

    def _finish_demo_accounts(self) -> None:
        """Demo accounts take their member's name; every one gets a few unread notifications for today."""
        for username, member_id in self.linked_members.items():
            user = self.demo_users.get(username)
            if user is None:
                continue
            m = Member.objects.only("name", "phone", "employee_no", "id_number").get(pk=member_id)
            user.name, user.phone, user.employee_no = m.name, m.phone, m.employee_no
            fields = ["name", "phone", "phone_index", "employee_no"]
            if USER_HAS_ID_NUMBER:
                user.id_number = m.id_number  # type: ignore[attr-defined]
                fields += ["id_number", "id_number_index"]
            user.save(update_fields=fields)
        for username, user in self.demo_users.items():
            key = username if username in names.NOTICE_TITLES else "member"
            for title in names.NOTICE_TITLES[key]:
                notify(recipients=[user], title=title, body=self._notice_body(username, title), kind="demo")

    def _notice_body(self, username: str, title: str) -> str:
        month_end = (self.today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        if "换届" in title or "任期" in title:
            end = self.sec_branch.term_end
            return f"{self.sec_branch.name}委员会任期将于{end:%Y年%m月%d日}届满，请提前六个月启动换届准备工作。"
        if "核对" in title:
            return f"请于{month_end:%Y年%m月%d日}前核对本人（本支部）党员基本信息，如有错漏请及时更正。"
        return f"{title}。（演示数据，{self.today:%Y年%m月%d日}）"

    # --- members ---------------------------------------------------------------------------

    def _members(self) -> None:
        branches = [o for o in self.plan if o.is_branch and o.size]
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=self.n, unit="members", unit_scale=True, desc="seed_demo", dynamic_ncols=True)
        batch: list[OrgSpec] = []
        count = 0
        for b in branches:
            batch.append(b)
            count += b.size
            if count >= self.chunk_size:
                self._write_chunk(batch)
                if bar is not None:
                    bar.update(count)
                batch, count = [], 0
        if batch:
            self._write_chunk(batch)
            if bar is not None:
                bar.update(count)
        if bar is not None:
            bar.close()

    def _write_chunk(self, branches: list[OrgSpec]) -> None:
        users: list[tuple[Any, ...]] = []
        members: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        memberships: list[tuple[Any, ...]] = []
        rewards: list[tuple[Any, ...]] = []
        facts: list[tuple[Any, ...]] = []
        now = self.now
        for b in branches:
            rng = random.Random(f"branch:{self.seed}:{self.n}:{b.path}")
            fact_rng = random.Random(
                f"facts:{self.seed}:{self.n}:{b.path}"
            )  # members do not depend on --facts-per-member
            org_id = self.org_id(b)
            theme_day = rng.randint(1, 28)
            mix = self.people.status_mix(b.size, sum(1 for v in b.forced.values() if v == "full"))
            for pos in range(b.size):
                g = b.first_member + pos
                mid = self.member_base + g
                p = self.people.person(rng, region=b.region, titles=b.titles, status=b.forced.get(pos), mix=mix)
                emp = f"E{EMPLOYEE_NO_BASE + g:07d}"
                user_id = None
                demo = self.demo_links.get((b.index, pos))
                if demo is not None:
                    self.linked_members[demo] = mid
                    if demo in self.demo_users:
                        user_id = self.demo_users[demo].pk
                elif g < self.accounts and p.status in PRESENT:
                    user_id = self.user_next
                    self.user_next += 1
                    users.append(
                        (
                            user_id,
                            self.member_password,
                            False,
                            emp,
                            "",
                            False,
                            True,
                            now,
                            p.name,
                            emp,
                            p.phone,
                            self.blind(p.phone),
                            "",
                            False,
                            now,
                            0,
                            "",
                            0,
                        )
                        + ((p.id_number, self.blind(p.id_number)) if USER_HAS_ID_NUMBER else ())
                    )
                py, ini = self.pinyin(p.name)
                members.append(
                    (
                        mid,
                        user_id,
                        org_id,
                        b.path,
                        p.name,
                        py,
                        ini,
                        p.gender,
                        p.ethnicity,
                        p.birth,
                        p.id_number,
                        self.blind(p.id_number),
                        p.phone,
                        self.blind(p.phone),
                        p.address,
                        p.education,
                        emp,
                        b.dept,
                        p.job_title,
                        p.hire_date,
                        p.status,
                        p.application_date,
                        p.activist_date,
                        p.candidate_date,
                        p.probationary_date,
                        p.full_date,
                        p.is_mobile,
                        p.mobile_since,
                        p.mobile_whereabouts,
                        p.out_of_contact_since,
                        now,
                        now,
                    )
                )
                for frm, to, on in p.status_history():
                    changes.append((mid, frm, to, on, REASONS[to], now))
                started = max(p.hire_date, p.application_date or p.hire_date)
                if p.status == "transferred_out":
                    memberships.append((mid, org_id, Membership.Kind.PRIMARY, started, p.end_date, "组织关系转出"))
                else:
                    memberships.append((mid, org_id, Membership.Kind.PRIMARY, started, None, ""))
                for kind, title, on in p.rewards:
                    rewards.append((mid, kind, title, on, b.issuer, ""))
                if p.is_mobile and p.mobile_since:
                    self.cloud_joins.append((mid, p.mobile_since))
                if b.subsidiary == 0 and pos == 12 and p.status in ACTIVE and len(self.temp_candidates) < 40:
                    self.temp_candidates.append((mid, self.temporary.founded_on or self.today))
                if p.status in PRESENT:
                    self._facts(fact_rng, facts, mid, org_id, b.path, p, theme_day)
        with transaction.atomic():
            self.writer.insert(User, USER_FIELDS, users)
            self.writer.insert(Member, MEMBER_FIELDS, members)
            self.writer.insert(StatusChange, STATUS_FIELDS, changes)
            self.writer.insert(Membership, MEMBERSHIP_FIELDS, memberships)
            self.writer.insert(RewardDiscipline, REWARD_FIELDS, rewards)
            self.writer.insert(Fact, FACT_FIELDS, facts)
        self.result.users += len(users)

    def _facts(
        self,
        rng: random.Random,
        out: list[tuple[Any, ...]],
        mid: int,
        org_id: int,
        path: str,
        p: Person,
        theme_day: int,
    ) -> None:
        """About ``fpm`` logins over the past year. Meetings, dues and study write their own facts from their own
        demo records (their ``demo_data`` hooks), so every number on a dashboard traces back to a record."""
        n = self.fpm if p.status in ACTIVE else max(1, self.fpm // 3)
        if n <= 0:
            return
        t = self.today.toordinal()
        joined = p.probationary_date if p.status in ACTIVE else p.application_date
        since = min(max(t - 364, joined.toordinal() if joined else t - 364), t - 1)
        for _ in range(n):
            at = _utc(rng.randint(since, t - 1), rng.randint(7 * 3600, 23 * 3600))
            out.append((mid, org_id, path, FactKind.LOGIN, ONE, at, FACT_SOURCE, ""))

    # --- posts and extra memberships -------------------------------------------------------

    def _posts(self) -> None:
        rows: list[tuple[Any, ...]] = []

        def member_at(branch: OrgSpec, pos: int) -> int:
            return self.member_base + branch.first_member + pos

        for o in self.plan:
            start = o.term_start or o.founded_on or self.today
            if o.is_branch and o.size:
                if o.special == "tiny" or o.no_committee:
                    posts = [0]
                elif o.size >= 25:
                    posts = [0, 1, 2, 3, 4]
                elif o.size >= 15:
                    posts = [0, 2, 3]
                else:
                    posts = [0, 1] if o.size >= 10 else [0]
                rows += [(self.org_id(o), member_at(o, i), BRANCH_POST_POSITIONS[i], start, None) for i in posts]
            elif o.kind in ("committee", "general_branch") and o.post_branch is not None:
                src = self.plan[o.post_branch]
                rows += [
                    (self.org_id(o), member_at(src, pos), post, start, None)
                    for pos, post in PARENT_POST_POSITIONS.items()
                ]
            elif o.kind == "group" and o.parent is not None:
                parent = self.plan[o.parent]
                g = parent.children.index(o.index) if o.index in parent.children else 0
                pos = GROUP_LEADER_POSITIONS[g % len(GROUP_LEADER_POSITIONS)]
                if pos < parent.size:
                    rows.append(
                        (self.org_id(o), member_at(parent, pos), OrgPost.Post.GROUP_LEADER, o.founded_on or start, None)
                    )
        self.writer.insert(OrgPost, POST_FIELDS, rows)

    def _extra_memberships(self) -> None:
        rows = [
            (mid, self.org_id(self.cloud), Membership.Kind.CLOUD, since, None, "") for mid, since in self.cloud_joins
        ]
        rows += [
            (mid, self.org_id(self.temporary), Membership.Kind.TEMPORARY, since, None, "")
            for mid, since in self.temp_candidates
        ]
        self.writer.insert(Membership, MEMBERSHIP_FIELDS, rows)


_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_CST = 8 * 3600


def _utc(day_ordinal: int, local_seconds: int) -> dt.datetime:
    """An aware UTC datetime for a local (Asia/Shanghai, UTC+8) wall-clock time on a day ordinal."""
    return _EPOCH + dt.timedelta(days=day_ordinal - 1, seconds=local_seconds - _CST)


def seed(**kwargs: Any) -> SeedResult:
    return DemoSeeder(**kwargs).run()
