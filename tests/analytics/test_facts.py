"""Facts: what members did, recorded by every module; partitioned by month on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dangjian.analytics.models import Fact, FactKind
from dangjian.analytics.services import fact_record, facts_record_bulk
from dangjian.analytics.tasks import ensure_fact_partitions, fact_partitions_ensure

CST = dt.timezone(dt.timedelta(hours=8))


def test_it_records_the_member_s_branch_and_the_source(cast):
    fact = fact_record(member=cast.member_a, kind=FactKind.TASK_DONE, quantity=2, source=cast.member_a_user)
    fact = Fact.objects.get(pk=fact.pk)
    assert (fact.member_id, fact.org_id, fact.org_path) == (cast.member_a.pk, cast.branch_a.pk, cast.branch_a.path)
    assert (fact.source_type, fact.source_id) == ("accounts.user", str(cast.member_a_user.pk))
    assert fact.quantity == Decimal("2.00")
    assert abs(fact.occurred_at - timezone.now()) < dt.timedelta(minutes=1)


def test_it_records_at_another_org_and_time(cast):
    when = dt.datetime(2025, 7, 1, 9, 30, tzinfo=CST)
    fact = fact_record(
        member=cast.member_a,
        kind=FactKind.VOLUNTEER_HOURS,
        quantity=1.5,
        org=cast.group_a1,
        occurred_at=when,
        source=("activities.activity", 42),
    )
    fact = Fact.objects.get(pk=fact.pk)
    assert (fact.org_id, fact.org_path) == (cast.group_a1.pk, cast.group_a1.path)
    assert (fact.source_type, fact.source_id) == ("activities.activity", "42")
    assert fact.quantity == Decimal("1.50")
    assert fact.occurred_at == when


def test_it_is_part_of_the_caller_s_transaction(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        fact_record(member=cast.member_a, kind=FactKind.LOGIN)
        raise RuntimeError
    assert not Fact.objects.exists()


def test_facts_insert_and_read_back_across_months(cast):
    """Before 2020 (the DEFAULT partition on PostgreSQL), inside the monthly partitions and after 2031."""
    moments = [
        dt.datetime(2019, 5, 1, tzinfo=CST),
        dt.datetime(2024, 1, 31, 23, 59, tzinfo=CST),
        dt.datetime(2024, 2, 1, 0, 0, tzinfo=CST),
        dt.datetime(2035, 3, 1, tzinfo=CST),
    ]
    rows = [
        {
            "member_id": cast.member_b.pk,
            "org_id": cast.branch_b.pk,
            "org_path": cast.branch_b.path,
            "kind": FactKind.STUDY_SECONDS,
            "quantity": Decimal(600),
            "occurred_at": m,
        }
        for m in moments
    ]
    assert facts_record_bulk(rows) == 4
    stored = Fact.objects.filter(member_id=cast.member_b.pk).order_by("occurred_at")
    assert [f.occurred_at for f in stored] == moments
    assert len({f.pk for f in stored}) == 4
    assert Fact.objects.filter(org_path__startswith=cast.company_b.path, occurred_at__year=2024).count() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="table partitioning is a PostgreSQL feature; SQLite keeps one table"
)
def test_the_facts_table_is_partitioned_by_month_on_postgresql(cast):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.partstrat, a.attname FROM pg_partitioned_table p"
            " JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]"
            " WHERE p.partrelid = 'analytics_fact'::regclass"
        )
        assert cursor.fetchone() == ("r", "occurred_at")
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'analytics_fact'::regclass")
        assert cursor.fetchone()[0] == 12 * 12 + 1  # 2020-01 … 2031-12 and DEFAULT
    early = fact_record(
        member=cast.member_a, kind=FactKind.LOGIN, occurred_at=dt.datetime(2019, 12, 31, 23, 0, tzinfo=CST)
    )
    in_may = fact_record(
        member=cast.member_a, kind=FactKind.LOGIN, occurred_at=dt.datetime(2026, 5, 1, 0, 0, tzinfo=CST)
    )
    late_april = fact_record(
        member=cast.member_a, kind=FactKind.LOGIN, occurred_at=dt.datetime(2026, 4, 30, 23, 59, tzinfo=CST)
    )
    assert _partition_of(early) == "analytics_fact_default"
    assert _partition_of(in_may) == "analytics_fact_p202605"  # months are China Standard Time months
    assert _partition_of(late_april) == "analytics_fact_p202604"
    assert Fact.objects.get(pk=in_may.pk).occurred_at == dt.datetime(2026, 5, 1, tzinfo=CST)


def _partition_of(fact: Fact) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM analytics_fact WHERE id = %s", [fact.pk])
        return cursor.fetchone()[0]


def test_the_partition_task_keeps_24_months_ahead(cast):
    """GIVEN the partitions made by the migration (to 2031-12) WHEN the task runs in June 2031
    THEN on PostgreSQL it adds 2032-01 … 2033-05, once; on SQLite it does nothing."""
    created = fact_partitions_ensure(today=dt.date(2031, 6, 15))
    again = fact_partitions_ensure(today=dt.date(2031, 6, 15))
    if connection.vendor != "postgresql":
        assert created == again == []
        return
    assert created == [
        f"analytics_fact_p{y}{m:02d}" for y, m in [(2032, i) for i in range(1, 13)] + [(2033, i) for i in range(1, 6)]
    ]
    assert again == []
    fact = fact_record(member=cast.member_a, kind=FactKind.LOGIN, occurred_at=dt.datetime(2033, 5, 31, 12, tzinfo=CST))
    assert _partition_of(fact) == "analytics_fact_p203305"


def test_the_periodic_task_runs(cast):
    assert isinstance(ensure_fact_partitions.call_local(), list)
