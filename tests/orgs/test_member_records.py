"""Member records: creation, status history, sensitive fields (encrypted, masked, audited reveals), audit."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Member, Membership, MemberStatus, StatusChange
from dangjian.orgs.services import member_change_status, member_create, member_update, reward_add

from ..conftest import login
from ..factories import make_member
from .conftest import audit_text, valid_id

ID_A = "11010519491231002X"  # member_a's, from the cast
PHONE_A = "13812345678"


def _raw(member, column):
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM orgs_member WHERE id = %s", [member.pk])
        return cur.fetchone()[0]


# --- creation and status history -------------------------------------------------------------


def test_creating_a_member_records_branch_status_and_audit(cast):
    id_number = valid_id()
    member = member_create(
        org=cast.branch_a,
        status=MemberStatus.APPLICANT,
        acting_user=cast.secretary_a,
        name="赵六",
        gender="F",
        birth_date=dt.date(1995, 5, 5),
        id_number=id_number,
        phone="13900001111",
        address="北京市西城区某街1号",
        application_date=dt.date(2025, 3, 1),
    )
    assert member.org_path == cast.branch_a.path
    (ms,) = member.memberships.all()
    assert (ms.org, ms.kind, ms.ended_on) == (cast.branch_a, Membership.Kind.PRIMARY, None)
    (change,) = member.status_changes.all()
    assert (change.from_status, change.to_status, change.recorded_by) == ("", MemberStatus.APPLICANT, cast.secretary_a)
    event = AuditEvent.objects.get(action="member.create", target_id=str(member.pk))
    assert event.actor == cast.secretary_a and event.after["name"] == "赵六"
    for clear in (id_number, "13900001111", "北京市西城区某街1号"):
        assert clear not in audit_text()


@pytest.mark.parametrize(
    ("start", "to", "date_field"),
    [
        (MemberStatus.APPLICANT, MemberStatus.ACTIVIST, "activist_date"),
        (MemberStatus.ACTIVIST, MemberStatus.CANDIDATE, "candidate_date"),
        (MemberStatus.CANDIDATE, MemberStatus.PROBATIONARY, "probationary_date"),
        (MemberStatus.PROBATIONARY, MemberStatus.FULL, "full_date"),
        (MemberStatus.FULL, MemberStatus.SUSPENDED, None),
        (MemberStatus.SUSPENDED, MemberStatus.FULL, "full_date"),
    ],
)
def test_an_allowed_status_change_is_dated_and_sets_the_key_date(cast, start, to, date_field):
    member = make_member(cast.branch_a, status=start)
    when = timezone.localdate() - dt.timedelta(days=10)
    member_change_status(
        member=member, to_status=to, effective_on=when, reason="支部大会通过", acting_user=cast.secretary_a
    )
    member.refresh_from_db()
    assert member.status == to
    if date_field:
        assert getattr(member, date_field) == when
    change = member.status_changes.get()
    assert (change.from_status, change.to_status, change.effective_on, change.recorded_by) == (
        start,
        to,
        when,
        cast.secretary_a,
    )
    event = AuditEvent.objects.get(action="member.status", target_id=str(member.pk))
    assert event.before["status"] == start and event.after["status"] == to


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (MemberStatus.APPLICANT, MemberStatus.FULL),  # skipping the development stages
        (MemberStatus.FULL, MemberStatus.PROBATIONARY),
        (MemberStatus.REMOVED, MemberStatus.FULL),
        (MemberStatus.DECEASED, MemberStatus.FULL),
        (MemberStatus.FULL, MemberStatus.FULL),
    ],
)
def test_a_status_change_outside_the_rules_is_refused(cast, start, to):
    member = make_member(cast.branch_a, status=start)
    with pytest.raises(DomainError) as exc:
        member_change_status(
            member=member, to_status=to, effective_on=timezone.localdate(), reason="", acting_user=cast.secretary_a
        )
    assert exc.value.errors[0]["field"] == "to_status"
    member.refresh_from_db()
    assert member.status == start
    assert not StatusChange.objects.filter(member=member).exists()


def test_a_status_change_cannot_be_dated_in_the_future(cast):
    member = make_member(cast.branch_a, status=MemberStatus.PROBATIONARY)
    with pytest.raises(DomainError):
        member_change_status(
            member=member,
            to_status=MemberStatus.FULL,
            effective_on=timezone.localdate() + dt.timedelta(days=1),
            reason="",
            acting_user=cast.secretary_a,
        )
    assert Member.objects.get(pk=member.pk).full_date is None


def test_the_record_page_shows_the_dated_history(client, cast):
    member = make_member(cast.branch_a, name="钱七", status=MemberStatus.PROBATIONARY)
    member_change_status(
        member=member,
        to_status=MemberStatus.FULL,
        effective_on=dt.date(2025, 7, 1),
        reason="转正",
        acting_user=cast.secretary_a,
    )
    reward_add(
        member=member, kind="reward", title="优秀共产党员", issued_on=dt.date(2025, 7, 1), acting_user=cast.secretary_a
    )
    login(client, cast.secretary_a)
    body = client.get(reverse("orgs:member_detail", args=[member.pk])).content.decode()
    assert "2025-07-01" in body and "转正" in body and "优秀共产党员" in body


def test_the_status_form_changes_the_status(client, cast):
    member = make_member(cast.branch_a, status=MemberStatus.PROBATIONARY)
    login(client, cast.secretary_a)
    response = client.post(
        reverse("orgs:member_status", args=[member.pk]),
        {"to_status": "full", "effective_on": "2025-06-01", "reason": "按期转正"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.full_date) == (MemberStatus.FULL, dt.date(2025, 6, 1))


@pytest.mark.parametrize(
    "data",
    [
        {"to_status": "probationary", "effective_on": "2025-06-01"},  # not allowed from full
        {"to_status": "emperor", "effective_on": "2025-06-01"},  # unknown status
        {"to_status": "suspended", "effective_on": "not a date"},
        {"to_status": "suspended", "effective_on": "2999-01-01"},  # future
        {},
    ],
)
def test_a_refused_status_change_re_renders_with_400(client, cast, data):
    login(client, cast.secretary_a)
    response = client.post(reverse("orgs:member_status", args=[cast.member_a.pk]), data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert Member.objects.get(pk=cast.member_a.pk).status == MemberStatus.FULL
    assert not StatusChange.objects.filter(member=cast.member_a).exists()


# --- sensitive fields ----------------------------------------------------------------------


def test_sensitive_fields_are_encrypted_at_rest_with_a_blind_index(cast):
    raw = _raw(cast.member_a, "id_number")
    assert raw.startswith("sm4gcm$") and ID_A not in raw
    assert PHONE_A not in _raw(cast.member_a, "phone")
    assert Member.objects.get(id_number_index=crypto.blind_index(ID_A.lower())) == cast.member_a


def test_the_record_page_masks_sensitive_values(client, cast):
    cast.member_a.address = "北京市朝阳区建国路88号"
    cast.member_a.save()
    login(client, cast.committee)
    body = client.get(reverse("orgs:member_detail", args=[cast.member_a.pk])).content.decode()
    assert "110***********002X" in body and "138****5678" in body
    for clear in (ID_A, PHONE_A, "建国路88号"):
        assert clear not in body
    assert AuditEvent.objects.filter(action="member.reveal").count() == 0


@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_a_reveal_shows_the_value_and_is_audited(client, cast, field):
    login(client, cast.committee)
    response = client.post(reverse("orgs:member_reveal", args=[cast.member_a.pk, field]))
    assert response.status_code == 200
    assert {"id_number": ID_A, "phone": PHONE_A}[field] in response.content.decode()
    event = AuditEvent.objects.get(action="member.reveal")
    assert (event.actor, event.target_id, event.after, event.outcome) == (
        cast.committee,
        str(cast.member_a.pk),
        {"field": field},
        "success",
    )
    assert ID_A not in audit_text() and PHONE_A not in audit_text()


def test_a_member_may_reveal_their_own_values(client, cast):
    login(client, cast.member_a_user)
    response = client.post(reverse("orgs:member_reveal", args=[cast.member_a.pk, "id_number"]))
    assert response.status_code == 200 and ID_A in response.content.decode()
    assert AuditEvent.objects.filter(action="member.reveal", actor=cast.member_a_user).exists()


def test_a_viewer_without_the_permission_cannot_reveal(client, cast, affairs_worker_a):
    login(client, affairs_worker_a)
    body = client.get(reverse("orgs:member_detail", args=[cast.member_a.pk])).content.decode()
    assert "110***********002X" in body and "/reveal/" not in body  # no Show button
    response = client.post(reverse("orgs:member_reveal", args=[cast.member_a.pk, "id_number"]))
    assert response.status_code == 403
    assert ID_A not in response.content.decode()
    event = AuditEvent.objects.get(action="member.reveal")
    assert event.outcome == "failure"  # the attempt is on record


def test_an_unknown_field_cannot_be_revealed(client, cast):
    login(client, cast.committee)
    assert client.post(reverse("orgs:member_reveal", args=[cast.member_a.pk, "birth_date"])).status_code == 400
    assert client.get(reverse("orgs:member_reveal", args=[cast.member_a.pk, "id_number"])).status_code == 405
    assert not AuditEvent.objects.filter(action="member.reveal", outcome="success").exists()


def test_the_api_masks_unless_reveal_is_asked_and_audits_each_reveal(cast, api_as):
    api = api_as(cast.committee)
    masked = api.get(f"/members/{cast.member_a.pk}").json()
    assert (masked["id_number"], masked["phone"]) == ("110***********002X", "138****5678")
    assert not AuditEvent.objects.filter(action="member.reveal").exists()

    clear = api.get(f"/members/{cast.member_a.pk}", {"reveal": "true"}).json()
    assert (clear["id_number"], clear["phone"]) == (ID_A, PHONE_A)
    fields = sorted(e.after["field"] for e in AuditEvent.objects.filter(action="member.reveal", actor=cast.committee))
    assert fields == ["address", "id_number", "phone"]
    assert ID_A not in audit_text()


def test_the_api_refuses_a_reveal_without_the_permission(cast, api_as, affairs_worker_a):
    response = api_as(affairs_worker_a).get(f"/members/{cast.member_a.pk}", {"reveal": "true"})
    assert response.status_code == 403
    assert ID_A not in response.content.decode()
    assert api_as(affairs_worker_a).get(f"/members/{cast.member_a.pk}").status_code == 200


# --- the edit form never pre-fills clear values ------------------------------------------------


def test_the_edit_form_does_not_send_clear_sensitive_values(client, cast):
    cast.member_a.address = "北京市朝阳区建国路88号"
    cast.member_a.save()
    login(client, cast.secretary_a)
    response = client.get(reverse("orgs:member_edit", args=[cast.member_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for clear in (ID_A, PHONE_A, "建国路88号"):
        assert clear not in body
    assert "110***********002X" in body  # the help text says what is stored, masked
    assert 'name="id_number"' in body and 'name="id_number" value=' not in body
    assert AuditEvent.objects.filter(action="member.reveal").count() == 0


def _edit_data(member, **overrides):
    data = {
        "name": member.name,
        "gender": member.gender,
        "ethnicity": member.ethnicity,
        "birth_date": member.birth_date.isoformat(),
        "employee_no": member.employee_no or "",
        "id_number": "",
        "phone": "",
        "address": "",
        "department": "党群工作部",
    }
    data.update(overrides)
    return data


def test_leaving_sensitive_inputs_empty_keeps_the_stored_values(client, cast):
    login(client, cast.secretary_a)
    response = client.post(reverse("orgs:member_edit", args=[cast.member_a.pk]), _edit_data(cast.member_a))
    assert response.status_code == 302
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.id_number, member.phone, member.department) == (ID_A, PHONE_A, "党群工作部")
    event = AuditEvent.objects.get(action="member.update")
    assert event.after == {"department": "党群工作部"}


def test_a_typed_value_replaces_the_stored_one_and_the_audit_hides_both(client, cast):
    login(client, cast.secretary_a)
    response = client.post(
        reverse("orgs:member_edit", args=[cast.member_a.pk]), _edit_data(cast.member_a, phone="139 0000 2222")
    )
    assert response.status_code == 302
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.phone, member.id_number) == ("13900002222", ID_A)
    assert member.phone_index == crypto.blind_index("13900002222")
    event = AuditEvent.objects.get(action="member.update")
    assert event.before["phone"] == "(set)" and event.after["phone"] == "(changed)"
    assert "id_number" not in event.after
    assert "13900002222" not in audit_text() and PHONE_A not in audit_text()


def test_an_api_update_of_a_sensitive_value_is_audited_without_it(cast, api_as):
    new_id = valid_id()
    response = api_as(cast.committee).patch(
        f"/members/{cast.member_a.pk}", {"id_number": new_id, "job_title": "工程师"}
    )
    assert response.status_code == 200
    assert response.json()["id_number"] != new_id  # answered masked
    assert Member.objects.get(pk=cast.member_a.pk).id_number == new_id
    event = AuditEvent.objects.get(action="member.update")
    assert event.after == {"job_title": "工程师", "id_number": "(changed)"}
    assert new_id not in audit_text() and ID_A not in audit_text()


def test_update_service_refuses_status_and_branch(cast):
    with pytest.raises(DomainError):
        member_update(member=cast.member_a, acting_user=cast.committee, status=MemberStatus.REMOVED)
    with pytest.raises(DomainError):
        member_update(member=cast.member_a, acting_user=cast.committee, org_id=cast.branch_b.pk)
    assert Member.objects.get(pk=cast.member_a.pk).org == cast.branch_a
