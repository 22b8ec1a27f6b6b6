"""Build (or reuse) a scale database with seed_demo, then time the budgets of DESIGN.md against a baseline.

Timings on these machines are noisy; every figure is therefore also given as a ratio to a trivial query
measured in the same run (``SELECT 1`` and a primary-key fetch of one member).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_MEMBERS = 200_000
QUICK_MEMBERS = 5_000
PAGE_SIZE = 50  # as the web member list (orgs.views.PAGE_SIZE) and the API default
BUDGET_LIST_P95_MS = 100.0  # at 1,000,000 members
BUDGET_SEED_1M_S = 15 * 60


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--members", type=int, default=DEFAULT_MEMBERS, help=f"scale (default {DEFAULT_MEMBERS:,})")
    p.add_argument("--quick", action="store_true", help=f"smoke run with {QUICK_MEMBERS:,} members")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--facts-per-member", type=int, default=None, help="passed to seed_demo (default: its own)")
    p.add_argument("--passes", type=int, default=2, help="timed passes over the member-list filters (default 2)")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="re-seed even if the database matches; with DATABASE_URL this FLUSHES that database",
    )
    p.add_argument("--explain", action="store_true", help="print the query plan of the slowest member-list filter")
    return p.parse_args(argv)


# --- set-up -----------------------------------------------------------------------------------


def setup_django() -> tuple[str, bool]:
    own = not os.environ.get("DATABASE_URL")
    if own:
        (REPO / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{REPO / 'var' / 'bench.sqlite3'}"
    os.environ["DEBUG"] = "false"  # no query log: it would grow with every timed query
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    return os.environ["DATABASE_URL"], own


def _marker_path(url: str) -> Path:
    return RESULTS / f"db-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json"


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url


def prepare_database(args: argparse.Namespace, n: int, url: str, own: bool) -> dict[str, Any] | None:
    """Reuse a database seeded with the same N and seed, else (re)build it.

    Returns the seed figures of the build: from this run, from the marker written when bench built it, or
    None when the database was seeded outside bench (e.g. by ``manage.py seed_demo`` directly).
    """
    from django.core.management import call_command
    from django.db import connection

    from dangjian.orgs.demo.plan import root_name
    from dangjian.orgs.models import Member, Org

    marker_file = _marker_path(url)
    marker = json.loads(marker_file.read_text()) if marker_file.exists() else None
    wanted = {"members": n, "seed": args.seed, "facts_per_member": args.facts_per_member}

    def same_build() -> bool:
        root = Org.objects.filter(depth=1).order_by("path").values_list("name", flat=True).first()
        return root == root_name(members=n, seed=args.seed) and Member.objects.count() == n

    if own and args.rebuild:
        _remove_sqlite(url)
    call_command("migrate", verbosity=0, interactive=False)
    if not args.rebuild and same_build():
        if marker and {k: marker.get(k) for k in wanted} == wanted:
            print(f"reusing {_redact(url)}: {n:,} members, seed {args.seed} (built by bench {marker['built_at']})")
            return marker
        print(f"reusing {_redact(url)}: {n:,} members, seed {args.seed} (seeded outside bench: no seed timing)")
        return None
    if Org.objects.exists():
        if own:
            connection.close()
            _remove_sqlite(url)
            call_command("migrate", verbosity=0, interactive=False)
        elif args.rebuild:
            print(f"--rebuild: flushing {_redact(url)}")
            call_command("flush", interactive=False, verbosity=0)
        else:
            print(
                f"{_redact(url)} holds other data (not a bench database of {n:,} members, seed {args.seed}).\n"
                "Point DATABASE_URL at a scratch database, or pass --rebuild to FLUSH this one.",
                file=sys.stderr,
            )
            raise SystemExit(2)
    return build(args, n, url, marker_file)


def _remove_sqlite(url: str) -> None:
    path = Path(url.split("sqlite:///", 1)[-1])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build(args: argparse.Namespace, n: int, url: str, marker_file: Path) -> dict[str, Any]:
    from dangjian.orgs.demo import DemoSeeder, default_facts_per_member

    print(f"seeding {_redact(url)} with {n:,} members (seed {args.seed})…")
    result = DemoSeeder(
        members=n, seed=args.seed, facts_per_member=args.facts_per_member, progress=True, out=sys.stdout
    ).run()
    marker = {
        "members": n,
        "seed": args.seed,
        "facts_per_member": args.facts_per_member,
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "seed_seconds": round(result.seconds, 2),
        "members_per_second": round(result.members_per_second, 1),
        "rows": result.rows,
        "phases": {k: round(v, 2) for k, v in result.phases.items()},
        "facts_per_member_used": default_facts_per_member(n)
        if args.facts_per_member is None
        else args.facts_per_member,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    marker_file.write_text(json.dumps(marker, ensure_ascii=False, indent=2))
    return marker


# --- timing -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else 0.0,
    }


def time_ms(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - t0) / 1e6


def baseline(rng: random.Random, runs: int = 300) -> dict[str, dict[str, float]]:
    from django.db import connection
    from django.db.models import Max, Min

    from dangjian.orgs.models import Member

    def select1() -> None:
        with connection.cursor() as c:
            c.execute("SELECT 1")
            c.fetchone()

    bounds = Member.objects.aggregate(lo=Min("id"), hi=Max("id"))
    ids = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(runs)]
    for _ in range(20):
        select1()
    s1 = [time_ms(select1) for _ in range(runs)]
    pk = [time_ms(lambda i=i: Member.objects.filter(pk=i).first()) for i in ids]
    return {"select_1": summary(s1), "member_by_pk": summary(pk)}


def member_list_scenarios(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """~60 filters a committee admin uses: none, status, org subtree, q by initials / pinyin / name / employee number."""
    from django.db.models import Max, Min

    from dangjian.orgs.models import Member, MemberStatus, Org

    out: list[tuple[str, dict[str, Any]]] = [("none", {})]
    for s in [
        MemberStatus.FULL,
        MemberStatus.PROBATIONARY,
        MemberStatus.CANDIDATE,
        MemberStatus.ACTIVIST,
        MemberStatus.APPLICANT,
        MemberStatus.SUSPENDED,
        MemberStatus.TRANSFERRED_OUT,
    ]:
        out.append(("status", {"status": s.value}))

    def sample(qs: Any, k: int) -> list[Org]:
        ids = list(qs.values_list("id", flat=True))
        return list(Org.objects.filter(id__in=rng.sample(ids, min(k, len(ids)))).order_by("path"))

    subsidiaries = sample(Org.objects.filter(depth=2, kind=Org.Kind.COMMITTEE), 5)
    units = sample(Org.objects.filter(depth=3, kind=Org.Kind.COMMITTEE), 3)
    general = sample(Org.objects.filter(kind=Org.Kind.GENERAL_BRANCH), 3)
    branches = sample(Org.objects.filter(kind=Org.Kind.BRANCH, is_cloud=False, is_temporary=False), 4)
    out += [("org:subsidiary", {"org": o}) for o in subsidiaries]
    out += [("org:unit", {"org": o}) for o in units]
    out += [("org:general_branch", {"org": o}) for o in general]
    out += [("org:branch", {"org": o}) for o in branches]
    for o in (subsidiaries + units)[:4]:
        out.append(
            ("org+status", {"org": o, "status": rng.choice([MemberStatus.FULL, MemberStatus.PROBATIONARY]).value})
        )

    bounds = Member.objects.aggregate(lo=Min("id"), hi=Max("id"))
    picks = list(
        Member.objects.filter(id__in=[rng.randint(bounds["lo"], bounds["hi"]) for _ in range(40)]).values(
            "name", "name_pinyin", "name_initials", "employee_no", "org_path"
        )[:25]
    )
    for m in picks[:6]:
        out.append(("q:initials", {"q": m["name_initials"]}))
    for m in picks[6:11]:
        out.append(("q:pinyin", {"q": m["name_pinyin"]}))
    for m in picks[11:16]:
        out.append(("q:name", {"q": m["name"]}))
    for m in picks[16:19]:
        out.append(("q:surname", {"q": m["name"][0]}))
    for m in picks[19:24]:
        out.append(("q:employee_no", {"q": m["employee_no"]}))
    for m, o in zip(picks[:3], subsidiaries, strict=False):
        out.append(("q+org", {"q": m["name_initials"], "org": o}))
    for m in picks[3:5]:
        out.append(("q+status", {"q": m["name_pinyin"][:4], "status": MemberStatus.FULL.value}))
    return out


def run_member_list(user: Any, scenarios: list[tuple[str, dict[str, Any]]], passes: int) -> dict[str, Any]:
    from dangjian.core.pagination import CappedPaginator
    from dangjian.core.scoping import clear_scope_cache
    from dangjian.orgs.selectors import member_list

    def request(kwargs: dict[str, Any], deep: bool) -> tuple[float, float, int]:
        clear_scope_cache(user)  # a request loads the user afresh: the scope query is part of it
        t0 = time.perf_counter_ns()
        paginator = CappedPaginator(member_list(user, **kwargs), PAGE_SIZE)  # what the member list screen uses
        count = paginator.count
        rows = [(m.name, m.org.name) for m in paginator.page(1).object_list]
        t1 = time.perf_counter_ns()
        deep_ms = 0.0
        if deep:
            number = min(50, paginator.num_pages)
            rows = [(m.name, m.org.name) for m in paginator.page(number).object_list]
            deep_ms = (time.perf_counter_ns() - t1) / 1e6
        del rows
        return (t1 - t0) / 1e6, deep_ms, count

    for _, kwargs in scenarios:  # warm-up pass: caches, connection, plans
        request(kwargs, True)
    first: list[float] = []
    deep: list[float] = []
    per_kind: dict[str, list[float]] = {}
    slowest: tuple[float, str, dict[str, Any]] = (0.0, "", {})
    counts: dict[str, int] = {}
    for _ in range(passes):
        for kind, kwargs in scenarios:
            ms, deep_ms, count = request(kwargs, True)
            first.append(ms)
            deep.append(deep_ms)
            per_kind.setdefault(kind, []).append(max(ms, deep_ms))
            counts[kind] = max(counts.get(kind, 0), count)
            if max(ms, deep_ms) > slowest[0]:
                slowest = (max(ms, deep_ms), kind, kwargs)
    return {
        "filters": len(scenarios),
        "passes": passes,
        "count_and_page_1": summary(first),
        "page_50": summary(deep),
        "by_filter": {k: {**summary(v), "max_count": counts[k]} for k, v in per_kind.items()},
        "slowest": {"ms": slowest[0], "filter": slowest[1], "kwargs": {k: str(v) for k, v in slowest[2].items()}},
        "_slowest_kwargs": slowest[2],
    }


# --- report -----------------------------------------------------------------------------------


def report(data: dict[str, Any]) -> str:
    b, ml, sd = data["baseline"], data["member_list"], data["seed_demo"]
    s1, pk = b["select_1"]["p50"], b["member_by_pk"]["p50"]
    lines = [
        f"Dangjian bench — {data['vendor']}, {data['members']:,} members (seed {data['seed']}), {data['at']}, {data['machine']}",
        "",
        f"{'baseline':44}{'p50 ms':>10}{'p95 ms':>10}",
        f"  {'SELECT 1 round trip':42}{s1:>10.3f}{b['select_1']['p95']:>10.3f}",
        f"  {'one Member by primary key (ORM)':42}{pk:>10.3f}{b['member_by_pk']['p95']:>10.3f}",
        "",
        f"member list, committee admin ({ml['filters']} filters × {ml['passes']} passes)"
        f"{'p50 ms':>10}{'p95 ms':>10}{'p95/SEL1':>10}{'p95/pk':>9}",
    ]
    for label, key in (("count + page 1", "count_and_page_1"), ("page 50", "page_50")):
        s = ml[key]
        lines.append(f"  {label:42}{s['p50']:>10.2f}{s['p95']:>10.2f}{s['p95'] / s1:>10.0f}{s['p95'] / pk:>9.1f}")
    lines.append("  by filter (slower of page 1 / page 50):")
    for kind, s in ml["by_filter"].items():
        lines.append(
            f"    {kind:28}{'≤' + format(s['max_count'], ','):>12} rows{s['p50']:>10.2f}{s['p95']:>10.2f}{s['p95'] / s1:>10.0f}{s['p95'] / pk:>9.1f}"
        )
    budget = ml["budget"]
    lines += [
        f"  budget: p95 < {BUDGET_LIST_P95_MS:.0f} ms at 1,000,000 members → measured p95 {budget['p95_ms']:.1f} ms "
        f"at {data['members']:,}: {budget['verdict']}",
        f"  slowest: {ml['slowest']['filter']} {ml['slowest']['kwargs']} {ml['slowest']['ms']:.1f} ms",
        "",
    ]
    if not sd["measured"]:
        lines.append("seed_demo: not measured (database seeded outside bench; --rebuild to measure)")
    else:
        lines += [
            f"seed_demo: {sd['members']:,} members in {sd['seed_seconds']:.1f} s = {sd['members_per_second']:,.0f} members/s "
            f"({sd['facts_per_member_used']} facts/member{'; reused database, figure from its build' if sd['reused'] else ''})",
            f"  projected for 1,000,000: {sd['projected_1m_seconds']:.0f} s vs budget {BUDGET_SEED_1M_S} s → "
            f"{sd['projected_1m_seconds'] / BUDGET_SEED_1M_S:.0%} of budget: {sd['verdict']}",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    n = QUICK_MEMBERS if args.quick else args.members
    url, own = setup_django()
    from django.db import connection

    from dangjian.accounts.models import User

    started = time.perf_counter()
    marker_before = _marker_path(url).read_text() if _marker_path(url).exists() else None
    seed_info = prepare_database(args, n, url, own)
    reused = seed_info is None or (
        marker_before is not None and json.loads(marker_before).get("built_at") == seed_info.get("built_at")
    )
    rng = random.Random(args.seed)
    user = User.objects.get(username="committee")
    base = baseline(rng)
    scenarios = member_list_scenarios(rng)
    ml = run_member_list(user, scenarios, args.passes)
    slowest_kwargs = ml.pop("_slowest_kwargs")
    p95 = max(ml["count_and_page_1"]["p95"], ml["page_50"]["p95"])
    ml["budget"] = {
        "p95_ms": p95,
        "budget_ms": BUDGET_LIST_P95_MS,
        "at_members": 1_000_000,
        "verdict": ("within budget" if p95 < BUDGET_LIST_P95_MS else "OVER budget")
        + ("" if n >= 1_000_000 else " (below budget scale: run --members 1000000 on PostgreSQL to judge)"),
    }
    seed: dict[str, Any] = {"reused": reused, "measured": seed_info is not None}
    if seed_info is not None:
        rate = seed_info["members_per_second"]
        # Fixed costs (plan, demo accounts' password hashing, vacuum) once, the members phase scaled linearly.
        members_phase = (seed_info.get("phases") or {}).get("members") or seed_info["seed_seconds"]
        fixed = max(0.0, seed_info["seed_seconds"] - members_phase)
        projected = fixed + members_phase * 1_000_000 / seed_info["members"] if members_phase else float("inf")
        seed.update(
            {
                "members": seed_info["members"],
                "seed_seconds": seed_info["seed_seconds"],
                "members_per_second": rate,
                "facts_per_member_used": seed_info.get("facts_per_member_used"),
                "rows": seed_info.get("rows"),
                "phases": seed_info.get("phases"),
                "projected_1m_seconds": projected,
                "budget_seconds": BUDGET_SEED_1M_S,
                "verdict": "within budget" if projected < BUDGET_SEED_1M_S else "OVER budget",
                "note": "members phase scaled linearly; index growth slows big runs, fewer facts per member (3 at 1M) speed them up",
            }
        )
    data = {
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "database": _redact(url),
        "members": n,
        "seed": args.seed,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "baseline": base,
        "member_list": ml,
        "seed_demo": seed,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    print()
    print(report(data))
    if args.explain:
        from dangjian.orgs.selectors import member_list

        print("\nplan of the slowest filter (page 1):")
        print(member_list(user, **slowest_kwargs)[:PAGE_SIZE].explain())
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0
