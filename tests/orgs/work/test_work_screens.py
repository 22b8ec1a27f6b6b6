"""Transfer screens for the people who use them, bad input on each form, and query counts that do not grow."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.orgs import transfers
from dangjian.orgs.models import Member, Org
from dangjian.orgs.models_transfer import Transfer

from ...conftest import login
from ...factories import make_member, make_org
from ..conftest import valid_id
from .conftest import TODAY, applicant


@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("committee", "orgs:transfer_list"),
        ("committee", "orgs:transfer_new"),
        ("committee", "orgs:transfer_receive"),
        ("secretary_a", "orgs:transfer_list"),
        ("secretary_a", "orgs:transfer_new"),
        ("secretary_a", "orgs:transfer_receive"),
        ("secretary_a", "orgs:contact"),
        ("secretary_a", "orgs:pipeline"),
        ("committee", "orgs:pipeline"),
        ("member_a_user", "orgs:transfer_list"),
        ("member_a_user", "orgs:transfer_new"),
    ],
)
def test_screen_renders(client, cast, who, url_name):
    login(client, getattr(cast, who))
    response = client.get(reverse(url_name))
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize(
    "url_name",
    [
        "orgs:transfer_list",
        "orgs:transfer_new",
        "orgs:transfer_receive",
        "orgs:contact",
        "orgs:pipeline",
        "orgs:development_mine",
    ],
)
def test_an_outsider_gets_404(client, cast, url_name):
    login(client, cast.outsider)
    assert client.get(reverse(url_name)).status_code == 404


def test_a_member_asks_only_for_themself(client, cast):
    login(client, cast.member_a_user)
    form = client.get(reverse("orgs:transfer_new")).context["form"]
    assert "member" not in form.fields
    response = client.post(
        reverse("orgs:transfer_new"), {"member": cast.member_b.pk, "kind": "out", "external_org": "某县委"}
    )
    assert response.status_code == 302
    assert Transfer.objects.get().member_id == cast.member_a.pk


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "internal"},
        {"kind": "internal", "to_org": "999999"},
        {"kind": "internal", "to_org": "abc"},
        {"kind": "sideways", "external_org": "x"},
        {"kind": "out", "external_org": ""},
        {"kind": "out", "external_org": "x" * 200},
        {"kind": "internal", "to_org": "GROUP"},
        {"kind": "internal", "to_org": "SELF"},
        {"kind": "out", "external_org": "某县委", "member": "OTHER"},
        {"kind": "out", "external_org": "某县委", "member": ""},
    ],
)
def test_bad_transfer_requests_are_400_and_write_nothing(client, cast, data):
    data = dict(data)
    data["to_org"] = {"GROUP": str(cast.group_a1.pk), "SELF": str(cast.branch_a.pk)}.get(
        data.get("to_org", ""), data.get("to_org", "")
    )
    data.setdefault("member", str(cast.member_a.pk))
    data["member"] = {"OTHER": str(cast.member_b.pk)}.get(data["member"], data["member"])
    login(client, cast.secretary_a)
    response = client.post(reverse("orgs:transfer_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "110105198808080000"}, "id_number"),
        ({"letter_valid_until": "2020-01-01"}, "letter_valid_until"),
        ({"letter_issued_on": "2099-01-01"}, "letter_issued_on"),
        ({"name": ""}, "name"),
        ({"status": "applicant"}, "status"),
        ({"to_org": "BRANCH_A"}, "to_org"),
        ({"letter_no": ""}, "letter_no"),
    ],
)
def test_bad_receive_forms_are_400_and_write_nothing(client, cast, change, field):
    data = {
        "to_org": cast.branch_b.pk,
        "letter_no": "外介8号",
        "letter_issuer": "某市委组织部",
        "letter_issued_on": f"{TODAY() - dt.timedelta(days=3):%Y-%m-%d}",
        "status": "full",
        "id_number": valid_id("19880808"),
        "name": "赵新",
        "gender": "M",
        "birth_date": "1988-08-08",
    }
    data.update(change)
    if data["to_org"] == "BRANCH_A":
        data["to_org"] = cast.branch_a.pk
    login(client, cast.secretary_b)
    response = client.post(reverse("orgs:transfer_receive"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors or response.context["form"].non_field_errors()
    assert not Transfer.objects.exists() and not Member.objects.filter(name="赵新").exists()


def test_transfer_actions_refuse_bad_input_with_400(client, cast, committee_a):
    t = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.secretary_a
    )
    login(client, committee_a)
    response = client.post(reverse("orgs:transfer_act", args=[t.pk, "return"]), {"reason": "  "})
    assert response.status_code == 400 and response.context["error"]
    assert client.post(reverse("orgs:transfer_act", args=[t.pk, "accept"])).status_code == 404  # not the new branch
    assert client.post(reverse("orgs:transfer_act", args=[t.pk, "explode"])).status_code == 404
    assert client.get(reverse("orgs:transfer_act", args=[t.pk, "approve"])).status_code == 405
    t.refresh_from_db()
    assert t.status == Transfer.Status.PENDING_APPROVAL
    assert client.post(reverse("orgs:transfer_act", args=[t.pk, "approve"])).status_code == 302
    assert client.post(reverse("orgs:transfer_act", args=[t.pk, "approve"])).status_code == 400  # already approved


# --- Query counts ---------------------------------------------------------------------------------


def _populate_cases(cast, walker, n):
    branch = make_org(f"批量支部{n}", Org.Kind.BRANCH, parent=cast.company_a)
    walker.user = cast.committee
    for i in range(n):
        walker.start(applicant(branch, name=f"批量{n}-{i}"), TODAY() - dt.timedelta(days=35 + i))


def _populate_transfers(cast, n):
    target = make_org(f"接收支部{n}", Org.Kind.BRANCH, parent=cast.company_b)
    for i in range(n):
        m = make_member(cast.branch_a, name=f"转出{n}-{i}")
        transfers.transfer_request(member=m, kind="internal", to_org=target, acting_user=cast.committee)


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_the_board_and_the_lists_do_not_grow_with_the_rows(client, cast, walker, api_as):
    login(client, cast.committee)
    api = api_as(cast.committee)
    calls = [
        lambda: client.get(reverse("orgs:pipeline")),
        lambda: client.get(reverse("orgs:pipeline"), {"stage": "1", "overdue": "1"}),
        lambda: client.get(reverse("orgs:transfer_list")),
        lambda: client.get(reverse("orgs:transfer_list"), {"awaiting": "1"}),
        lambda: api.get("/development/pipeline", {"page_size": 200}),
        lambda: api.get("/development/board"),
        lambda: api.get("/transfers", {"page_size": 200}),
    ]
    for c in calls:
        c()  # first use of the session and the token records them once
    _populate_cases(cast, walker, 3)
    _populate_transfers(cast, 3)
    small = [_count(c) for c in calls]
    _populate_cases(cast, walker, 25)
    _populate_transfers(cast, 25)
    large = [_count(c) for c in calls]
    assert small == large
    assert api.get("/development/pipeline", {"page_size": 200}).json()["count"] == 28
    assert api.get("/transfers", {"page_size": 200}).json()["count"] == 28


def test_the_board_runs_a_small_fixed_number_of_queries(client, cast, walker, django_assert_max_num_queries):
    _populate_cases(cast, walker, 30)
    login(client, cast.committee)
    client.get(reverse("orgs:pipeline"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("orgs:pipeline"))
    assert response.context["totals"]["people"] == 30


def test_the_workbench_tells_each_person_what_waits_on_them(client, cast, committee_a, walker):
    t = transfers.transfer_request(
        member=cast.member_a, kind="internal", to_org=cast.branch_b, acting_user=cast.member_a_user
    )
    transfers.transfer_approve(transfer=t, acting_user=committee_a)
    walker.start(applicant(cast.branch_a, name="逾期谈话"), TODAY() - dt.timedelta(days=40))
    login(client, cast.secretary_b)
    assert "/orgs/transfers/?awaiting=1" in client.get(reverse("core:workbench")).content.decode()
    login(client, cast.secretary_a)
    body = client.get(reverse("core:workbench")).content.decode()
    assert "逾期谈话" in body and "/orgs/development/" in body
    login(client, cast.member_a_user)
    assert reverse("orgs:transfer_detail", args=[t.pk]) in client.get(reverse("core:workbench")).content.decode()


def test_the_development_entry_is_in_the_menu_for_those_who_govern(client, cast):
    login(client, cast.secretary_a)
    assert reverse("orgs:pipeline") in client.get(reverse("core:workbench")).content.decode()
    login(client, cast.member_a_user)
    assert reverse("orgs:pipeline") not in client.get(reverse("core:workbench")).content.decode()


def test_a_large_scope_picks_members_by_employee_number(client, cast, monkeypatch):
    from dangjian.orgs import forms_work

    monkeypatch.setattr(forms_work, "LIST_LIMIT", 1)
    login(client, cast.committee)
    page = client.get(reverse("orgs:transfer_new"))
    assert page.context["form"].fields["member"].widget.input_type == "text"
    response = client.post(
        reverse("orgs:transfer_new"),
        {"member": cast.member_a.employee_no.lower(), "kind": "out", "external_org": "某县委"},
    )
    assert response.status_code == 302 and Transfer.objects.get().member_id == cast.member_a.pk
    assert (
        client.post(
            reverse("orgs:transfer_new"), {"member": "NOBODY", "kind": "out", "external_org": "某县委"}
        ).status_code
        == 400
    )
