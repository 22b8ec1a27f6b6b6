"""manage.py seed_demo --members N --seed S [--if-empty]: a deterministic, realistic demo enterprise."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.orgs.demo import DEMO_PASSWORD, DEMO_USERNAMES, DemoSeeder, default_facts_per_member
from dangjian.orgs.demo.plan import MIN_MEMBERS
from dangjian.orgs.models import Org


class Command(BaseCommand):
    help = (
        "Load the demo enterprise: a group Party committee with subsidiaries, general branches, branches and groups, "
        "N members with a consistent Party record, the demo accounts and a year of facts. Same N and seed, same data. "
        "Then every app with a dangjian.<app>.demo_data module adds its year through seed_demo(ctx: DemoContext)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=2000, help="number of member records (default 2000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any organisation exists")
        parser.add_argument(
            "--facts-per-member",
            type=int,
            default=None,
            help="facts per member over the past year (default 15; fewer above 100,000 members)",
        )
        parser.add_argument(
            "--accounts",
            type=int,
            default=2000,
            help="member records among the first N that get a login (username = employee number)",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="the date the demo is built around (YYYY-MM-DD; default today), for exact reproduction",
        )
        parser.add_argument("--chunk-size", type=int, default=10_000, help="members per transaction (default 10000)")
        parser.add_argument(
            "--insert-mode",
            choices=["copy", "executemany", "orm"],
            default=None,
            help="how rows are written (default: COPY on PostgreSQL, executemany on SQLite)",
        )
        parser.add_argument(
            "--core-only",
            action="store_true",
            help="only the org tree, members, accounts and facts: skip the apps' demo_data.seed_demo hooks",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        if Org.objects.exists():
            if opts["if_empty"]:
                self.stdout.write("seed_demo: the database already has organisations; nothing to do.")
                return
            raise CommandError(
                "The database already has organisations: seed_demo needs an empty org tree (or use --if-empty)."
            )
        n = opts["members"]
        if n < MIN_MEMBERS:
            raise CommandError(f"--members must be at least {MIN_MEMBERS}.")
        if opts["insert_mode"] == "copy" and not _is_postgres():
            raise CommandError("--insert-mode copy needs PostgreSQL.")
        fpm = opts["facts_per_member"]
        fpm = default_facts_per_member(n) if fpm is None else fpm
        if fpm < 0:
            raise CommandError("--facts-per-member cannot be negative.")
        self.stdout.write(f"seed_demo: {n:,} members, seed {opts['seed']}, {fpm} facts per member…")
        seeder = DemoSeeder(
            members=n,
            seed=opts["seed"],
            today=opts["today"],
            facts_per_member=fpm,
            accounts=opts["accounts"],
            chunk_size=opts["chunk_size"],
            insert_mode=opts["insert_mode"],
            progress=not opts["no_progress"],
            app_hooks=not opts["core_only"],
            out=self.stdout,  # type: ignore[arg-type]
        )
        result = seeder.run()
        rows = ", ".join(f"{label.split('.')[-1]} {count:,}" for label, count in sorted(result.rows.items()))
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.phases.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_demo: {result.members:,} members in {result.seconds:.1f}s ({result.members_per_second:,.0f}/s); rows: {rows}"
            )
        )
        self.stdout.write(f"  phases: {phases}")
        self.stdout.write(f"  demo accounts ({', '.join(DEMO_USERNAMES)}), password {DEMO_PASSWORD}")


def _is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"
