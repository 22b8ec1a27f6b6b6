"""Filters (gender, age band, education, join year), statistics and the roster export: scope, masking, queries."""

import datetime as dt
import io

from django.utils import timezone
from openpyxl import load_workbook

from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Member
from dangjian.orgs.stats import age_band_q, statistics

from ...conftest import login
from ...factories import make_member


def _years_ago(years, days=0):
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


def test_age_bands_at_their_boundaries(cast):
    exactly_35 = make_member(cast.branch_a, name="甲", birth_date=_years_ago(35))
    almost_36 = make_member(cast.branch_a, name="乙", birth_date=_years_ago(36, days=-1))
    exactly_36 = make_member(cast.branch_a, name="丙", birth_date=_years_ago(36))
    young = set(Member.objects.filter(age_band_q("35-")).values_list("pk", flat=True))
    assert exactly_35.pk in young and almost_36.pk in young and exactly_36.pk not in young
    assert exactly_36.pk in set(Member.objects.filter(age_band_q("36-45")).values_list("pk", flat=True))


def test_filters_in_list_and_api(client, cast):
    make_member(cast.branch_a, name="王芳", gender="F", education="master", probationary_date=dt.date(2015, 6, 1))
    login(client, cast.committee)
    page = client.get("/orgs/members/", {"gender": "F", "education": "master", "join_year": "2015"}).content.decode()
    assert "王芳" in page and "张三" not in page
    api = client.get("/api/v1/members", {"gender": "F", "join_year": 2015}).json()
    assert [m["name"] for m in api["items"]] == ["王芳"]
    assert client.get("/api/v1/members", {"age": "old"}).status_code == 400
    assert client.get("/api/v1/members", {"join_year": 1800}).status_code == 400
    assert client.get("/orgs/members/", {"age": "old", "join_year": "abc"}).status_code == 200  # ignored on the web


def test_statistics_count_the_scope_only(client, cast, django_assert_max_num_queries):
    make_member(cast.branch_a, name="王芳", gender="F", probationary_date=_years_ago(12))
    status, gender, age, _education, party_age = statistics(
        Member.objects.filter(org_path__startswith=cast.branch_a.path)
    )
    assert [n for _label, n in gender.rows] == [1, 1]  # one man (张三), one woman (王芳); branch B not counted
    assert age.total == 2 and status.total == 2
    assert [n for _label, n in party_age.rows] == [0, 0, 1, 0, 0]  # 张三 has no admission date recorded
    login(client, cast.secretary_a)
    with django_assert_max_num_queries(20):
        page = client.get("/orgs/statistics/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="breakdown"') == 5
    assert client.get("/orgs/statistics/", {"org": cast.branch_b.pk}).status_code == 404
    export = client.get("/orgs/statistics/", {"format": "xlsx"})
    assert export.content[:2] == b"PK"
    login(client, cast.outsider)
    assert client.get("/orgs/statistics/").status_code == 404


def test_roster_export_is_scoped_masked_and_audited(client, cast):
    login(client, cast.secretary_a)
    response = client.get("/orgs/members/", {"format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    names = [r[1] for r in rows[1:]]
    assert names == ["张三"]  # member_b of another branch is not exported
    assert rows[1][5] == "110***********002X" and rows[1][6] == "138****5678"
    assert AuditEvent.objects.filter(action="member.export", actor=cast.secretary_a).exists()
