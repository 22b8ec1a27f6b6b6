"""Every learning screen answers for the people it is for, and the workbench shows what to study and review."""

import pytest

from dangjian.learning import services, studytime
from dangjian.learning.models import Resource

from ..conftest import login


@pytest.mark.parametrize(
    "url",
    [
        "/learning/",
        "/learning/map/",
        "/learning/courses/",
        "/learning/reflections/",
        "/learning/search/?q=党章",
        "/learning/reflections/new/",
    ],
)
def test_member_screens(client, lib, url):
    login(client, lib.member_a_user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/learning/",
        "/learning/map/branch/",
        "/learning/maps/",
        "/learning/resources/new/",
        "/learning/courses/new/",
        "/learning/courses/",
    ],
)
def test_secretary_screens(client, lib, url):
    login(client, lib.secretary_a)
    assert client.get(url).status_code == 200


def test_employee_without_member_record_sees_no_member_screens(client, lib):
    login(client, lib.outsider)
    assert client.get("/learning/map/").status_code == 404
    assert client.get("/learning/reflections/new/").status_code == 404
    assert client.get("/learning/").status_code == 200  # an empty library, not an error
    assert lib.charter.title not in client.get("/learning/").content.decode()


def test_workbench_shows_where_to_continue_and_what_to_review(client, lib):
    studytime.heartbeat_record(
        member=lib.member_a, resource=lib.video, position=0, playing=True, visible=True, now_ms=10**12
    )
    studytime.heartbeat_record(
        member=lib.member_a, resource=lib.video, position=15, playing=True, visible=True, now_ms=10**12 + 15_000
    )
    login(client, lib.member_a_user)
    page = client.get("/").content.decode()
    assert lib.video.title in page
    draft = services.resource_save(
        acting_user=lib.secretary_a, org=lib.branch_a, kind="article", title="待审材料", body="<p>正文</p>"
    )
    services.shared_submit(item=draft, acting_user=lib.secretary_a)
    login(client, lib.committee)
    assert "/learning/review/" in client.get("/").content.decode()
    assert Resource.objects.filter(status="pending").count() == 1


def test_navigation_has_learning_for_members(client, lib):
    login(client, lib.member_a_user)
    assert 'href="/learning/"' in client.get("/").content.decode()
