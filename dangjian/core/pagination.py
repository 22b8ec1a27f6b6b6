"""Paging for lists that may hold a million rows: the count stops at a cap ("10,000+"), because an exact
count of a whole group's members costs more than the page itself (bench: member list)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A Paginator whose ``count`` is exact up to ``cap`` and ``cap`` + 1 beyond (``count_capped`` says so)."""

    def __init__(self, object_list: Any, per_page: int, cap: int = COUNT_CAP, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        # Without the ORDER BY, the database may count along whichever index finds the rows fastest.
        return int(self.object_list.order_by()[: self.cap + 1].count())  # type: ignore[attr-defined]

    @property
    def count_capped(self) -> bool:
        return self.count > self.cap
