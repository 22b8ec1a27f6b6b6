"""Transfers walked through by the three people involved, returns, dues, extras, letters in and out."""

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent, Setting
from dangjian.dues import services as dues
from dangjian.dues.models import DuesBill
from dangjian.notices.models import Notification
from dangjian.orgs import services, transfers
from dangjian.orgs.models import Member, Membership, MemberStatus, Org, OrgPost, StatusChange
from dangjian.orgs.models_transfer import Transfer, TransferEvent

from ...conftest import login
from ...factories import make_member, make_org
from ..conftest import valid_id
from .conftest import TODAY


def _member(pk):
    return Member.objects.select_related("org").get(pk=pk)


def test_a_transfer_walked_through_by_the_three_people_involved(client, cast, committee_a):
    """GIVEN member_a of Branch A (Company A) WHEN she asks to move to Branch B (Company B), Company A's committee
    approves and Branch B's secretary accepts THEN her branch changes only at acceptance, with history and audit."""
    login(client, cast.member_a_user)
    response = client.post(
        reverse("orgs:transfer_new"), {"kind": "internal", "to_org": cast.branch_b.pk, "reason": "调动到乙公司"}
    )
    assert response.status_code == 302, response.content[:500]
    transfer = Transfer.objects.get()
    assert (transfer.status, transfer.approver_org, transfer.from_org) == (
        Transfer.Status.PENDING_APPROVAL,
        cast.company_a,
        cast.branch_a,
    )
    assert Notification.objects.filter(recipient=committee_a, kind="orgs.transfer").exists()

    login(client, committee_a)
    assert client.post(reverse("orgs:transfer_act", args=[transfer.pk, "approve"])).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING_ACCEPTANCE
    assert _member(cast.member_a.pk).org == cast.branch_a  # the old branch stays responsible
    assert Notification.objects.filter(recipient=cast.secretary_b, kind="orgs.transfer").exists()

    login(client, cast.secretary_b)
    assert client.post(reverse("orgs:transfer_act", args=[transfer.pk, "accept"])).status_code == 302
    transfer.refresh_from_db()
    member = _member(cast.member_a.pk)
    assert transfer.status == Transfer.Status.COMPLETED and transfer.completed_on == TODAY()
    assert (member.org, member.org_path, member.status) == (cast.branch_b, cast.branch_b.path, MemberStatus.FULL)
    primary = Membership.objects.filter(member=member, kind=Membership.Kind.PRIMARY).order_by("id")
    assert [(m.org_id, m.ended_on) for m in primary] == [(cast.branch_a.pk, TODAY()), (cast.branch_b.pk, None)]
    assert StatusChange.objects.filter(member=member, effective_on=TODAY()).exists()
    assert set(AuditEvent.objects.filter(action__startswith="transfer.").values_list("action", flat=True)) == {
        "transfer.request",
        "transfer.approve",
        "transfer.accept",
    }
    assert AuditEvent.objects.get(action="member.transfer").after["org_id"] == cast.branch_b.pk
    assert list(transfer.events.values_list("action", flat=True)) == ["requested", "approved", "accepted"]

    login(client, cast.member_a_user)
    body = client.get(reverse("orgs:transfer_detail", args=[transfer.pk])).content.decode()
    assert body.count('class="timeline-item') == 3 and 'aria-current="step"' in body


def test_the_member_sees_the_step_it_waits_on_highlighted(client, cast, committee_a):
    transfer = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.member_a_user
    )
    transfers.transfer_approve(transfer=transfer, acting_user=committee_a)
    login(client, cast.member_a_user)
    response = client.get(reverse("orgs:transfer_detail", args=[transfer.pk]))
    items = response.context["timeline"]
    assert [i["state"] for i in items] == ["done", "done", "current"]
    assert not response.context["can"]["accept"] and response.context["can"]["cancel"]


def test_either_side_returns_it_with_a_reason(cast, committee_a):
    t1 = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.secretary_a
    )
    with pytest.raises(DomainError) as exc:
        transfers.transfer_return(transfer=t1, reason="  ", acting_user=committee_a)
    assert exc.value.errors[0]["field"] == "reason"
    with pytest.raises(DomainError):  # the new branch returns only once it awaits acceptance
        transfers.transfer_return(transfer=t1, reason="材料不全", acting_user=cast.secretary_b)
    transfers.transfer_return(transfer=t1, reason="介绍信抬头有误", acting_user=committee_a)
    t1.refresh_from_db()
    assert (t1.status, t1.return_reason) == (Transfer.Status.RETURNED, "介绍信抬头有误")
    assert Notification.objects.filter(recipient=cast.member_a_user, body="介绍信抬头有误").exists()

    t2 = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.secretary_a
    )
    transfers.transfer_approve(transfer=t2, acting_user=committee_a)
    transfers.transfer_return(transfer=t2, reason="本支部不对口", acting_user=cast.secretary_b)
    t2.refresh_from_db()
    assert t2.status == Transfer.Status.RETURNED and _member(cast.member_a.pk).org == cast.branch_a
    with pytest.raises(DomainError):
        transfers.transfer_accept(transfer=t2, acting_user=cast.secretary_b)
    assert TransferEvent.objects.filter(action="returned").count() == 2


def test_unpaid_dues_refuse_the_transfer_until_paid(cast, committee_a):
    month = TODAY().replace(day=1)
    dues.base_set(
        member=cast.member_a,
        year=month.year,
        from_month=1,
        category="in_service",
        base_amount=Decimal("4500"),
        acting_user=cast.secretary_a,
    )
    dues.bills_generate(period=month)
    with pytest.raises(DomainError) as exc:
        transfers.transfer_request(
            member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.member_a_user
        )
    assert exc.value.errors[0]["field"] == "dues"
    assert not Transfer.objects.exists()
    bill = DuesBill.objects.get(member=cast.member_a, period=month)
    dues.payment_record(
        member=cast.member_a, bills=[bill], method="cash", paid_on=TODAY(), acting_user=cast.secretary_a
    )
    transfer = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.member_a_user
    )
    assert transfer.status == Transfer.Status.PENDING_APPROVAL


def test_temporary_and_cloud_memberships_never_move(cast, committee_a):
    cloud = make_org("云端支部", Org.Kind.BRANCH, parent=cast.company_a, is_cloud=True)
    temp = make_org(
        "项目临时支部",
        Org.Kind.BRANCH,
        parent=cast.company_a,
        is_temporary=True,
        ends_on=TODAY() + dt.timedelta(days=90),
    )
    services.membership_add_extra(member=cast.member_a, org=cloud, acting_user=cast.committee)
    services.membership_add_extra(member=cast.member_a, org=temp, acting_user=cast.committee)
    OrgPost.objects.create(
        org=cast.branch_a, member=cast.member_a, post=OrgPost.Post.PROPAGANDA, started_on=dt.date(2024, 1, 1)
    )
    with pytest.raises(DomainError) as exc:
        transfers.transfer_request(member=cast.member_a, kind="internal", to_org=cloud, acting_user=cast.secretary_a)
    assert exc.value.errors[0]["field"] == "to_org"
    t = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.secretary_a
    )
    transfers.transfer_approve(transfer=t, acting_user=committee_a)
    transfers.transfer_accept(transfer=t, acting_user=cast.secretary_b)
    open_ms = dict(Membership.objects.filter(member=cast.member_a, ended_on__isnull=True).values_list("org_id", "kind"))
    assert open_ms == {cloud.pk: "cloud", temp.pk: "temporary", cast.branch_b.pk: "primary"}
    assert OrgPost.objects.get(member=cast.member_a).ended_on == TODAY()


def test_requests_are_refused_with_a_reason(cast):
    applicant = make_member(cast.branch_a, status=MemberStatus.APPLICANT)
    cases = [
        ({"member": applicant, "kind": "internal", "to_org": cast.branch_b}, "member"),
        ({"member": cast.member_a, "kind": "internal", "to_org": None}, "to_org"),
        ({"member": cast.member_a, "kind": "internal", "to_org": cast.company_b}, "to_org"),
        ({"member": cast.member_a, "kind": "internal", "to_org": cast.group_a1}, "to_org"),
        ({"member": cast.member_a, "kind": "internal", "to_org": cast.branch_a}, "to_org"),
        ({"member": cast.member_a, "kind": "out", "external_org": "  "}, "external_org"),
        ({"member": cast.member_a, "kind": "sideways"}, "kind"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as exc:
            transfers.transfer_request(acting_user=cast.secretary_a, **kwargs)
        assert exc.value.errors[0]["field"] == field, kwargs
    transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.secretary_a
    )
    with pytest.raises(DomainError):  # one open transfer at a time
        transfers.transfer_request(
            member=cast.member_a, kind="out", external_org="某市委组织部", acting_user=cast.secretary_a
        )


def test_another_branch_cannot_see_or_act_and_nothing_changes(client, cast, committee_a):
    branch_c = make_org("乙公司第二党支部", Org.Kind.BRANCH, parent=cast.company_b)
    transfer = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=branch_c, acting_user=cast.secretary_a
    )
    login(client, cast.secretary_b)
    assert client.get(reverse("orgs:transfer_detail", args=[transfer.pk])).status_code == 404
    for action in ("approve", "accept", "return", "cancel", "receipt"):
        assert client.post(reverse("orgs:transfer_act", args=[transfer.pk, action]), {"reason": "x"}).status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING_APPROVAL and transfer.events.count() == 1
    with pytest.raises(Http404):  # nor ask on behalf of a member of another branch
        transfers.transfer_request(member=cast.member_a, kind="out", external_org="x", acting_user=cast.secretary_b)
    # The branch secretary of the old side cannot approve for its committee.
    login(client, cast.secretary_a)
    assert client.post(reverse("orgs:transfer_act", args=[transfer.pk, "approve"])).status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING_APPROVAL


# --- Out of the system: the introduction letter ---------------------------------------------------


def test_out_of_the_system_the_committee_issues_a_letter_and_the_receipt_completes_it(cast, committee_a):
    t = transfers.transfer_request(
        member=cast.member_a, kind="out", external_org="北京市海淀区委组织部", acting_user=cast.member_a_user
    )
    transfers.transfer_approve(transfer=t, acting_user=committee_a, letter_no="甲党介〔2026〕12号")
    t.refresh_from_db()
    assert (t.status, t.letter_no, t.letter_issuer, t.letter_receiver) == (
        Transfer.Status.LETTER_ISSUED,
        "甲党介〔2026〕12号",
        "甲公司党委",
        "北京市海淀区委组织部",
    )
    assert t.letter_valid_until == TODAY() + dt.timedelta(days=90)
    assert _member(cast.member_a.pk).status == MemberStatus.FULL  # still ours until the receipt
    transfers.transfer_confirm_receipt(transfer=t, acting_user=cast.secretary_a)
    member = _member(cast.member_a.pk)
    assert member.status == MemberStatus.TRANSFERRED_OUT
    assert not Membership.objects.filter(member=member, kind="primary", ended_on__isnull=True).exists()


def test_the_letter_validity_is_configurable(cast, committee_a):
    Setting.objects.create(key="transfers.letter_valid_days", value=30)
    t = transfers.transfer_request(
        member=cast.member_a, kind="out", external_org="某县委组织部", acting_user=cast.secretary_a
    )
    transfers.transfer_approve(transfer=t, acting_user=committee_a)
    t.refresh_from_db()
    assert t.letter_valid_until == TODAY() + dt.timedelta(days=30)
    assert t.letter_no == f"{TODAY():%Y}-{t.pk:05d}"


def test_expiry_reminders_go_out_once_7_days_before_and_once_at_expiry(cast, committee_a):
    issued = TODAY() - dt.timedelta(days=100)
    t = transfers.transfer_request(
        member=cast.member_a, kind="out", external_org="某县委组织部", acting_user=cast.secretary_a, on=issued
    )
    transfers.transfer_approve(transfer=t, acting_user=committee_a, on=issued)
    t.refresh_from_db()
    until = t.letter_valid_until
    assert transfers.letters_remind(today=until - dt.timedelta(days=8)) == 0
    before = transfers.letters_remind(today=until - dt.timedelta(days=7))
    assert before == 2  # the member and Branch A's secretary
    assert transfers.letters_remind(today=until - dt.timedelta(days=6)) == 0
    assert transfers.letters_remind(today=until) == 2
    assert transfers.letters_remind(today=until + dt.timedelta(days=1)) == 0
    assert Notification.objects.filter(kind="orgs.transfer_letter", recipient=cast.secretary_a).count() == 2


# --- From outside the system -------------------------------------------------------------------------


def _receive(cast, **kw):
    args = {
        "to_org": cast.branch_b,
        "acting_user": cast.secretary_b,
        "letter_no": "外介〔2026〕8号",
        "letter_issuer": "某市委组织部",
        "letter_issued_on": TODAY() - dt.timedelta(days=10),
        "status": "full",
        "person": {
            "id_number": valid_id("19880808"),
            "name": "赵新",
            "gender": "M",
            "birth_date": dt.date(1988, 8, 8),
            "full_date": dt.date(2012, 7, 1),
        },
    }
    args.update(kw)
    return transfers.transfer_receive(**args)


def test_a_member_from_outside_gets_a_record(cast):
    t = _receive(cast)
    m = _member(t.member_id)
    assert (m.org, m.status, m.full_date, m.name) == (cast.branch_b, MemberStatus.FULL, dt.date(2012, 7, 1), "赵新")
    assert t.letter_valid_until == t.letter_issued_on + dt.timedelta(days=90)
    assert list(t.events.values_list("action", flat=True)) == ["received", "accepted"]


@pytest.mark.parametrize(("valid_until_offset", "ok"), [(0, True), (-1, False)])
def test_an_expired_letter_is_refused(cast, valid_until_offset, ok):
    kw = {
        "letter_issued_on": TODAY() - dt.timedelta(days=30),
        "letter_valid_until": TODAY() + dt.timedelta(days=valid_until_offset),
    }
    if ok:
        _receive(cast, **kw)
    else:
        with pytest.raises(DomainError) as exc:
            _receive(cast, **kw)
        assert exc.value.errors[0]["field"] == "letter_valid_until"
        assert not Member.objects.filter(name="赵新").exists()


def test_a_member_who_left_comes_back_to_the_same_record_with_the_same_standing(cast, committee_a):
    t = transfers.transfer_request(
        member=cast.member_a, kind="out", external_org="某县委组织部", acting_user=cast.secretary_a
    )
    transfers.transfer_approve(transfer=t, acting_user=committee_a)
    transfers.transfer_confirm_receipt(transfer=t, acting_user=cast.secretary_a)
    Member.objects.filter(pk=cast.member_a.pk).update(full_date=dt.date(2010, 7, 1))
    back = _receive(cast, person={"id_number": "11010519491231002X"})
    assert back.member_id == cast.member_a.pk
    m = _member(cast.member_a.pk)
    assert (m.status, m.org, m.full_date) == (MemberStatus.FULL, cast.branch_b, dt.date(2010, 7, 1))
    with pytest.raises(DomainError) as exc:  # an active record cannot come in from outside
        _receive(cast, person={"id_number": "11010519491231002X"})
    assert exc.value.errors[0]["field"] == "id_number"
