"""PostgreSQL: org_path compares byte by byte (collation "C"), as materialized paths should. Then a plain btree
on it serves both a subtree prefix (LIKE 'p%') and ORDER BY org_path, so a page of a million-member list
is read in index order and the scan stops after the page. SQLite compares bytes already."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('ALTER TABLE orgs_member ALTER COLUMN org_path TYPE varchar(255) COLLATE "C"')
    schema_editor.execute("ANALYZE orgs_member")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('ALTER TABLE orgs_member ALTER COLUMN org_path TYPE varchar(255) COLLATE "default"')


class Migration(migrations.Migration):
    dependencies = [("orgs", "0004_list_order_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
