"""PostgreSQL: pattern-ops indexes so that subtree (path LIKE 'prefix%') and name-prefix searches use an index
whatever the database collation. Other databases skip this migration."""

from django.db import migrations

INDEXES = [
    ("member_path_pattern_idx", "orgs_member", "org_path varchar_pattern_ops, status, id"),
    ("member_name_pattern_idx", "orgs_member", "name varchar_pattern_ops"),
    ("member_pinyin_pattern_idx", "orgs_member", "name_pinyin varchar_pattern_ops"),
    ("member_initials_pattern_idx", "orgs_member", "name_initials varchar_pattern_ops"),
    ("org_path_pattern_idx", "orgs_org", "path varchar_pattern_ops"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, cols in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _cols in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
