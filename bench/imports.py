"""HR import benchmark: all-or-nothing import of N member rows, time and peak memory.

    python -m bench.imports [--rows 10000 100000]

Generates a roster CSV (valid rows, Chinese headers, one branch) and runs the same check + write the API runs
(`orgs.imports.members_import`) into the database of DATABASE_URL (default: the bench database), once per
size; the peak resident memory of the process during the import is sampled from /proc (cheap, unlike
tracemalloc, which slows Python several times), to show it stays flat in the row count (the file is read in a
stream, never held). Baseline in the same run: reading the same file with the csv module.
Budget (issue 3): 100,000 rows in < 60 s. The imported rows are deleted afterwards.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.main import RESULTS, setup_django

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
HEAD = ["工号", "姓名", "性别", "出生日期", "身份证号", "手机号", "学历", "部门", "所在党组织", "政治面貌", "入党日期"]


def _id_number(seq: int, birth: dt.date) -> str:
    body = f"659001{birth:%Y%m%d}{seq % 1000:03d}"  # an area code the demo does not use
    return body + C[sum(int(d) * w for d, w in zip(body, W, strict=True)) % 11]


def write_roster(path: Path, rows: int, branch: str, seed: int = 7) -> None:
    rng = random.Random(seed)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for i in range(rows):
            birth = dt.date(1965, 1, 1) + dt.timedelta(
                days=(i // 1000 * 37 + rng.randint(0, 36)) % 12000
            )  # (birth, seq) unique
            w.writerow(
                [
                    f"BI{i:07d}",
                    rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                    rng.choice("男女"),
                    birth.isoformat(),
                    _id_number(i, birth) if i % 3 == 0 else "",
                    f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
                    rng.choice(["本科", "大专", "硕士", "高中"]),
                    "生产部",
                    branch,
                    "中共党员",
                    (birth + dt.timedelta(days=9000)).isoformat(),
                ]
            )


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """Samples the resident set size every 20 ms in a thread; ``peak_over_start`` is the growth in MB."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def peak_over_start(self) -> float:
        return self.peak - self.start


class Upload:
    """What Django hands a view for an uploaded file on disk (name, size, file)."""

    def __init__(self, path: Path) -> None:
        self.name, self.size, self.file = path.name, path.stat().st_size, path.open("rb")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    p.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = p.parse_args(argv)
    setup_django()
    from django.db import connection

    from dangjian.accounts.models import OrgRole, User
    from dangjian.orgs.imports import members_import
    from dangjian.orgs.models import Member, Org

    branch = Org.objects.filter(kind=Org.Kind.BRANCH).order_by("path").first()
    if branch is None:
        raise SystemExit("no branch: run `python -m bench` (or seed_demo) first")
    user, _ = User.objects.get_or_create(username="bench_importer", defaults={"name": "导入基准"})
    OrgRole.objects.get_or_create(user=user, org=branch, role=OrgRole.Role.SECRETARY, ended_at=None)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"roster-{rows}.csv"
            write_roster(path, rows, branch.name)
            t0 = time.perf_counter()
            with path.open(encoding="utf-8") as fh:
                sum(1 for _ in csv.reader(fh))
            baseline = time.perf_counter() - t0
            upload = Upload(path)
            from dangjian.core.errors import DomainError

            with PeakRss() as rss:
                t0 = time.perf_counter()
                try:
                    counts = members_import(upload=upload, acting_user=user)
                except DomainError as exc:
                    raise SystemExit(f"the generated roster was refused: {exc.errors[:5]}") from exc
                finally:
                    upload.file.close()
                seconds = time.perf_counter() - t0
            peak = rss.peak_over_start * 2**20
            Member.objects.filter(employee_no__startswith="BI").delete()
            User.objects.filter(employee_no__startswith="BI").delete()
            results.append(
                {
                    "rows": rows,
                    "seconds": round(seconds, 2),
                    "rows_per_second": round(rows / seconds),
                    "peak_mb": round(peak / 2**20, 1),
                    "baseline_csv_read_seconds": round(baseline, 3),
                    "ratio": round(seconds / baseline, 1) if baseline else None,
                    "created": counts["created"],
                }
            )
            print(
                f"import {rows:>8,} rows ({connection.vendor}): {seconds:6.1f}s ({rows / seconds:,.0f}/s), memory growth "
                f"{peak / 2**20:6.1f} MB, {seconds / baseline:,.0f}× reading the CSV alone"
            )
    big = max(results, key=lambda r: r["rows"])
    projected = big["seconds"] * 100_000 / big["rows"]
    verdict = "within budget" if projected < 60 else "OVER budget"
    print(f"projected for 100,000 rows: {projected:.0f}s (budget 60 s) — {verdict}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "imports.json").write_text(
        json.dumps(
            {"vendor": connection.vendor, "runs": results, "projected_100k_s": round(projected, 1), "verdict": verdict},
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
