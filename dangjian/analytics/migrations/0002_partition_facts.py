"""PostgreSQL only: turn analytics_fact into a table partitioned by month of occurred_at (DESIGN.md "Facts").

The model does not change (Django still sees ``id`` as the key); the table becomes
``PARTITION BY RANGE (occurred_at)`` with ``PRIMARY KEY (id, occurred_at)`` (a partitioned table's unique
keys must contain the partition key), the columns and indexes of 0001, monthly partitions
``analytics_fact_pYYYYMM`` from 2020-01 to 2031-12 and a DEFAULT partition for anything outside them.
Months are calendar months in China Standard Time. Existing rows are copied across, so this is safe on a
database that already holds facts. Later months are added by ``analytics.tasks.fact_partitions_ensure``.
On SQLite nothing happens.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations

# Kept here (not imported) so that this migration never changes; analytics.partitions uses the same values.
PARTITION_TIME_ZONE = ZoneInfo("Asia/Shanghai")
FIRST_MONTH = (2020, 1)
LAST_MONTH = (2031, 12)
COLUMNS = "id, org_path, kind, quantity, occurred_at, source_type, source_id, member_id, org_id"
COLUMN_DDL = """
    id bigint NOT NULL,
    org_path varchar(255) NOT NULL,
    kind varchar(48) NOT NULL,
    quantity numeric(14, 2) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    source_type varchar(64) NOT NULL,
    source_id varchar(64) NOT NULL,
    member_id bigint NOT NULL,
    org_id bigint NOT NULL
"""
# The indexes 0001 creates (names as Django generated them, so later schema changes find them).
INDEXES = [
    ("analytics_fact_member_id_b9fb6481", "member_id"),
    ("analytics_fact_org_id_b2316b8b", "org_id"),
    ("fact_org_kind_time", "org_path, kind, occurred_at"),
    ("fact_member_kind_time", "member_id, kind, occurred_at"),
]


def _months(first, last):
    year, month = first
    while (year, month) <= last:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _bound(year, month):
    if month == 13:
        year, month = year + 1, 1
    return dt.datetime(year, month, 1, tzinfo=PARTITION_TIME_ZONE).isoformat()


def _is_partitioned(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('analytics_fact')")
        return cursor.fetchone() is not None


def _rebuild(schema_editor, *, partitioned):
    """Build the new table beside the old one, copy the rows, then swap names."""
    run = schema_editor.execute
    run("CREATE SEQUENCE analytics_fact_new_id_seq AS bigint")
    if partitioned:
        run(f"CREATE TABLE analytics_fact_new ({COLUMN_DDL}, CONSTRAINT analytics_fact_new_pkey PRIMARY KEY (id, occurred_at))"
            " PARTITION BY RANGE (occurred_at)")
        for year, month in _months(FIRST_MONTH, LAST_MONTH):
            run(f"CREATE TABLE analytics_fact_p{year:04d}{month:02d} PARTITION OF analytics_fact_new"
                f" FOR VALUES FROM ('{_bound(year, month)}') TO ('{_bound(year, month + 1)}')")
        run("CREATE TABLE analytics_fact_default PARTITION OF analytics_fact_new DEFAULT")
    else:
        run(f"CREATE TABLE analytics_fact_new ({COLUMN_DDL}, CONSTRAINT analytics_fact_new_pkey PRIMARY KEY (id))")
    run("ALTER TABLE analytics_fact_new ALTER COLUMN id SET DEFAULT nextval('analytics_fact_new_id_seq')")
    run(f"INSERT INTO analytics_fact_new ({COLUMNS}) SELECT {COLUMNS} FROM analytics_fact")
    run("SELECT setval('analytics_fact_new_id_seq', COALESCE((SELECT max(id) FROM analytics_fact_new), 0) + 1, false)")
    run("DROP TABLE analytics_fact")
    run("ALTER TABLE analytics_fact_new RENAME TO analytics_fact")
    run("ALTER TABLE analytics_fact RENAME CONSTRAINT analytics_fact_new_pkey TO analytics_fact_pkey")
    run("ALTER SEQUENCE analytics_fact_new_id_seq RENAME TO analytics_fact_id_seq")
    # Owned by the column: dropped with the table, and found by pg_get_serial_sequence (sequence resets).
    run("ALTER SEQUENCE analytics_fact_id_seq OWNED BY analytics_fact.id")
    for name, columns in INDEXES:
        run(f"CREATE INDEX {name} ON analytics_fact ({columns})")


def partition_facts(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or _is_partitioned(schema_editor):
        return
    _rebuild(schema_editor, partitioned=True)


def unpartition_facts(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not _is_partitioned(schema_editor):
        return
    _rebuild(schema_editor, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]
    operations = [migrations.RunPython(partition_facts, unpartition_facts, elidable=False)]
