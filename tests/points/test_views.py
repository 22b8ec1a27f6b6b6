"""Points screens: my points and their sources, the branch board (persons only where turned on), rules; scope."""

import datetime as dt
from decimal import Decimal

from dangjian.analytics.models import FactKind
from dangjian.points import selectors, services
from dangjian.points.models import PointsBoardSetting, PointsEntry, PointsRule

from ..conftest import login
from ..factories import UserFactory, make_member
from .conftest import local


def test_member_sees_points_and_where_they_came_from(client, cast, fact):
    meeting = fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, 9))
    fact(FactKind.DUES_PAID_ON_TIME, local(2026, 5, 2, 9))
    services.points_convert()
    login(client, cast.member_a_user)
    page = client.get("/points/", {"year": 2026})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="points-history"' in html
    assert page.context["year_total"] == Decimal("10.00") and {k["kind"] for k in page.context["by_kind"]} == {
        "meeting.attended",
        "dues.paid_on_time",
    }
    entry = PointsEntry.objects.get(kind=FactKind.MEETING_ATTENDED)
    facts = client.get(f"/points/entries/{entry.pk}/")
    assert facts.status_code == 200 and list(facts.context["facts"]) == [meeting]
    login(client, cast.secretary_b)
    assert client.get(f"/points/entries/{entry.pk}/").status_code == 404
    assert client.get("/points/").status_code == 404  # no member record
    assert client.get("/points/", {"year": "abc"}).status_code == 404


def test_branch_board_and_persons_only_where_turned_on(client, cast, fact):
    other = make_member(cast.branch_a, user=UserFactory(), name="王五")
    fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, 9))
    fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, 9), member=other)
    fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, 9), member=cast.member_b)
    services.points_convert()
    rows = selectors.branch_board(cast.group, since=dt.date(2026, 1, 1), until=dt.date(2027, 1, 1))
    # The orgs right under the group, each with its subtree: Company A 10 points over 2 active members = 5 a head;
    # Company B 5 over 1 = 5 — tied at rank 1.
    assert {(r["name"], r["per_head"], r["rank"]) for r in rows} == {
        ("甲公司党委", Decimal("5"), 1),
        ("乙公司党委", Decimal("5"), 1),
    }
    rows = selectors.branch_board(cast.company_a, since=dt.date(2026, 1, 1), until=dt.date(2027, 1, 1))
    assert [(r["name"], r["total"], r["earners"], r["size"]) for r in rows] == [
        ("甲公司第一党支部", Decimal("10.00"), 2, 2)
    ]
    login(client, cast.member_a_user)
    board = client.get("/points/board/", {"year": 2026})
    assert board.status_code == 200 and board.context["persons"] is None and "王五" not in board.content.decode()
    assert board.context["root"] == cast.company_a  # Branch A among its sister branches
    assert client.post("/points/board/persons/", {"org": cast.branch_a.pk, "show": "1"}).status_code == 404
    assert not PointsBoardSetting.objects.exists()
    login(client, cast.secretary_a)
    assert client.post("/points/board/persons/", {"org": cast.branch_a.pk, "show": "1"}).status_code == 302
    login(client, cast.member_a_user)
    board = client.get("/points/board/", {"year": 2026})
    assert [p["name"] for p in board.context["persons"]] == ["张三", "王五"] or [
        p["name"] for p in board.context["persons"]
    ] == ["王五", "张三"]
    assert "李四" not in board.content.decode()  # only the member's own branch


def test_committee_board_query_count_does_not_grow(client, cast, fact, django_assert_max_num_queries):
    for i in range(5):
        m = make_member(cast.branch_a, user=UserFactory())
        fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1 + i, 9), member=m)
    services.points_convert()
    login(client, cast.committee)
    with django_assert_max_num_queries(16):
        response = client.get("/points/board/", {"year": 2026, "org": cast.group.pk})
    assert response.status_code == 200 and len(response.context["persons"]) == 5
    assert client.get("/points/board/", {"org": cast.branch_b.pk}).status_code == 200
    login(client, cast.secretary_a)
    assert client.get("/points/board/", {"org": cast.branch_b.pk}).status_code == 404


def test_rules_screen_for_top_committee_only_with_field_errors(client, cast):
    login(client, cast.secretary_a)
    assert client.get("/points/rules/").status_code == 404
    login(client, cast.committee)
    assert client.get("/points/rules/").status_code == 200
    bad = client.post(
        "/points/rules/",
        {"kind": "meeting.attended", "name": "参加组织生活", "points_per_unit": "lots", "unit_size": "1"},
    )
    assert bad.status_code == 400
    ok = client.post(
        "/points/rules/",
        {
            "kind": "meeting.attended",
            "name": "参加组织生活",
            "points_per_unit": "3",
            "unit_size": "1",
            "daily_cap": "",
            "is_active": "on",
        },
    )
    assert ok.status_code == 302
    rule = PointsRule.objects.get(kind="meeting.attended")
    assert rule.points_per_unit == 3 and rule.daily_cap is None
