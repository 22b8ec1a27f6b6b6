import datetime as dt
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(y, m, d, hh, mm=0):
    """An aware datetime in China Standard Time."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def fact(cast):
    from dangjian.analytics.services import fact_record

    def make(kind, when, quantity=1, member=None):
        return fact_record(member=member or cast.member_a, kind=kind, quantity=quantity, occurred_at=when)

    return make
