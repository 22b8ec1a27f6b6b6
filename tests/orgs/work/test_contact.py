"""Mobile and out-of-contact members: thresholds warn once, the secretary decides, never the system."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.notices.models import Notification
from dangjian.orgs import mobile
from dangjian.orgs.models import Member, MemberStatus, StatusChange
from dangjian.orgs.models_transfer import ContactWarning, MobileActivity
from dangjian.orgs.timing import add_months, add_years

from ...conftest import login
from .conftest import TODAY


def test_a_mobile_member_keeps_the_branch_and_records_activities(cast):
    mobile.member_mark_mobile(
        member=cast.member_a,
        since=TODAY() - dt.timedelta(days=20),
        whereabouts="深圳项目部",
        acting_user=cast.secretary_a,
    )
    m = Member.objects.get(pk=cast.member_a.pk)
    assert (m.is_mobile, m.org, m.mobile_whereabouts) == (True, cast.branch_a, "深圳项目部")
    mobile.mobile_activity_record(
        member=m, on=TODAY(), place="深圳", activity="参加项目临时支部主题党日", acting_user=cast.member_a_user
    )
    assert MobileActivity.objects.get().recorded_by == cast.member_a_user
    with pytest.raises(DomainError) as exc:
        mobile.mobile_activity_record(member=m, on=TODAY(), place="", activity="x", acting_user=cast.member_a_user)
    assert exc.value.errors[0]["field"] == "place"
    assert AuditEvent.objects.filter(action__in=["member.mobile", "member.mobile_activity"]).count() == 2


def test_six_months_away_tells_the_secretary_once_to_transfer(cast):
    since = add_months(TODAY(), -6)
    mobile.member_mark_mobile(
        member=cast.member_a, since=since + dt.timedelta(days=1), whereabouts="外地", acting_user=cast.secretary_a
    )
    assert mobile.contact_warnings_raise() == 0
    Member.objects.filter(pk=cast.member_a.pk).update(mobile_since=since)
    assert mobile.contact_warnings_raise() == 1
    assert mobile.contact_warnings_raise() == 0
    assert Notification.objects.filter(recipient=cast.secretary_a, kind="orgs.contact_warning").count() == 1


def test_out_of_contact_six_months_warns_once_and_suspension_is_the_secretarys_decision(cast):
    since = add_months(TODAY(), -6) + dt.timedelta(days=1)
    mobile.member_mark_out_of_contact(member=cast.member_a, since=since, acting_user=cast.secretary_a)
    assert mobile.contact_warnings_raise() == 0
    with pytest.raises(DomainError) as exc:
        mobile.member_contact_decide(
            member=cast.member_a, decision="suspend", effective_on=TODAY(), reason="失联", acting_user=cast.secretary_a
        )
    assert exc.value.errors[0]["field"] == "effective_on"
    assert mobile.contact_warnings_raise(today=TODAY() + dt.timedelta(days=1)) == 1
    assert mobile.contact_warnings_raise(today=TODAY() + dt.timedelta(days=2)) == 0
    m = Member.objects.get(pk=cast.member_a.pk)
    assert m.status == MemberStatus.FULL  # never automatic
    Member.objects.filter(pk=m.pk).update(out_of_contact_since=since - dt.timedelta(days=1))
    m.refresh_from_db()
    assert mobile.contact_warnings_raise() == 1  # a new episode start is a new threshold
    with pytest.raises(DomainError) as exc:
        mobile.member_contact_decide(
            member=m, decision="suspend", effective_on=TODAY(), reason=" ", acting_user=cast.secretary_a
        )
    assert exc.value.errors[0]["field"] == "reason"
    mobile.member_contact_decide(
        member=m,
        decision="suspend",
        effective_on=TODAY(),
        reason="失联满6个月，经多方查找未果",
        acting_user=cast.secretary_a,
    )
    m.refresh_from_db()
    assert m.status == MemberStatus.SUSPENDED
    assert StatusChange.objects.get(member=m, to_status="suspended").reason == "失联满6个月，经多方查找未果"
    assert not ContactWarning.objects.filter(member=m, kind="suspension_due", decided_on__isnull=True).exists()


def test_removal_is_due_two_years_after_the_suspension(cast):
    suspended = add_years(TODAY(), -2)
    Member.objects.filter(pk=cast.member_a.pk).update(
        status=MemberStatus.SUSPENDED, out_of_contact_since=suspended - dt.timedelta(days=200)
    )
    StatusChange.objects.create(
        member=cast.member_a, from_status="full", to_status="suspended", effective_on=suspended + dt.timedelta(days=1)
    )
    m = Member.objects.get(pk=cast.member_a.pk)
    assert mobile.contact_warnings_raise() == 0
    with pytest.raises(DomainError):
        mobile.member_contact_decide(
            member=m, decision="remove", effective_on=TODAY(), reason="失联两年", acting_user=cast.secretary_a
        )
    StatusChange.objects.filter(member=m).update(effective_on=suspended)
    assert mobile.contact_warnings_raise() == 1
    assert mobile.contact_warnings_raise() == 0
    mobile.member_contact_decide(
        member=m, decision="remove", effective_on=TODAY(), reason="停止党籍满两年仍无联系", acting_user=cast.secretary_a
    )
    assert Member.objects.get(pk=m.pk).status == MemberStatus.REMOVED


def test_contact_restored_closes_the_warnings(cast):
    mobile.member_mark_out_of_contact(member=cast.member_a, since=add_months(TODAY(), -7), acting_user=cast.secretary_a)
    mobile.contact_warnings_raise()
    mobile.member_contact_restored(member=Member.objects.get(pk=cast.member_a.pk), acting_user=cast.secretary_a)
    w = ContactWarning.objects.get()
    assert (w.decision, w.decided_on) == ("restored", TODAY())
    assert Member.objects.get(pk=cast.member_a.pk).out_of_contact_since is None


def test_the_page_and_its_forms(client, cast):
    login(client, cast.secretary_a)
    assert client.get(reverse("orgs:contact")).status_code == 200
    url = reverse("orgs:contact_mark")
    assert (
        client.post(url, {"member": cast.member_a.pk, "kind": "mobile", "since": "", "whereabouts": "外地"}).status_code
        == 400
    )
    assert client.post(url, {"member": "x", "kind": "mobile"}).status_code == 400
    assert (
        client.post(
            url, {"member": cast.member_a.pk, "kind": "mobile", "since": "2099-01-01", "whereabouts": "外地"}
        ).status_code
        == 400
    )
    assert client.post(url, {"member": cast.member_a.pk, "kind": "lost", "since": "2026-13-45"}).status_code == 400
    assert not Member.objects.filter(pk=cast.member_a.pk, is_mobile=True).exists()
    assert (
        client.post(
            url, {"member": cast.member_a.pk, "kind": "mobile", "since": f"{TODAY():%Y-%m-%d}", "whereabouts": "外地"}
        ).status_code
        == 302
    )
    act = reverse("orgs:contact_act", args=[cast.member_a.pk, "decide"])
    assert (
        client.post(act, {"decision": "suspend", "effective_on": f"{TODAY():%Y-%m-%d}", "reason": "x"}).status_code
        == 400
    )
    assert client.post(reverse("orgs:contact_act", args=[cast.member_a.pk, "explode"])).status_code == 404
    body = client.get(reverse("orgs:contact")).content.decode()
    assert "外地" in body


def test_another_branch_gets_404_and_nothing_changes(client, cast):
    login(client, cast.secretary_b)
    for action in ("mobile", "lost", "found", "decide", "mobile_end", "activity"):
        response = client.post(
            reverse("orgs:contact_act", args=[cast.member_a.pk, action]),
            {
                "since": "2026-01-01",
                "whereabouts": "x",
                "decision": "suspend",
                "effective_on": "2026-01-01",
                "reason": "x",
            },
        )
        assert response.status_code == 404, action
    # Chosen from a list in scope: someone outside it is not a valid choice (as in every other form).
    assert (
        client.post(
            reverse("orgs:contact_mark"), {"member": cast.member_a.pk, "kind": "lost", "since": "2026-01-01"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            reverse("orgs:contact_mark"), {"member": cast.member_a.employee_no, "kind": "lost", "since": "2026-01-01"}
        ).status_code
        == 400
    )
    m = Member.objects.get(pk=cast.member_a.pk)
    assert (m.is_mobile, m.out_of_contact_since, m.status) == (False, None, MemberStatus.FULL)
    login(client, cast.member_a_user)
    assert client.get(reverse("orgs:contact")).status_code == 404
