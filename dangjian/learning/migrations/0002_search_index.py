"""The full-text index of resources: an FTS5 virtual table on SQLite, a table with a generated tsvector and a GIN
index on PostgreSQL (the 'simple' configuration over jieba-segmented, space-joined text). See learning/search.py.

No foreign key to learning_resource: Django's flush (TRUNCATE) must not trip over a table it does not know;
searches join the visible resources anyway, and a resource's row is overwritten when it is saved."""

from django.db import migrations


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that runs only on one database vendor."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        return self.__class__.__name__, [self.vendor, self.sql, self.reverse_sql], {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


SQLITE = [
    "CREATE VIRTUAL TABLE learning_search_fts USING fts5(title, keywords, body, extra, tokenize = 'unicode61')",
]

POSTGRESQL = [
    """
    CREATE TABLE learning_search_doc (
        resource_id bigint PRIMARY KEY,
        title text NOT NULL DEFAULT '',
        keywords text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        extra text NOT NULL DEFAULT '',
        tsv tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, title), 'A')
            || setweight(to_tsvector('simple'::regconfig, keywords), 'B')
            || setweight(to_tsvector('simple'::regconfig, body), 'C')
            || setweight(to_tsvector('simple'::regconfig, extra), 'D')
        ) STORED
    )
    """,
    "CREATE INDEX learning_search_doc_tsv ON learning_search_doc USING gin (tsv)",
]


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]

    operations = [
        VendorRunSQL("sqlite", SQLITE, ["DROP TABLE IF EXISTS learning_search_fts"]),
        VendorRunSQL("postgresql", POSTGRESQL, ["DROP TABLE IF EXISTS learning_search_doc"]),
    ]
