"""The demo year of points, called by ``seed_demo`` after the other apps' hooks: convert every demo fact into the
ledger with the default rules (the same set-based job as production)."""

from __future__ import annotations

from typing import Any

from .services import points_convert


def seed_demo(ctx: Any) -> None:
    points_convert()
