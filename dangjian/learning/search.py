"""Chinese full-text search over resources: jieba-segmented text in SQLite FTS5 or a PostgreSQL tsvector.

Both backends store the same columns (title, keywords, body, and the search-mode sub-words for recall) as
space-joined jieba tokens; a query is segmented the same way and all of its words must match. Results are
ranked (FTS5 bm25 / ts_rank_cd, title weighted highest), limited to what the user may see, and highlighted:
the body's best fragment by FTS5 snippet() / ts_headline with private-use markers that become <mark> after
escaping, the title by marking the query's words in the original title.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from dangjian.core.scoping import is_global_admin

from . import textseg
from .models import Resource
from .selectors import resources_for_study

FTS_TABLE = "learning_search_fts"  # SQLite: FTS5 virtual table, rowid = resource id
PG_TABLE = "learning_search_doc"  # PostgreSQL: one row per resource with a generated, GIN-indexed tsvector
BODY_CHARS = 50_000
COUNT_CAP = 1000  # counting every match of a one-word query over 100,000 resources costs more than ranking them
HEADLINE_OPTIONS = f"StartSel={textseg.MARK_START}, StopSel={textseg.MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=…"


@dataclass
class Hit:
    resource: Resource
    title_html: str
    snippet_html: str
    rank: float


def _document(resource: Resource, tags: list[str], points: list[str]) -> tuple[str, str, str, str]:
    body = "\n".join(x for x in (resource.summary, textseg.html_to_text(resource.body), resource.transcript) if x)[
        :BODY_CHARS
    ]
    keywords = " ".join([*tags, *points, resource.category.name if resource.category_id and resource.category else ""])
    title, kw, text = textseg.segmented(resource.title), textseg.segmented(keywords), textseg.segmented(body)
    extra = textseg.extra_subwords(" ".join((resource.title, keywords, body)))
    return title, kw, text, extra


def index_resource(resource: Resource, *, tags: list[str] | None = None, points: list[str] | None = None) -> None:
    """(Re)write a resource's row in the index, in the caller's transaction."""
    if tags is None:
        tags = list(resource.tags.values_list("name", flat=True))
    if points is None:
        points = list(resource.knowledge_points.values_list("name", flat=True))
    title, kw, body, extra = _document(resource, tags, points)
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute(
                f"INSERT INTO {PG_TABLE} (resource_id, title, keywords, body, extra) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (resource_id) DO UPDATE SET title = EXCLUDED.title, keywords = EXCLUDED.keywords, "
                "body = EXCLUDED.body, extra = EXCLUDED.extra",
                [resource.pk, title, kw, body, extra],
            )
        else:
            c.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [resource.pk])
            c.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, title, keywords, body, extra) VALUES (%s, %s, %s, %s, %s)",
                [resource.pk, title, kw, body, extra],
            )


def index_rows(rows: list[tuple[int, str, str, str, str]]) -> None:
    """Bulk index already segmented rows (resource id, title, keywords, body, extra): demo data and benchmarks."""
    if not rows:
        return
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.executemany(
                f"INSERT INTO {PG_TABLE} (resource_id, title, keywords, body, extra) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (resource_id) DO UPDATE SET title = EXCLUDED.title, keywords = EXCLUDED.keywords, "
                "body = EXCLUDED.body, extra = EXCLUDED.extra",
                rows,
            )
        else:
            c.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(r[0],) for r in rows])
            c.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, keywords, body, extra) VALUES (%s, %s, %s, %s, %s)", rows
            )


def unindex_resource(resource_id: int) -> None:
    with connection.cursor() as c:
        table, key = (PG_TABLE, "resource_id") if connection.vendor == "postgresql" else (FTS_TABLE, "rowid")
        c.execute(f"DELETE FROM {table} WHERE {key} = %s", [resource_id])


def _visible_where(user: Any) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of the resources the user may study, on the unaliased learning_resource table.

    Joining each match to its resource row and testing this clause is much cheaper than materialising every
    visible id first (the library may hold 100,000 resources)."""
    qs = (
        Resource.objects.filter(status=Resource.Status.PUBLISHED)
        if is_global_admin(user)
        else resources_for_study(user)
    ).order_by()
    compiler = qs.query.get_compiler(connection=connection)
    sql, params = qs.query.where.as_sql(compiler, connection)
    joined = [a for a, n in qs.query.alias_refcount.items() if n and a != Resource._meta.db_table]
    if joined:  # the clause needs a join: fall back to a subquery
        inner, inner_params = qs.values("id").query.sql_with_params()
        return f"learning_resource.id IN ({inner})", tuple(inner_params)
    return sql or "1 = 1", tuple(params)


def _fts_query(words: list[str]) -> str:
    # Each word a quoted FTS5 string (quotes doubled), implicitly ANDed: no query syntax reaches FTS5.
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def search(user: Any, q: str, *, offset: int = 0, limit: int = 20) -> tuple[list[Hit], int]:
    """Ranked, highlighted resources matching every word of ``q`` that the user may study, and how many match
    (``COUNT_CAP`` + 1 meaning "more than COUNT_CAP"); ([], 0) when ``q`` holds no word at all (empty, spaces,
    punctuation only). Pages beyond the cap are not served."""
    words = list(dict.fromkeys(textseg.tokens(q)))[:12]
    if not words or offset >= COUNT_CAP:
        return [], 0
    visible_sql, visible_params = _visible_where(user)
    if connection.vendor == "postgresql":
        rows, count = _search_pg(words, visible_sql, visible_params, offset, limit)
    else:
        rows, count = _search_sqlite(words, visible_sql, visible_params, offset, limit)
    by_id = Resource.objects.select_related("category", "org").in_bulk([r[0] for r in rows])
    hits = [
        Hit(by_id[rid], textseg.highlight(by_id[rid].title, words), textseg.marked_html(snippet), rank)
        for rid, rank, snippet in rows
        if rid in by_id
    ]
    return hits, count


def _search_sqlite(
    words: list[str], visible_sql: str, visible_params: tuple[Any, ...], offset: int, limit: int
) -> tuple[list[Any], int]:
    match = _fts_query(words)
    base = (
        f"FROM {FTS_TABLE} JOIN learning_resource ON learning_resource.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH %s AND ({visible_sql})"
    )
    with connection.cursor() as c:
        c.execute(f"SELECT count(*) FROM (SELECT 1 {base} LIMIT {COUNT_CAP + 1}) x", [match, *visible_params])
        count = c.fetchone()[0]
        if not count:
            return [], 0
        c.execute(
            f"SELECT {FTS_TABLE}.rowid, bm25({FTS_TABLE}, 10.0, 4.0, 1.0, 0.5) AS score {base} "
            f"ORDER BY score, {FTS_TABLE}.rowid DESC LIMIT %s OFFSET %s",
            [match, *visible_params, limit, offset],
        )
        ranked = c.fetchall()
        if not ranked:
            return [], count
        ids = [r[0] for r in ranked]
        marks = (f"'{textseg.MARK_START}'", f"'{textseg.MARK_END}'")
        c.execute(
            f"SELECT rowid, snippet({FTS_TABLE}, 2, {marks[0]}, {marks[1]}, '…', 24) "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({', '.join(['%s'] * len(ids))})",
            [match, *ids],
        )
        marked = dict(c.fetchall())
    return [(rid, -score, marked.get(rid, "")) for rid, score in ranked], count


def _search_pg(
    words: list[str], visible_sql: str, visible_params: tuple[Any, ...], offset: int, limit: int
) -> tuple[list[Any], int]:
    query = " ".join(words)
    base = (
        f"FROM {PG_TABLE} d JOIN learning_resource ON learning_resource.id = d.resource_id, plainto_tsquery('simple', %s) q "
        f"WHERE d.tsv @@ q AND ({visible_sql})"
    )
    with connection.cursor() as c:
        c.execute(f"SELECT count(*) FROM (SELECT 1 {base} LIMIT {COUNT_CAP + 1}) x", [query, *visible_params])
        count = c.fetchone()[0]
        if not count:
            return [], 0
        c.execute(
            "SELECT p.resource_id, p.score, ts_headline('simple', d.body, q, %s) "
            f"FROM (SELECT d.resource_id, ts_rank_cd(d.tsv, q) AS score {base} ORDER BY score DESC, d.resource_id DESC LIMIT %s OFFSET %s) p "
            f"JOIN {PG_TABLE} d ON d.resource_id = p.resource_id, plainto_tsquery('simple', %s) q ORDER BY p.score DESC, p.resource_id DESC",
            [HEADLINE_OPTIONS, query, *visible_params, limit, offset, query],
        )
        rows = c.fetchall()
    return [(rid, float(score), snippet) for rid, score, snippet in rows], count
