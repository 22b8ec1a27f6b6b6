"""The demo enterprise of ``manage.py seed_demo``: name lists, an org-tree planner, people generators and a
bulk seeder fast enough for 1,000,000 members (see :mod:`dangjian.orgs.demo.seeder`)."""

from .seeder import DEMO_PASSWORD, DEMO_USERNAMES, DemoContext, DemoSeeder, SeedResult, default_facts_per_member, seed

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERNAMES",
    "DemoContext",
    "DemoSeeder",
    "SeedResult",
    "default_facts_per_member",
    "seed",
]
