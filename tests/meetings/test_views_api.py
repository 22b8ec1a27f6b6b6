"""Meeting screens and API: scope (404 for another branch), bad input, query counts, sign-in from a phone."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.accounts.services import api_token_issue
from dangjian.meetings import services
from dangjian.meetings.models import Attendance, Meeting, Motion

from ..conftest import login


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user, name='t').plaintext}"}


def test_secretary_plans_through_the_form(client, branch):
    login(client, branch.secretary_a)
    start = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/meetings/new/",
        {
            "org": branch.branch_a.pk,
            "type": "theme_day",
            "topic": "主题党日：重温入党誓词",
            "starts_at": start,
            "audience": "branch",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Meeting.objects.get().attendances.count() == 12


def test_plan_form_bad_input_and_other_branch(client, branch):
    login(client, branch.secretary_a)
    bad = client.post(
        "/meetings/new/",
        {"org": branch.branch_a.pk, "type": "party", "topic": "", "starts_at": "tomorrow", "audience": "branch"},
    )
    assert bad.status_code == 400
    other = client.post(
        "/meetings/new/",
        {
            "org": branch.branch_b.pk,
            "type": "general",
            "topic": "x",
            "starts_at": "2026-12-01T09:00",
            "audience": "branch",
        },
    )
    assert other.status_code == 400  # not a choice for this user
    assert not Meeting.objects.exists()


def test_detail_and_actions_of_another_branch_are_404(client, branch, past_meeting):
    login(client, branch.secretary_b)
    for url in ("", "qr/", "minutes.docx"):
        assert client.get(f"/meetings/{past_meeting.pk}/{url}").status_code == 404
    for url, data in (
        ("mark/", {"member": branch.member_a.pk, "status": "present"}),
        ("vote/", {"title": "x", "yes": 1}),
        ("minutes/", {"minutes": "hack", "held": "on"}),
    ):
        assert client.post(f"/meetings/{past_meeting.pk}/{url}", data).status_code == 404
    past_meeting.refresh_from_db()
    assert past_meeting.minutes == "" and not Motion.objects.exists()
    assert Attendance.objects.filter(meeting=past_meeting, status="present").count() == 0


def test_member_signs_in_from_the_qr_link(client, branch, past_meeting):
    login(client, branch.member_a_user)
    token = services.sign_in_token(past_meeting)
    page = client.get(f"/meetings/{past_meeting.pk}/sign-in/", {"t": token})
    assert page.status_code == 200
    done = client.post(f"/meetings/{past_meeting.pk}/sign-in/", {"t": token})
    assert done.status_code == 302
    assert Attendance.objects.get(meeting=past_meeting, member=branch.member_a).status == "present"
    stale = client.post(f"/meetings/{past_meeting.pk}/sign-in/", {"t": "0" * 16})
    assert stale.status_code == 400


def test_secretary_sees_live_qr_and_quorum(client, branch, past_meeting):
    login(client, branch.secretary_a)
    page = client.get(f"/meetings/{past_meeting.pk}/qr/")
    assert page.status_code == 200 and b"<svg" in page.content and b"quorum" in page.content


def test_meeting_list_query_count(client, branch, django_assert_max_num_queries):
    for i in range(3):
        services.meeting_plan(
            org=branch.branch_a,
            acting_user=branch.secretary_a,
            type="theme_day",
            topic=f"T{i}",
            starts_at=timezone.now() + dt.timedelta(days=i + 1),
        )
    login(client, branch.secretary_a)
    with django_assert_max_num_queries(30) as first:
        assert client.get("/meetings/").status_code == 200
    for i in range(10):
        services.meeting_plan(
            org=branch.branch_a,
            acting_user=branch.secretary_a,
            type="lecture",
            topic=f"L{i}",
            starts_at=timezone.now() + dt.timedelta(days=i + 5),
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/meetings/").status_code == 200


def test_minutes_docx_and_record_book(client, branch, past_meeting):
    services.meeting_record_minutes(
        meeting=past_meeting, minutes="一、学习党章\n二、讨论", decisions="通过", acting_user=branch.secretary_a
    )
    login(client, branch.secretary_a)
    docx = client.get(f"/meetings/{past_meeting.pk}/minutes.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    book = client.get("/meetings/record-book.docx", {"org": branch.branch_a.pk, "kind": "year"})
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert client.get("/meetings/record-book.docx", {"org": branch.branch_b.pk}).status_code == 404


def test_compliance_grid_and_export(client, branch):
    login(client, branch.committee)
    page = client.get("/meetings/compliance/", {"org": branch.group.pk, "kind": "quarter"})
    assert page.status_code == 200 and "甲公司第一党支部" in page.content.decode()
    export = client.get("/meetings/compliance/", {"org": branch.group.pk, "kind": "year", "format": "xlsx"})
    assert export.status_code == 200 and export.content[:2] == b"PK"
    login(client, branch.secretary_a)
    assert client.get("/meetings/compliance/", {"org": branch.group.pk}).status_code == 404
    assert client.get("/meetings/compliance/", {"day": "not-a-date", "kind": "bogus"}).status_code == 200


def test_upload_checked_by_content(client, branch, past_meeting, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    login(client, branch.secretary_a)
    client.post(f"/meetings/{past_meeting.pk}/attach/", {"file": SimpleUploadedFile("photo.jpg", b"MZ\x90\x00evil")})
    assert not past_meeting.files.exists()
    client.post(
        f"/meetings/{past_meeting.pk}/attach/",
        {"file": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100)},
    )
    assert past_meeting.files.count() == 1


# --- API ---------------------------------------------------------------------------------------


def test_api_my_meetings_sign_in_leave_minutes(client, branch, past_meeting):
    headers = bearer(branch.member_a_user)
    mine = client.get("/api/v1/meetings/mine", **headers).json()
    assert mine["count"] == 1 and mine["items"][0]["my_status"] == "invited"
    assert client.get(f"/api/v1/meetings/{past_meeting.pk}/minutes", **headers).status_code == 404  # not attended yet
    bad = client.post(
        f"/api/v1/meetings/{past_meeting.pk}/sign-in", {"token": "nope"}, content_type="application/json", **headers
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "token"
    ok = client.post(
        f"/api/v1/meetings/{past_meeting.pk}/sign-in",
        {"token": services.sign_in_token(past_meeting)},
        content_type="application/json",
        **headers,
    )
    assert ok.status_code == 200 and ok.json()["status"] == "present"
    assert client.get(f"/api/v1/meetings/{past_meeting.pk}/minutes", **headers).status_code == 200
    late = client.post(
        f"/api/v1/meetings/{past_meeting.pk}/leave", {"reason": "出差"}, content_type="application/json", **headers
    )
    assert late.status_code == 400
    empty = client.post(
        f"/api/v1/meetings/{past_meeting.pk}/leave", {"reason": ""}, content_type="application/json", **headers
    )
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "reason"


def test_api_meeting_of_another_branch_is_404(client, branch, past_meeting):
    from ..factories import UserFactory, make_member

    user_b = UserFactory(username="member_b_user")
    make_member(branch.branch_b, name="王二", user=user_b)
    headers = bearer(user_b)
    assert (
        client.post(
            f"/api/v1/meetings/{past_meeting.pk}/sign-in",
            {"token": services.sign_in_token(past_meeting)},
            content_type="application/json",
            **headers,
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/meetings/{past_meeting.pk}/minutes", **headers).status_code == 404
    assert not Attendance.objects.filter(meeting=past_meeting, status="present").exists()


@pytest.mark.parametrize("who", ["secretary_a", "outsider"])
def test_api_mine_needs_a_member(client, branch, who):
    response = client.get("/api/v1/meetings/mine", **bearer(getattr(branch, who)))
    assert response.status_code == 404
