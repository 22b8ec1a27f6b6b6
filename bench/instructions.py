"""Instructions per request in the app's own process, counted by valgrind: the figure that does not move with the
machine's mood, for comparing two versions of the hot path on a noisy machine.

    python -m bench.instructions [--requests 200] [--warm 50]

Rates on these shared 2-core machines move by a factor of two from one minute to the next; callgrind counts
instructions, which are the same for the same code, data and interpreter whatever else runs. Each count runs the
app in process (Django's WSGI handler, every middleware, ninja, bearer tokens; no gunicorn, no sockets) under
``valgrind --tool=callgrind`` three times, on fresh attempts of the exam bench's enterprise (``bench.exams``,
database of DATABASE_URL): warm-up only (``--warm`` /healthz calls and submissions: imports, the URL map,
prepared statements, the answer-key cache), warm-up + N /healthz, warm-up + N submissions. The differences over N
are the instructions per request; the database server's work is not in them (``bench.exams`` reads its CPU).
Needs valgrind (Debian package ``valgrind``); each run takes about a minute, mostly Django starting under it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.main import REPO, RESULTS, setup_django


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=200, help="requests counted per kind (default 200)")
    p.add_argument("--warm", type=int, default=50, help="requests of each kind before counting (default 50)")
    p.add_argument("--child", help=argparse.SUPPRESS)  # a JSON file of the run to make (under valgrind)
    return p.parse_args(argv)


# --- the counted process -------------------------------------------------------------------------------------


def _environ(method: str, path: str, token: str | None) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.0",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_LENGTH": "0",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    if token:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


def child(plan_file: str) -> int:
    """Serve the planned requests in process; exit 1 if any answer is not 200."""
    plan = json.loads(Path(plan_file).read_text())
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    setup_django()
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    bad: list[str] = []

    def call(method: str, path: str, token: str | None = None) -> None:
        def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
            if not status.startswith("200"):
                bad.append(f"{method} {path}: {status}")

        response = app(_environ(method, path, token), start_response)
        b"".join(response)
        response.close()

    for _ in range(plan["healthz"]):
        call("GET", "/healthz")
    for pk, token in plan["submissions"]:
        call("POST", f"/api/v1/attempts/{pk}/submit", token)
    if bad:
        print("\n".join(bad[:5]), file=sys.stderr)
        return 1
    return 0


# --- the counting parent -------------------------------------------------------------------------------------


def count(plan: dict[str, Any]) -> int:
    """Instructions of one run of ``plan`` under callgrind."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
    try:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                "-m",
                "bench.instructions",
                "--child",
                f.name,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONHASHSEED="0"),  # the same dict layouts, run to run
        )
    finally:
        os.unlink(f.name)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        sys.stderr.write(done.stderr[-3000:])
        raise RuntimeError("the counted run failed (see above)")
    return int(found.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        return child(args.child)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    import datetime as dt
    import random

    from bench import exams

    if not os.environ.get("DATABASE_URL"):
        (REPO / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{REPO / 'var' / 'bench_exams.sqlite3'}"
    setup_django()
    from django.db import connection, connections

    n, warm = args.requests, args.warm
    world = exams.ensure_world(max(1000, warm + n), random.Random(1), shared=False)
    stamp = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
    # Each run submits attempts nobody has submitted yet (submitting twice is a cheaper path).
    base = exams.submissions_ready(world, warm, f"基准指令计数 A {stamp}")
    with_hello = exams.submissions_ready(world, warm, f"基准指令计数 B {stamp}")
    with_submits = exams.submissions_ready(world, warm + n, f"基准指令计数 C {stamp}")
    vendor = connection.vendor
    connections.close_all()
    print(f"counting with callgrind on {vendor}: 3 runs of about a minute each …", flush=True)
    zero = count({"healthz": warm, "submissions": base})
    hello = (count({"healthz": warm + n, "submissions": with_hello}) - zero) / n
    submit = (count({"healthz": warm, "submissions": with_submits}) - zero) / n
    data = {
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "vendor": vendor,
        "requests": n,
        "healthz_instructions": round(hello),
        "submission_instructions": round(submit),
        "ratio": submit / hello,
    }
    print(
        f"instructions per request in the app's process ({vendor}, {n} of each after {warm} to warm up):\n"
        f"  GET /healthz                    {hello / 1e6:6.2f} M\n"
        f"  POST /api/v1/attempts/…/submit  {submit / 1e6:6.2f} M   ({submit / hello:.1f}× /healthz)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "instructions.json"
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
