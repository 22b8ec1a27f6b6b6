"""Load through a real server: gunicorn serving the app as `make run` does, driven by a small asyncio HTTP client.

``served()`` starts gunicorn on a free port (sync workers, one per core by default) against the database of
DATABASE_URL and stops it afterwards; ``drive()`` sends prepared requests over ``concurrency`` connections and
returns the rate with the CPU seconds that the server (gunicorn's processes and, when it runs on this machine,
PostgreSQL) and the client spent, read from /proc: on a machine shared with its own load generator the CPU per
request is the steadier figure, and ``2 cores / server CPU per request`` the server's capacity.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(workers: int | None = None) -> Iterator[int]:
    """gunicorn with ``workers`` sync workers (default: one per core) on a free port; yields the port."""
    port = _free_port()
    env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1", DEBUG="false")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "dangjian.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers or os.cpu_count() or 2),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _cpu_seconds(match: tuple[bytes, ...]) -> float:
    """CPU seconds of the processes whose command line contains one of ``match``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if any(m in cmd for m in match):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Run:
    requests: int
    seconds: float
    statuses: Counter[int]
    app_cpu: float
    db_cpu: float
    client_cpu: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu_ms(self) -> float:
        return (self.app_cpu + self.db_cpu) / self.requests * 1000


async def _worker(port: int, requests: list[bytes], statuses: Counter[int]) -> None:
    for raw in requests:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        response = await reader.read()  # HTTP/1.0: the server closes after the response
        writer.close()
        statuses[int(response.split(b" ", 2)[1])] += 1


def request(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.0", "Host: 127.0.0.1", "Content-Length: 0"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def drive(port: int, requests: list[bytes], concurrency: int = 8) -> Run:
    """Send ``requests`` over ``concurrency`` connections at once; the rate, the statuses and the CPU spent."""
    statuses: Counter[int] = Counter()
    slices = [requests[i::concurrency] for i in range(concurrency)]
    app0, db0, me0 = _cpu_seconds((b"gunicorn",)), _cpu_seconds((b"postgres",)), time.process_time()
    t0 = time.perf_counter()

    async def main() -> None:
        await asyncio.gather(*(_worker(port, s, statuses) for s in slices if s))

    asyncio.run(main())
    seconds = time.perf_counter() - t0
    return Run(
        requests=len(requests),
        seconds=seconds,
        statuses=statuses,
        app_cpu=_cpu_seconds((b"gunicorn",)) - app0,
        db_cpu=_cpu_seconds((b"postgres",)) - db0,
        client_cpu=time.process_time() - me0,
    )
