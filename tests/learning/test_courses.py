"""Courses: ordered items, completion rules, the quiz hook, visibility of items to the course's audience."""

import pytest

from dangjian.core.errors import DomainError
from dangjian.learning import hooks, services
from dangjian.learning.courses import course_progress
from dangjian.learning.models import Course, StudyProgress

from ..conftest import login
from .conftest import publish


def complete(member, resource):
    StudyProgress.objects.create(
        member=member,
        resource=resource,
        furthest=resource.duration,
        study_ms=resource.duration * 1000,
        completed_at="2026-01-01T00:00:00Z",
    )


@pytest.fixture
def course(lib):
    c = services.course_save(
        acting_user=lib.committee,
        org=lib.group,
        title="新党员入门",
        resources=[lib.charter, lib.secretary_guide],
        rule=Course.Rule.COUNT,
        required_count=1,
    )
    return publish(c, lib)


def test_rules(lib, course):
    cp = course_progress(lib.member_a, course)
    assert [i.resource for i in cp.items] == [lib.charter, lib.secretary_guide] and not cp.complete
    complete(lib.member_a, lib.charter)
    assert course_progress(lib.member_a, course).complete
    course.rule, course.required_minutes = Course.Rule.MINUTES, 600
    assert not course_progress(lib.member_a, course).complete


def test_quiz_hook(lib, course, monkeypatch):
    course.exam_id = 7
    complete(lib.member_a, lib.charter)
    monkeypatch.setattr(hooks, "_exam_passed", None)
    assert course_progress(lib.member_a, course).complete  # no exams app answering: the quiz does not block
    monkeypatch.setattr(hooks, "_exam_passed", lambda member, exam_id: False)
    assert not course_progress(lib.member_a, course).complete
    monkeypatch.setattr(hooks, "_exam_passed", lambda member, exam_id: exam_id == 7)
    assert course_progress(lib.member_a, course).complete


def test_items_must_be_published_to_the_courses_audience(lib):
    with pytest.raises(DomainError) as exc:  # a branch A resource in a course for the whole group
        services.course_save(acting_user=lib.committee, org=lib.group, title="全集团课程", resources=[lib.python])
    assert exc.value.errors[0]["field"] == "resources"
    with pytest.raises(DomainError) as exc:
        services.course_save(
            acting_user=lib.committee, org=lib.group, title="x", resources=[lib.charter], rule="count", required_count=5
        )
    assert exc.value.errors[0]["field"] == "required_count"


def test_course_screens_and_api(client, lib, course):
    login(client, lib.member_a_user)
    assert client.get("/learning/courses/").status_code == 200
    page = client.get(f"/learning/courses/{course.pk}/")
    assert page.status_code == 200 and lib.charter.title in page.content.decode()
    assert client.get(f"/api/v1/learning/courses/{course.pk}").json()["percent"] == 0
    own = services.course_save(
        acting_user=lib.secretary_b, org=lib.branch_b, title="乙支部课程", resources=[lib.b_only]
    )
    assert client.get(f"/learning/courses/{own.pk}/").status_code == 404
    assert client.get(f"/api/v1/learning/courses/{own.pk}").status_code == 404
    assert client.post(f"/learning/courses/{own.pk}/do/submit/").status_code == 404
    login(client, lib.secretary_a)
    bad = client.post("/learning/courses/new/", {"org": lib.branch_a.pk, "title": "", "rule": "all"})
    assert bad.status_code == 400 and {"title", "resources"} <= set(bad.context["form"].errors)
    ok = client.post(
        "/learning/courses/new/",
        {"org": lib.branch_a.pk, "title": "支部课程", "rule": "all", "resources": [lib.python.pk, lib.charter.pk]},
    )
    assert ok.status_code == 302
