"""Learning benchmarks: heartbeat ingestion, search latency over 100,000 resources, recommendation quality.

    python -m bench.learning [--members N | --quick] [--resources 100000] [--beats 20000] [--threads 4]

Uses the same scale database as ``python -m bench`` (built by seed_demo, whose learning hook adds the library,
maps and a year of study records). Every timing comes with a baseline measured in the same run:

* heartbeats go through ``learning.studytime.heartbeat_record`` (the service the API calls) from N threads,
  each its own connection, for distinct members; the baseline is the cheapest write transaction there is (one
  single-row UPDATE and a commit) from the same threads;
* search runs ``learning.search.search`` over a separate group of 100,000 generated resources (its own org tree,
  created once and reused), as a branch secretary of that group (who sees them shared down the tree, as a
  member does) and as its committee admin; baseline SELECT 1 / pk;
* recommendation quality: ``learning.evaluation.evaluate_offline`` — precision@10 and recall@10 of the hybrid
  against a popularity ranking, on a time-based split of the demo history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.main import QUICK_MEMBERS, RESULTS, setup_django, summary, time_ms

BENCH_ORG = "基准测试集团党委"
QUERIES = [
    "党章",
    "二十大",
    "中国式现代化",
    "全面从严治党",
    "安全生产",
    "有限空间作业",
    "Python 数据分析",
    "AI 大模型应用",
    "三会一课",
    "主题党日",
    "组织生活会",
    "发展党员",
    "党费收缴",
    "廉洁",
    "中央八项规定",
    "遵义会议",
    "长征精神",
    "工匠精神",
    "客户沟通",
    "预算管理",
    "党章 义务",
    "二十大 高质量发展",
    "安全 规程",
    "python",
    "Excel 高效办公",
    "数据安全",
    "民主评议党员",
    "不存在的词语组合",
    "量子纠缠",
    "！？",
    "党史 故事 南湖红船",
]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.learning", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--members", type=int, default=QUICK_MEMBERS, help=f"scale of the demo database (default {QUICK_MEMBERS:,})"
    )
    p.add_argument("--quick", action="store_true", help="10,000 resources, 5,000 heartbeats")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--resources", type=int, default=100_000, help="generated resources searched (default 100,000)")
    p.add_argument("--beats", type=int, default=20_000, help="heartbeats sent (default 20,000)")
    p.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, 4, 8],
        help="concurrent senders, one connection each; one measurement per value (default 1 4 8)",
    )
    p.add_argument("--rebuild", action="store_true", help="passed to the database set-up of bench.main")
    return p.parse_args(argv)


# --- heartbeats ----------------------------------------------------------------------------------------


def _in_threads(threads: int, work: Any) -> float:
    """Run ``work(i)`` in ``threads`` threads (each with its own connection); seconds of wall time."""
    from django.db import connection

    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - t0


def heartbeat_rate(*, beats: int, threads: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from dangjian.learning.models import Resource, StudyProgress, StudySession
    from dangjian.learning.studytime import heartbeat_record
    from dangjian.orgs.models import ACTIVE_STATUSES, Member, Org

    root = Org.objects.filter(depth=1).exclude(name=BENCH_ORG).order_by("path").first()
    assert root is not None, "no demo enterprise: run seed_demo first"
    members = list(
        Member.objects.filter(status__in=ACTIVE_STATUSES, org_path__startswith=root.path)
        .only("id", "org_id", "org_path")
        .order_by("id")[: max(threads * 50, min(2000, beats // 5))]
    )
    resource = Resource.objects.create(
        org=root,
        org_path=root.path,
        kind="video",
        title="基准测试：心跳",
        duration=24 * 3600,
        status=Resource.Status.PUBLISHED,
    )
    ids = [m.pk for m in members]
    StudySession.objects.filter(member_id__in=ids).delete()
    rounds = max(2, beats // len(members))
    base_ms = int(time.time() * 1000)
    slices = [members[i::threads] for i in range(threads)]
    try:
        for m in members:  # open every stream (not timed): the timed beats are all accepted and credited
            heartbeat_record(member=m, resource=resource, position=0, playing=True, visible=True, now_ms=base_ms)

        def baseline(i: int) -> None:
            with connection.cursor() as c:
                for _r in range(rounds):
                    for m in slices[i]:
                        with transaction.atomic():
                            c.execute("UPDATE learning_studysession SET playing = playing WHERE member_id = %s", [m.pk])

        def send(i: int) -> None:
            for r in range(1, rounds + 1):
                for m in slices[i]:
                    heartbeat_record(
                        member=m,
                        resource=resource,
                        position=15.0 * r,
                        playing=True,
                        visible=True,
                        now_ms=base_ms + 15_000 * r,
                    )

        base_s = _in_threads(threads, baseline)
        beat_s = _in_threads(threads, send)
        n = rounds * len(members)
        credited = StudyProgress.objects.filter(resource=resource).values_list("study_ms", flat=True)
        exact = all(ms == rounds * 15_000 for ms in credited) and len(credited) == len(members)
    finally:
        resource.delete()
        StudySession.objects.filter(member_id__in=ids).delete()
    return {
        "beats": n,
        "threads": threads,
        "members": len(members),
        "seconds": beat_s,
        "per_second": n / beat_s,
        "baseline_per_second": n / base_s,
        "ratio_to_baseline": (n / beat_s) / (n / base_s),
        "all_credited_exactly": exact,
        "budget_per_second": 2000,
        "vendor": connection.vendor,
    }


# --- search ----------------------------------------------------------------------------------------------


def ensure_search_corpus(n: int, rng: random.Random) -> dict[str, Any]:
    """A separate group of ``n`` published articles (created once, reused while the count matches)."""
    from django.db import transaction

    from dangjian.accounts.models import OrgRole, User
    from dangjian.learning import search, textseg
    from dangjian.learning.demo_data import TOPICS
    from dangjian.learning.models import Resource
    from dangjian.orgs.models import Org

    root = Org.objects.filter(depth=1, name=BENCH_ORG).first()
    if root is None:
        root = Org.add_root(name=BENCH_ORG, kind=Org.Kind.COMMITTEE)
    branch = Org.objects.filter(path__startswith=root.path, kind=Org.Kind.BRANCH).first() or root.add_child(
        name="基准测试党支部", kind=Org.Kind.BRANCH
    )
    admin, _ = User.objects.get_or_create(username="bench_search_admin", defaults={"name": "基准测试管理员"})
    OrgRole.objects.get_or_create(user=admin, org=root, role=OrgRole.Role.COMMITTEE_ADMIN, ended_at=None)
    # A secretary of the bench branch sees the corpus the way a member does (shared down from the group) without
    # adding a member record: bench.main recognises its database by the member count.
    user, _ = User.objects.get_or_create(username="bench_search_secretary", defaults={"name": "基准测试书记"})
    OrgRole.objects.get_or_create(user=user, org=branch, role=OrgRole.Role.SECRETARY, ended_at=None)
    have = Resource.objects.filter(org_path__startswith=root.path).count()
    built = 0.0
    if have != n:
        t0 = time.perf_counter()
        with transaction.atomic():
            old = list(Resource.objects.filter(org_path__startswith=root.path).values_list("id", flat=True))
            for rid in old:
                search.unindex_resource(rid)
            Resource.objects.filter(pk__in=old).delete()
            seg: dict[str, str] = {}

            def s(text: str) -> str:
                if text not in seg:
                    seg[text] = textseg.segmented(text)
                return seg[text]

            now = dt.datetime.now(dt.UTC)
            for start in range(0, n, 5000):
                batch, docs = [], []
                for i in range(start, min(n, start + 5000)):
                    _cat, dim, _roles, _posts, patterns, subjects, sentences = TOPICS[rng.randrange(len(TOPICS))]
                    x = rng.choice(subjects)
                    title = rng.choice(patterns).format(x=x) + f"（第{i}期）"
                    paras = [rng.choice(sentences).format(x=rng.choice(subjects)) for _ in range(rng.randint(3, 8))]
                    batch.append(
                        Resource(
                            org=root,
                            org_path=root.path,
                            status="published",
                            kind="article",
                            title=title[:200],
                            summary=paras[0][:120],
                            body="".join(f"<p>{p}</p>" for p in paras),
                            duration=300,
                            dimension=dim,
                            published_at=now,
                        )
                    )
                    docs.append((s(title.split("（")[0]) + f" （ 第 {i} 期 ）", s(x), " ".join(s(p) for p in paras)))
                Resource.objects.bulk_create(batch)
                search.index_rows([(r.pk, t, k, b, "") for r, (t, k, b) in zip(batch, docs, strict=True)])
        built = time.perf_counter() - t0
    from dangjian.learning.demo_data import analyze

    analyze()
    return {"root": root, "admin": admin, "member": user, "resources": n, "built_seconds": built}


def search_latency(corpus: dict[str, Any], passes: int = 3) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from dangjian.core.scoping import clear_scope_cache
    from dangjian.learning import search

    out: dict[str, Any] = {}
    for label, user in (("branch_secretary", corpus["member"]), ("committee_admin", corpus["admin"])):
        user = get_user_model().objects.get(pk=user.pk)
        for q in QUERIES:  # warm-up: jieba, caches, plans
            search.search(user, q)
        times, counts = [], {}
        for _ in range(passes):
            for q in QUERIES:
                clear_scope_cache(user)
                for attr in ("_dangjian_learning_paths",):
                    if hasattr(user, attr):
                        delattr(user, attr)
                t0 = time.perf_counter_ns()
                _hits, count = search.search(user, q, limit=20)
                times.append((time.perf_counter_ns() - t0) / 1e6)
                counts[q] = count
        out[label] = summary(times) | {
            "max_count": max(counts.values()),
            "zero_hit_queries": sum(1 for c in counts.values() if c == 0),
        }
    return out


def search_baseline(runs: int = 300) -> dict[str, Any]:
    from django.db import connection

    from dangjian.learning.models import Resource

    def select1() -> None:
        with connection.cursor() as c:
            c.execute("SELECT 1")
            c.fetchone()

    ids = list(Resource.objects.order_by("?").values_list("id", flat=True)[:runs])
    s1 = [time_ms(select1) for _ in range(runs)]
    pk = [time_ms(lambda i=i: Resource.objects.filter(pk=i).first()) for i in ids]
    return {"select_1": summary(s1), "resource_by_pk": summary(pk)}


# --- report --------------------------------------------------------------------------------------------


def report(data: dict[str, Any]) -> str:
    hb, se, rq = data["heartbeats"], data["search"], data["recommendations"]
    s1 = data["baseline"]["select_1"]["p50"]
    lines = [
        f"Dangjian learning bench — {data['vendor']}, {data['members']:,} demo members, {data['at']}",
        "",
        "heartbeats through heartbeat_record (every beat accepted and credited; budget ≥ 2,000/s on PostgreSQL)",
        f"  {'threads':>9}{'beats':>9}{'members':>9}{'beats/s':>10}{'baseline/s':>12}{'ratio':>8}  exact",
    ]
    for h in hb:
        lines.append(
            f"  {h['threads']:>9}{h['beats']:>9,}{h['members']:>9,}{h['per_second']:>10,.0f}{h['baseline_per_second']:>12,.0f}"
            f"{h['ratio_to_baseline']:>8.2f}  {h['all_credited_exactly']}"
        )
    lines += [
        "  (baseline: a transaction of one single-row UPDATE from the same threads — the commit is most of the cost)",
        "",
        f"search over {se['resources']:,} resources ({len(QUERIES)} queries × passes){'':8}p50 ms   p95 ms  p95/SEL1",
    ]
    for who in ("branch_secretary", "committee_admin"):
        s = se[who]
        lines.append(f"  {who:44}{s['p50']:>9.2f}{s['p95']:>9.2f}{s['p95'] / s1:>10.0f}   (≤{s['max_count']:,} hits)")
    if rq:
        lines += [
            "",
            f"recommendations, time split at {rq['split_at']}: {rq['members']:,} members, {rq['train_rows']:,} train / {rq['test_rows']:,} test rows",
            f"  hybrid      precision@{rq['k']} {rq['hybrid_precision']:.3f}   recall@{rq['k']} {rq['hybrid_recall']:.3f}",
            f"  popularity  precision@{rq['k']} {rq['popularity_precision']:.3f}   recall@{rq['k']} {rq['popularity_recall']:.3f}",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    resources = 10_000 if args.quick and args.resources == 100_000 else args.resources
    beats = 5_000 if args.quick and args.beats == 20_000 else args.beats
    url, own = setup_django()
    from django.db import connection

    from bench import main as bench_main
    from dangjian.learning.evaluation import evaluate_offline
    from dangjian.learning.models import StudyProgress

    base_args = bench_main.parse(
        ["--members", str(args.members), "--seed", str(args.seed)] + (["--rebuild"] if args.rebuild else [])
    )
    bench_main.prepare_database(base_args, args.members, url, own)
    if not StudyProgress.objects.exists():
        print(
            "the database has no study records: rebuild it with seed_demo (its learning hook writes them)",
            file=sys.stderr,
        )
    rng = random.Random(args.seed)
    rec = evaluate_offline(k=10)
    hb = [heartbeat_rate(beats=beats, threads=t) for t in args.threads]
    corpus = ensure_search_corpus(resources, rng)
    data = {
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "members": args.members,
        "baseline": search_baseline(),
        "heartbeats": hb,
        "search": {"resources": resources, "built_seconds": corpus["built_seconds"], **search_latency(corpus)},
        "recommendations": rec.as_dict() if rec else None,
    }
    print()
    print(report(data))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "learning.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    print(f"\nwrote {Path(out).relative_to(Path(__file__).resolve().parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
