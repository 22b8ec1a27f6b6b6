"""Exam benchmarks: a company-wide burst of attempt starts, autosaves and submissions, and item analysis at scale.

    python -m bench.exams [--members 1000] [--threads 2] [--analysis-attempts 100000] [--quick] [--shared]

Builds its own enterprise (``基准考试集团党委``: branches, members with logins, a 400-question bank, a 20-question
random paper) in the database of DATABASE_URL (default ``var/bench_exams.sqlite3``) and reuses it on later runs;
each run adds a fresh exam. Use a scratch database on PostgreSQL (``createdb bench_exams``): a database holding
another enterprise is refused unless ``--shared``. Every rate comes with a baseline from the same threads:

* starts, autosaves and submissions go through the services the API calls (``exams.attempts``) from forked
  worker processes (one per core by default, each its own connection); baseline: the cheapest write transaction
  (a one-row UPDATE and a commit) from the same workers;
* submissions also go through a real server (``bench.served``: gunicorn as ``make run`` serves it, an asyncio
  client with 8 connections on the same machine, bearer tokens, ninja, every middleware); baseline:
  ``GET /healthz`` (one query) through the same server and client; with the server's CPU per request read from
  /proc (gunicorn and PostgreSQL) and the capacity that gives the cores without the client;
* item analysis: ``exams.analysis.exam_statistics`` + pass rate by org + mastery over N synthetic attempts of
  20 questions written with bulk inserts (not timed), budget < 10 s for 100,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.main import RESULTS, setup_django

BENCH_ORG = "基准考试集团党委"
BRANCHES = 20
BANK_SIZE = {"single": 200, "multiple": 80, "judge": 60, "blank": 60}
RULES = [
    ("single", 10, 2),
    ("multiple", 4, 5),
    ("judge", 3, 2),
    ("blank", 3, 4),
]  # type, count, points: 20 questions, 100 points


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.exams", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--members", type=int, default=1000, help="members taking the exam at once (default 1,000)")
    p.add_argument(
        "--threads",
        type=int,
        default=2,
        help="concurrent clients: processes, one connection each (default 2, one per core)",
    )
    p.add_argument(
        "--analysis-attempts", type=int, default=100_000, help="attempts for the item analysis (default 100,000)"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers for the HTTP burst (default: one per core)"
    )
    p.add_argument("--concurrency", type=int, default=8, help="connections the HTTP client keeps busy (default 8)")
    p.add_argument("--quick", action="store_true", help="200 members, 10,000 attempts analysed")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--shared", action="store_true", help="allow a database that holds another enterprise")
    return p.parse_args(argv)


def in_threads(threads: int, work: Any) -> float:
    """Run ``work(i)`` for i < threads in ``threads`` processes (forked, each opening its own connection; threads
    would share one interpreter lock and measure one core). Wall seconds from the first start to the last exit."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # never share a connection with a child
    ctx = multiprocessing.get_context("fork")

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException:
            import traceback

            traceback.print_exc()
            os._exit(1)
        finally:
            connections.close_all()
        os._exit(0)

    pool = [ctx.Process(target=run, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for p in pool:
        p.start()
    for p in pool:
        p.join()
    seconds = time.perf_counter() - t0
    if any(p.exitcode for p in pool):
        raise RuntimeError("a benchmark worker failed (see above)")
    return seconds


# --- the bench enterprise ----------------------------------------------------------------------------


def ensure_world(members: int, rng: random.Random, shared: bool) -> dict[str, Any]:
    """The bench org tree, ``members`` members with logins and the bank (created once, grown when asked for more)."""
    from django.core.management import call_command

    from dangjian.accounts.models import OrgRole, User
    from dangjian.exams import bank as bank_services
    from dangjian.exams.models import QuestionBank
    from dangjian.orgs.models import Member, Membership, MemberStatus, Org

    call_command("migrate", verbosity=0, interactive=False)
    others = Org.objects.filter(depth=1).exclude(name=BENCH_ORG)
    if others.exists() and not shared:
        print(
            "this database holds another enterprise: use a scratch database (createdb bench_exams) or pass --shared",
            file=sys.stderr,
        )
        raise SystemExit(2)
    root = Org.objects.filter(depth=1, name=BENCH_ORG).first() or Org.add_root(name=BENCH_ORG, kind=Org.Kind.COMMITTEE)
    branches = list(Org.objects.filter(path__startswith=root.path, depth=2).order_by("path"))
    for i in range(len(branches), BRANCHES):
        branches.append(root.add_child(name=f"基准第{i + 1}党支部", kind=Org.Kind.BRANCH))
    admin, _ = User.objects.get_or_create(username="bench_exams_admin", defaults={"name": "基准组织部"})
    OrgRole.objects.get_or_create(user=admin, org=root, role=OrgRole.Role.COMMITTEE_ADMIN, ended_at=None)
    have = Member.objects.filter(org_path__startswith=root.path).count()
    if have < members:
        t0 = time.perf_counter()
        users = User.objects.bulk_create(
            [User(username=f"bench_exam_{n}", name=f"考生{n}", password="!") for n in range(have, members)]
        )
        objs = []
        for k, u in zip(range(have, members), users, strict=True):
            b = branches[k % BRANCHES]
            m = Member(
                org=b,
                org_path=b.path,
                user=u,
                name=f"考生{k}",
                gender="M",
                birth_date=dt.date(1985, 1, 1),
                status=MemberStatus.FULL,
                employee_no=f"BX{k:07d}",
            )
            m.name_pinyin, m.name_initials = "kaosheng", "ks"
            objs.append(m)
        Member.objects.bulk_create(objs, batch_size=2000)
        Membership.objects.bulk_create(
            [Membership(member=m, org_id=m.org_id, kind="primary", started_on=dt.date(2020, 1, 1)) for m in objs],
            batch_size=2000,
        )
        print(f"created {members - have:,} members with logins in {time.perf_counter() - t0:.1f} s")
    bank = QuestionBank.objects.filter(org=root).first()
    if bank is None:
        t0 = time.perf_counter()
        bank = bank_services.bank_create(org=root, name="基准题库", acting_user=admin)
        for qtype, n in BANK_SIZE.items():
            for i in range(n):
                data: dict[str, Any] = {
                    "type": qtype,
                    "stem": f"{qtype} 基准题 {i}",
                    "difficulty": 1 + i % 5,
                    "category": f"分类{i % 4}",
                    "knowledge_points": f"知识点{i % 10}",
                }
                if qtype in ("single", "multiple"):
                    data |= {"options": [f"选项{c}{i}" for c in "ABCD"], "answer": "B" if qtype == "single" else "ACD"}
                elif qtype == "judge":
                    data["answer"] = "对" if i % 2 else "错"
                else:
                    data |= {"stem": f"填空基准题{i}：____", "answer": f"答案{i}|答{i}"}
                content, errors = bank_services.parse_content(data)
                assert content is not None, errors
                bank_services.question_create(bank=bank, content=content, acting_user=admin, audited=False)
        print(f"created the bank of {sum(BANK_SIZE.values())} questions in {time.perf_counter() - t0:.1f} s")
    return {"root": root, "admin": admin, "bank": bank}


def new_exam(world: dict[str, Any], title: str) -> Any:
    from django.utils import timezone

    from dangjian.exams import papers, services
    from dangjian.exams.models import Paper

    paper = Paper.objects.filter(bank=world["bank"], name="基准随机卷").first() or papers.paper_save_random(
        bank=world["bank"],
        org=world["root"],
        name="基准随机卷",
        acting_user=world["admin"],
        rules=[papers.RuleSpec(type=t, count=c, points=Decimal(p)) for t, c, p in RULES],
    )
    now = timezone.now()
    exam = services.exam_save(
        org=world["root"],
        paper=paper,
        acting_user=world["admin"],
        title=title,
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(hours=2),
        time_limit_minutes=60,
        multiple_partial="half",
    )
    return services.exam_publish(exam=exam, acting_user=world["admin"], notify_members=False)


def answer_key(attempt: Any, rng: random.Random, ability: float) -> dict[str, Any]:
    out = {}
    for aq in attempt.questions.select_related("version").only(
        "question_id", "attempt_id", "version__type", "version__answer", "version__options"
    ):
        v = aq.version
        if rng.random() > ability:
            wrong = v.options[0]["id"] if v.options else ""
            out[str(aq.question_id)] = {"single": wrong, "multiple": [wrong], "judge": not v.answer, "blank": "错答"}[
                v.type
            ]
        else:
            out[str(aq.question_id)] = v.answer[0][0] if v.type == "blank" else v.answer
    return out


# --- the burst -------------------------------------------------------------------------------------------


def burst(world: dict[str, Any], members: int, threads: int, rng: random.Random) -> dict[str, Any]:
    from django.db import connection, transaction

    from dangjian.accounts.models import User
    from dangjian.exams import attempts
    from dangjian.exams.models import Attempt

    exam = new_exam(world, f"基准考试 {dt.datetime.now():%Y-%m-%d %H:%M:%S}")
    users = list(
        User.objects.filter(member__org_path__startswith=world["root"].path)
        .select_related("member")
        .order_by("id")[:members]
    )
    slices = [users[i::threads] for i in range(threads)]

    def start(i: int) -> None:
        r = random.Random(i)
        for u in slices[i]:
            attempts.attempt_start(exam=exam, user=u, rng=r)

    start_s = in_threads(threads, start)
    started = dict(Attempt.objects.filter(exam=exam).values_list("member__user_id", "id"))
    keys: dict[int, dict[str, Any]] = {}
    for u in users:
        keys[u.pk] = answer_key(Attempt.objects.get(pk=started[u.pk]), rng, ability=rng.uniform(0.3, 1.0))

    def save(i: int) -> None:
        for u in slices[i]:
            attempts.attempt_save_answers(attempt_id=started[u.pk], user=u, answers=keys[u.pk])

    def submit(i: int) -> None:
        for u in slices[i]:
            attempts.attempt_submit(attempt_id=started[u.pk], user=u)

    def trivial(i: int) -> None:
        with connection.cursor() as c:
            for u in slices[i]:
                with transaction.atomic():
                    c.execute("UPDATE exams_attempt SET saved_at = saved_at WHERE id = %s", [started[u.pk]])

    save_s = in_threads(threads, save)
    base_s = in_threads(threads, trivial)
    submit_s = in_threads(threads, submit)
    graded = Attempt.objects.filter(exam=exam, status="submitted").count()
    n = len(users)
    return {
        "members": n,
        "threads": threads,
        "starts_per_second": n / start_s,
        "autosaves_per_second": n / save_s,
        "submissions_per_second": n / submit_s,
        "baseline_per_second": n / base_s,
        "submit_ratio_to_baseline": base_s / submit_s,
        "graded": graded,
        "questions_per_attempt": sum(c for _t, c, _p in RULES),
    }


def submissions_ready(world: dict[str, Any], members: int, title: str) -> list[tuple[int, str]]:
    """A fresh exam that ``members`` members have started and answered (not timed), as in a real exam minutes
    before they submit: (attempt id, bearer token) for each, the token used once already."""
    from django.utils import timezone

    from dangjian.accounts.models import ApiToken, User
    from dangjian.accounts.services import api_token_issue
    from dangjian.exams import attempts
    from dangjian.exams.models import Attempt

    exam = new_exam(world, title)
    users = list(
        User.objects.filter(member__org_path__startswith=world["root"].path)
        .select_related("member")
        .order_by("id")[:members]
    )
    ApiToken.objects.filter(name="bench", expires_at__lt=timezone.now()).delete()  # earlier runs'
    tokens = {u.pk: api_token_issue(user=u, name="bench", days=1).plaintext for u in users}
    ids = {u.pk: attempts.attempt_start(exam=exam, user=u)[0].pk for u in users}
    ApiToken.objects.filter(user__in=users, name="bench", last_used_at=None).update(last_used_at=timezone.now())
    rng = random.Random(5)
    for u in users:
        attempts.attempt_save_answers(
            attempt_id=ids[u.pk], user=u, answers=answer_key(Attempt.objects.get(pk=ids[u.pk]), rng, 0.7)
        )
    return [(ids[u.pk], tokens[u.pk]) for u in users]


def http_burst(world: dict[str, Any], members: int, workers: int | None, concurrency: int) -> dict[str, Any]:
    """Submissions through a real server (gunicorn, as `make run` serves; bearer tokens; ninja; every middleware)
    against ``GET /healthz`` (one query) through the same server and client, in the same minute."""
    from bench import served
    from dangjian.exams.models import Attempt

    ready = submissions_ready(world, members, f"基准考试（HTTP） {dt.datetime.now():%Y-%m-%d %H:%M:%S}")
    hello = [served.request("GET", "/healthz")] * max(2000, members)
    submits = [
        served.request("POST", f"/api/v1/attempts/{pk}/submit", {"Authorization": f"Bearer {token}"})
        for pk, token in ready
    ]
    from django.db import connections

    connections.close_all()
    with served.served(workers) as port:
        served.drive(port, hello[:200], concurrency)  # warm-up: every worker loads the URL map and connects
        base = served.drive(port, hello, concurrency)
        run = served.drive(port, submits, concurrency)
    graded = Attempt.objects.filter(pk__in=[pk for pk, _t in ready], status="submitted").count()
    return {
        "members": len(ready),
        "workers": workers or os.cpu_count(),
        "concurrency": concurrency,
        "hello_per_second": base.per_second,
        "submissions_per_second": run.per_second,
        "ratio_to_hello": run.per_second / base.per_second,
        "statuses": dict(run.statuses),
        "all_graded": graded == len(ready),
        "hello_server_cpu_ms": base.server_cpu_ms,
        "submit_server_cpu_ms": run.server_cpu_ms,
        "submit_app_cpu_ms": run.app_cpu / run.requests * 1000,
        "submit_db_cpu_ms": run.db_cpu / run.requests * 1000,
        "client_cpu_ms": run.client_cpu / run.requests * 1000,
        # What the cores could serve if the load generator ran elsewhere: cores / server CPU per submission.
        "capacity_per_second": (os.cpu_count() or 2) * 1000 / run.server_cpu_ms if run.server_cpu_ms else None,
    }


# --- item analysis at scale -------------------------------------------------------------------------------


def analysis_at_scale(world: dict[str, Any], n_attempts: int, rng: random.Random) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from dangjian.exams import analysis
    from dangjian.exams.grading import score as grade
    from dangjian.exams.models import Attempt, AttemptQuestion, Question
    from dangjian.orgs.models import Member

    exam = new_exam(world, f"基准分析 {n_attempts:,} {dt.datetime.now():%H:%M:%S}")
    pools = {
        t: list(
            Question.objects.filter(bank=world["bank"], type=t).values_list(
                "id", "current_version_id", "current_version__answer", "current_version__options"
            )
        )
        for t, _c, _p in RULES
    }
    members = list(
        Member.objects.filter(org_path__startswith=world["root"].path).values_list("id", "org_id", "org_path")[:5000]
    )
    per_member = -(-n_attempts // len(members))
    t0 = time.perf_counter()
    now = timezone.now()
    made = 0
    while made < n_attempts:
        batch = []
        for _ in range(min(5000, n_attempts - made)):
            mid, oid, path = members[made % len(members)]
            batch.append(
                Attempt(
                    exam=exam,
                    member_id=mid,
                    org_id=oid,
                    org_path=path,
                    number=made // len(members) + 1,
                    status="submitted",
                    started_at=now,
                    deadline=now,
                    submitted_at=now,
                    max_score=Decimal(100),
                    counts=True,
                    answers={},
                )
            )
            made += 1
        Attempt.objects.bulk_create(batch, batch_size=5000)
        rows = []
        for a in batch:
            ability = rng.random()
            total = Decimal(0)
            slot = 0
            for t, c, p in RULES:
                for qid, vid, answer, options in rng.sample(pools[t], c):
                    right = rng.random() < ability
                    response = (answer[0][0] if t == "blank" else answer) if right else None
                    s = grade(points=Decimal(p), type=t, answer=answer, options=options, response=response)
                    rows.append(
                        AttemptQuestion(
                            attempt_id=a.pk,
                            question_id=qid,
                            version_id=vid,
                            slot=slot,
                            position=slot,
                            points=Decimal(p),
                            score=s,
                        )
                    )
                    total += s
                    slot += 1
            a.score, a.passed = total, total >= 60
        AttemptQuestion.objects.bulk_create(rows, batch_size=10000)
        Attempt.objects.bulk_update(batch, ["score", "passed"], batch_size=1000)
    build_s = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE exams_attempt; ANALYZE exams_attemptquestion")
    t0 = time.perf_counter()
    stats = analysis.exam_statistics(exam)
    stats_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    orgs = analysis.pass_rate_by_org(exam)
    kp = analysis.mastery(exam, by="org")
    extra_s = time.perf_counter() - t0
    return {
        "attempts": stats.n,
        "per_member": per_member,
        "items": len(stats.items),
        "build_seconds": build_s,
        "statistics_seconds": stats_s,
        "orgs_and_mastery_seconds": extra_s,
        "cic": stats.cic,
        "orgs": len(orgs),
        "mastery_rows": len(kp),
        "budget_seconds": 10,
        "verdict": "within budget" if stats_s + extra_s < 10 else "OVER budget",
    }


def report(data: dict[str, Any]) -> str:
    b, h, a = data["burst"], data["http"], data["analysis"]
    return "\n".join(
        [
            f"Dangjian exam bench — {data['vendor']}, {data['at']}, {data['machine']}",
            "",
            f"burst through the services: {b['members']:,} members × {b['questions_per_attempt']} questions, {b['threads']} processes",
            f"  starts       {b['starts_per_second']:>9,.0f} /s",
            f"  autosaves    {b['autosaves_per_second']:>9,.0f} /s   (all 20 answers in one save)",
            f"  submissions  {b['submissions_per_second']:>9,.0f} /s   graded {b['graded']:,}; baseline one-UPDATE transaction "
            f"{b['baseline_per_second']:,.0f}/s → ratio {b['submit_ratio_to_baseline']:.2f}",
            f"burst through HTTP (gunicorn, {h['workers']} sync workers; {h['concurrency']} connections from an asyncio client "
            f"on the same machine; bearer tokens): {h['members']:,} submissions",
            f"  submissions  {h['submissions_per_second']:>9,.0f} /s   GET /healthz {h['hello_per_second']:,.0f}/s → ratio "
            f"{h['ratio_to_hello']:.2f}; all graded: {h['all_graded']} {h['statuses']}  (budget ≥ 500/s on 2 cores, PostgreSQL)",
            f"  server CPU per submission {h['submit_server_cpu_ms']:.2f} ms (app {h['submit_app_cpu_ms']:.2f} + database "
            f"{h['submit_db_cpu_ms']:.2f}; /healthz {h['hello_server_cpu_ms']:.2f} ms; the client {h['client_cpu_ms']:.2f} ms) "
            f"→ capacity of these cores without the client {h['capacity_per_second'] or 0:,.0f}/s",
            "",
            f"item analysis: {a['attempts']:,} attempts, {a['items']} question versions (synthetic, built in {a['build_seconds']:.0f} s)",
            f"  statistics {a['statistics_seconds']:.2f} s + pass rate by org and mastery {a['orgs_and_mastery_seconds']:.2f} s "
            f"(budget < {a['budget_seconds']} s for 100,000): {a['verdict']}; CIC {a['cic'] or 0:.1f}%",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    members = 200 if args.quick and args.members == 1000 else args.members
    n_attempts = 10_000 if args.quick and args.analysis_attempts == 100_000 else args.analysis_attempts
    if not os.environ.get("DATABASE_URL"):
        (Path(__file__).resolve().parent.parent / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = (
            f"sqlite:///{Path(__file__).resolve().parent.parent / 'var' / 'bench_exams.sqlite3'}"
        )
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    import platform

    setup_django()
    from django.db import connection

    rng = random.Random(args.seed)
    world = ensure_world(members, rng, args.shared)
    data = {
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "burst": burst(world, members, args.threads, rng),
        "http": http_burst(world, members, args.workers, args.concurrency),
        "analysis": analysis_at_scale(world, n_attempts, rng),
    }
    print()
    print(report(data))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "exams.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
