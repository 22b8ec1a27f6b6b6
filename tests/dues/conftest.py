import datetime as dt
from decimal import Decimal

import pytest

from dangjian.dues import services
from dangjian.dues.models import DuesBase


@pytest.fixture
def based(cast):
    """member_a and member_b have confirmed 2026 bases: 4500 → 45.00 and 12000 → 240.00."""
    services.base_set(
        member=cast.member_a,
        year=2026,
        from_month=1,
        category="in_service",
        base_amount=Decimal("4500"),
        acting_user=cast.secretary_a,
    )
    services.base_set(
        member=cast.member_b,
        year=2026,
        from_month=1,
        category="in_service",
        base_amount=Decimal("12000"),
        acting_user=cast.secretary_b,
    )
    return cast


def bills_for(member):
    return {b.period: b for b in member.dues_bills.all()}


@pytest.fixture
def may():
    return dt.date(2026, 5, 1)


__all__ = ["DuesBase", "bills_for"]
