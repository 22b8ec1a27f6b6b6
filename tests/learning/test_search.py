"""Chinese full-text search (FTS5 on SQLite, tsvector + GIN on PostgreSQL): ranked, highlighted, scoped."""

import pytest

from dangjian.learning import search
from dangjian.learning.models import Resource

from ..conftest import login
from .conftest import make_resource


def titles(hits):
    return [h.resource.title for h in hits]


def test_search_for_the_party_charter_ranks_the_title_match_first(lib):
    make_resource(lib, title="廉洁从业警示教育", body="<p>要把党章作为廉洁自律的根本遵循。</p>")
    hits, count = search.search(lib.member_a_user, "党章")
    assert count == 2
    assert titles(hits)[0] == "学习党章：党员的义务"  # title beats body
    assert "<mark>党章</mark>" in hits[0].title_html
    assert "<mark>党章</mark>" in hits[1].snippet_html
    assert "乙支部" not in " ".join(titles(hits))  # branch B's material is not visible to member A


def test_search_for_the_twentieth_congress_finds_the_transcript(lib):
    hits, count = search.search(lib.member_a_user, "二十大")
    assert count == 1 and titles(hits) == ["二十大精神专题辅导"]
    hits, _ = search.search(lib.member_a_user, "中国式现代化")  # only in the video's transcript
    assert titles(hits) == ["二十大精神专题辅导"] and "<mark>" in hits[0].snippet_html


def test_mixed_chinese_and_english(lib):
    for q in ("Python 入门", "python数据分析", "PANDAS"):
        hits, _ = search.search(lib.member_a_user, q)
        assert titles(hits) == ["Python 数据分析入门"], q


@pytest.mark.parametrize(
    "q", ["", "   ", "！？。，、", "...", "()*&^%$#@!", '"', "'", "-- ;", "\x00", "AND OR NOT", "《》「」"]
)
def test_empty_or_punctuation_only_queries_give_nothing_not_an_error(lib, q):
    hits, count = search.search(lib.member_a_user, q)
    if q.strip() == "AND OR NOT":
        assert count == 0  # words, but no resource has them
    else:
        assert (hits, count) == ([], 0)


def test_fts_syntax_in_a_query_is_just_text(lib):
    for q in ("党章 OR 二十大", "党章*", "title:党章", '"党章', "NEAR(党章 义务)"):
        _hits, count = search.search(lib.member_a_user, q)
        assert count <= 2, q


def test_drafts_and_other_branches_are_not_found(lib):
    draft = Resource.objects.create(org=lib.branch_a, org_path=lib.branch_a.path, kind="article", title="党章草稿")
    search.index_resource(draft)
    hits, _ = search.search(lib.member_a_user, "党章")
    assert "党章草稿" not in titles(hits)
    hits, _ = search.search(lib.secretary_b, "党章")
    assert "乙支部党章学习材料（内部）" in titles(hits) and "党章草稿" not in titles(hits)


def test_highlight_escapes_html(lib):
    make_resource(lib, title="<b>党章</b> & 党纪", body="<p>&lt;script&gt;党章&lt;/script&gt;</p>")
    hits, _ = search.search(lib.member_a_user, "党纪")
    assert "&lt;b&gt;" in hits[0].title_html and "<b>" not in hits[0].title_html


def test_paging(lib):
    for i in range(25):
        make_resource(lib, title=f"党史故事第{i}讲")
    first, count = search.search(lib.member_a_user, "党史", limit=20)
    second, _ = search.search(lib.member_a_user, "党史", offset=20, limit=20)
    assert count == 25 and len(first) == 20 and len(second) == 5
    assert not set(titles(first)) & set(titles(second))


def test_search_screen_and_api(client, lib):
    login(client, lib.member_a_user)
    page = client.get("/learning/search/", {"q": "党章"})
    assert page.status_code == 200 and "<mark>党章</mark>" in page.content.decode()
    assert client.get("/learning/search/", {"q": "？！"}).status_code == 200
    assert client.get("/learning/search/", {"q": "党" * 201}).status_code == 400
    api = client.get("/api/v1/learning/search", {"q": "二十大"}).json()
    assert api["count"] == 1 and "<mark>" in api["items"][0]["title_html"]
    assert client.get("/api/v1/learning/search", {"q": "。。。"}).json() == {"items": [], "count": 0, "more": False}
    bad = client.get("/api/v1/learning/search", {"q": "x" * 300, "page": 0})
    assert bad.status_code == 400 and {"q", "page"} <= {e["field"] for e in bad.json()["errors"]}


def test_counts_stop_at_the_cap(lib, monkeypatch, client):
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    for i in range(5):
        make_resource(lib, title=f"党课第{i}讲")
    hits, count = search.search(lib.member_a_user, "党课", limit=2)
    assert count == 4 and len(hits) == 2  # "more than 3"
    assert search.search(lib.member_a_user, "党课", offset=3) == ([], 0)
    login(client, lib.member_a_user)
    api = client.get("/api/v1/learning/search", {"q": "党课"}).json()
    assert api["more"] is True and api["count"] == 3
