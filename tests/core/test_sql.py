"""core.sql: plain statements for hot paths, checked against what the ORM reads back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dangjian.analytics.models import Fact
from dangjian.core import sql
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Org


def test_insert_converts_each_field_as_the_orm_would(cast):
    moment = timezone.now().replace(microsecond=123456)
    rows = [
        {
            "member_id": cast.member_a.pk,
            "org_id": cast.branch_a.pk,
            "org_path": cast.branch_a.path,
            "kind": "test.kind",
            "quantity": Decimal("2.50"),
            "occurred_at": moment,
            "source_type": "t",
            "source_id": str(i),
        }
        for i in range(3)
    ]
    assert sql.insert(Fact, rows) == []
    got = list(Fact.objects.filter(kind="test.kind").order_by("source_id"))
    assert [f.source_id for f in got] == ["0", "1", "2"]
    assert {(f.quantity, f.occurred_at, f.member_id) for f in got} == {(Decimal("2.50"), moment, cast.member_a.pk)}


def test_insert_returns_new_keys_in_order_and_writes_json(db):
    values = {
        "created_at": timezone.now(),
        "actor_id": None,
        "actor_name": "系统",
        "action": "test.json",
        "outcome": "success",
        "target_type": "",
        "target_id": "",
        "target_repr": "",
        "org_path": "",
        "ip": None,
        "user_agent": "",
        "before": None,
        "after": {"分数": "41.00", "list": [1, 2]},
    }
    pks = sql.insert(AuditEvent, [values, values | {"action": "test.json2"}], returning_pk=True)
    assert len(pks) == 2 and pks[0] < pks[1]
    assert AuditEvent.objects.get(pk=pks[0]).after == {"分数": "41.00", "list": [1, 2]}
    assert AuditEvent.objects.get(pk=pks[1]).action == "test.json2"


def test_insert_splits_batches_at_the_parameter_limit(cast, monkeypatch):
    monkeypatch.setattr(connection.features, "max_query_params", 16)  # two rows of eight columns per statement
    rows = [
        {
            "member_id": cast.member_a.pk,
            "org_id": cast.branch_a.pk,
            "org_path": cast.branch_a.path,
            "kind": "test.batch",
            "quantity": 1,
            "occurred_at": timezone.now(),
            "source_type": "",
            "source_id": str(i),
        }
        for i in range(5)
    ]
    assert len(sql.insert_statements(Fact, rows)) == 3
    sql.insert(Fact, rows)
    assert Fact.objects.filter(kind="test.batch").count() == 5


def test_a_name_that_is_not_a_column_is_refused(db):
    with pytest.raises(FieldDoesNotExist):
        sql.update_statement(AuditEvent, 1, {"nonexistent": 1})
    with pytest.raises(TypeError):  # a reverse relation has no column
        sql.insert_statements(Org, [{"posts": 1}])


def test_statements_run_together_and_instance_reads_back_as_the_orm(cast, django_assert_num_queries):
    member = cast.member_a
    later = timezone.now() + dt.timedelta(days=1)
    fact_id = Fact.objects.create(
        member_id=member.pk, org_id=member.org_id, org_path=member.org_path, kind="k", occurred_at=later
    ).pk
    statements = [
        sql.update_statement(Fact, fact_id, {"quantity": Decimal("7.25"), "kind": "k2"}),
        *sql.insert_statements(Fact, [{**_fact(member), "kind": "k3"}]),
    ]
    pipelined = []

    def note_pipeline(execute, text, params, many, context):
        pipelined.append(getattr(connection.connection, "_pipeline", None) is not None)
        return execute(text, params, many, context)

    with django_assert_num_queries(2), connection.execute_wrapper(note_pipeline):
        sql.execute_together(statements)
    # One round trip on PostgreSQL: both statements go out in one pipeline.
    assert pipelined == ([True, True] if connection.vendor == "postgresql" else [False, False])
    assert Fact.objects.get(pk=fact_id).quantity == Decimal("7.25")
    assert Fact.objects.filter(kind="k3").exists()
    columns, names = sql.select_list(Fact, "f", ("quantity", "id", "kind", "occurred_at"))  # any order
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {Fact._meta.db_table} f WHERE f.id = %s", [fact_id])
        fact = sql.instance(Fact, names, cursor.fetchone())
    assert (fact.pk, fact.quantity, fact.occurred_at, fact.kind) == (fact_id, Decimal("7.25"), later, "k2")
    assert fact.member_id == member.pk  # not selected: loaded on access, as with only()


def _broken_pair(member):
    """A valid INSERT followed by one that breaks a NOT NULL constraint."""
    return [
        *sql.insert_statements(Fact, [{**_fact(member), "kind": "kept?"}]),
        *sql.insert_statements(Fact, [{**_fact(member), "kind": None}]),
    ]


def test_a_failing_statement_undoes_the_others_and_raises_the_django_error(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.execute_together(_broken_pair(cast.member_a))
    assert not Fact.objects.filter(kind="kept?").exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_statements_get_one_of_their_own():
    from tests.factories import make_member, make_org

    member = make_member(make_org("独立党支部"))
    with pytest.raises(IntegrityError):
        sql.execute_together(_broken_pair(member))
    assert not Fact.objects.filter(kind="kept?").exists()
    sql.execute_together(_broken_pair(member)[:1])
    assert Fact.objects.filter(kind="kept?").count() == 1


def _fact(member):
    return {
        "member_id": member.pk,
        "org_id": member.org_id,
        "org_path": member.org_path,
        "kind": "k",
        "quantity": 1,
        "occurred_at": timezone.now(),
        "source_type": "",
        "source_id": "",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_hot_cursor_has_postgresql_prepare_a_statement_run_often(db):
    text = "SELECT %s::int + 1 AS prepared_probe"
    for i in range(6):
        with sql.hot_cursor() as cursor:
            cursor.execute(text, [i])
            assert cursor.fetchone()[0] == i + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%prepared_probe%"])
        assert cursor.fetchone()[0] == 1


def test_insert_new_writes_instances_with_their_defaults_and_gives_them_their_keys(cast):
    facts = [
        Fact(member_id=cast.member_a.pk, org_id=cast.branch_a.pk, org_path=cast.branch_a.path, kind=f"new{i}")
        for i in range(2)
    ]
    for f in facts:
        f.occurred_at = timezone.now()
    sql.insert_new(facts)
    assert all(f.pk and not f._state.adding for f in facts)
    stored = {f.pk: f for f in Fact.objects.filter(pk__in=[f.pk for f in facts])}
    assert [stored[f.pk].kind for f in facts] == ["new0", "new1"]
    assert stored[facts[0].pk].quantity == Decimal(1)  # the field's default, from the constructor


def test_an_insert_is_split_below_the_protocol_s_parameter_limit(cast, monkeypatch):
    """PostgreSQL states no limit in Django's features; parameters bound on the server still have one."""
    monkeypatch.setattr(type(connection.features), "max_query_params", None)
    monkeypatch.setattr(sql, "BOUND_PARAMS_MAX", 80)
    statements = sql.insert_statements(Fact, [_fact(cast.member_a)] * 25)  # 8 columns a row
    assert [len(params) for _text, params in statements] == [80, 80, 40]
