"""The API for transfers and member development: the contract's shapes, scope (404), bad input (400 naming fields)."""

import datetime as dt

import pytest

from dangjian.orgs.models import Member, MemberStatus
from dangjian.orgs.models_development import DevelopmentCase
from dangjian.orgs.models_transfer import Transfer

from ..conftest import assert_api_error, valid_id
from .conftest import TODAY, applicant, schedule


def test_a_transfer_through_the_api(cast, api_as, committee_a):
    member, committee, new = api_as(cast.member_a_user), api_as(committee_a), api_as(cast.secretary_b)
    r = member.post("/transfers", {"kind": "internal", "to_org_id": cast.branch_b.pk, "reason": "工作调动"})
    assert r.status_code == 201, r.content
    tid = r.json()["id"]
    assert r.json()["status"] == "pending_approval" and r.json()["events"][0]["action"] == "requested"
    assert_api_error(new.post(f"/transfers/{tid}/accept", {}), 400, "status")
    assert committee.post(f"/transfers/{tid}/approve", {}).json()["status"] == "pending_acceptance"
    done = new.post(f"/transfers/{tid}/accept", {}).json()
    assert done["status"] == "completed" and [e["action"] for e in done["events"]] == [
        "requested",
        "approved",
        "accepted",
    ]
    assert Member.objects.get(pk=cast.member_a.pk).org_id == cast.branch_b.pk
    mine = member.get("/transfers").json()
    assert mine["count"] == 1 and mine["items"][0]["id"] == tid


def test_transfer_lists_page_and_filter(cast, api_as, committee_a):
    t = (
        api_as(cast.secretary_a)
        .post("/transfers", {"member_id": cast.member_a.pk, "kind": "out", "external_org": "某县委组织部"})
        .json()
    )
    body = api_as(committee_a).get("/transfers", {"awaiting": "true"}).json()
    assert body == {"items": body["items"], "count": 1} and body["items"][0]["id"] == t["id"]
    assert api_as(cast.secretary_a).get("/transfers", {"awaiting": "true"}).json()["count"] == 0
    assert api_as(cast.secretary_a).get("/transfers", {"status": "completed"}).json()["count"] == 0
    assert api_as(cast.secretary_a).get("/transfers", {"page": 2, "page_size": 1}).json() == {"items": [], "count": 1}


def test_scope_on_the_transfer_api(cast, api_as, committee_a):
    t = (
        api_as(cast.secretary_a)
        .post("/transfers", {"member_id": cast.member_a.pk, "kind": "out", "external_org": "某县委组织部"})
        .json()
    )
    other = api_as(cast.secretary_b)
    assert_api_error(other.get(f"/transfers/{t['id']}"), 404)
    for action in ("approve", "accept", "cancel", "receipt"):
        assert_api_error(other.post(f"/transfers/{t['id']}/{action}", {}), 404)
    assert_api_error(other.post(f"/transfers/{t['id']}/return", {"reason": "x"}), 404)
    assert_api_error(other.post("/transfers", {"member_id": cast.member_a.pk, "kind": "out", "external_org": "x"}), 404)
    assert other.get("/transfers").json()["count"] == 0
    assert_api_error(api_as(cast.secretary_a).post(f"/transfers/{t['id']}/approve", {}), 404)
    assert Transfer.objects.get().status == "pending_approval"
    assert_api_error(api_as(None).get("/transfers"), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "sideways", "member_id": 1}, "kind"),
        ({"kind": "internal"}, "to_org_id"),
        ({"kind": "internal", "to_org_id": 999999}, "to_org_id"),
        ({"kind": "internal", "to_org_id": "abc"}, "to_org_id"),
        ({"kind": "out", "external_org": ""}, "external_org"),
        ({"kind": "out", "external_org": "x" * 200}, "external_org"),
        ({"kind": "out", "external_org": "a\x00b"}, "external_org"),
    ],
)
def test_bad_transfer_requests_name_the_field(cast, api_as, body, field):
    if "member_id" in body:
        body["member_id"] = cast.member_a.pk
    assert_api_error(api_as(cast.member_a_user).post("/transfers", body), 400, field)
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "110105198808080000"}, "id_number"),
        ({"letter_no": ""}, "letter_no"),
        ({"letter_issued_on": "yesterday"}, "letter_issued_on"),
        ({"status": "applicant"}, "status"),
        ({"letter_valid_until": "2020-01-01"}, "letter_valid_until"),
        ({"name": None}, "name"),
    ],
)
def test_bad_receive_requests_name_the_field(cast, api_as, change, field):
    body = {
        "to_org_id": cast.branch_b.pk,
        "letter_no": "外介8号",
        "letter_issuer": "某市委组织部",
        "letter_issued_on": f"{TODAY() - dt.timedelta(days=3):%Y-%m-%d}",
        "status": "full",
        "id_number": valid_id("19880808"),
        "name": "赵新",
        "gender": "M",
        "birth_date": "1988-08-08",
    }
    assert_api_error(api_as(cast.secretary_a).post("/transfers/receive", body), 404)  # Branch B is outside her scope
    body.update(change)
    assert_api_error(api_as(cast.secretary_b).post("/transfers/receive", body), 400, field)
    assert not Transfer.objects.exists() and not Member.objects.filter(name="赵新").exists()


def test_a_development_case_through_the_api(cast, api_as, walker, committee_a):
    person = applicant(cast.branch_a)
    sec = api_as(cast.secretary_a)
    r = sec.post("/development/cases", {"member_id": person.pk, "application_date": "2023-01-10"})
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert (r.json()["current_step"], r.json()["next_step"], r.json()["due_step"]) == (1, 2, 2)
    late = sec.post(f"/development/cases/{cid}/steps", {"number": 2, "done_on": "2023-02-11", "notes": "谈话"})
    assert late.status_code == 201 and len(late.json()["warnings"]) == 1
    case = DevelopmentCase.objects.get(pk=cid)
    walker.dates = schedule(dt.date(2023, 1, 20))
    walker.to(case, 14)
    assert_api_error(
        sec.post(
            f"/development/cases/{cid}/steps", {"number": 15, "done_on": "2024-06-10", "present": 4, "yes": 2, "no": 2}
        ),
        400,
        "yes",
    )
    ok = sec.post(
        f"/development/cases/{cid}/steps", {"number": 15, "done_on": "2024-06-10", "present": 4, "yes": 3, "no": 1}
    )
    assert ok.status_code == 201 and ok.json()["should_attend"] == 4
    sec.post(f"/development/cases/{cid}/steps", {"number": 16, "done_on": "2024-06-20"})
    assert_api_error(
        sec.post(
            f"/development/cases/{cid}/steps",
            {"number": 17, "done_on": "2024-07-01", "approver_org_id": cast.company_a.pk},
        ),
        400,
        "approver_org_id",
    )
    r = api_as(committee_a).post(
        f"/development/cases/{cid}/steps", {"number": 17, "done_on": "2024-07-01", "approver_org_id": cast.company_a.pk}
    )
    assert r.status_code == 201
    detail = sec.get(f"/development/cases/{cid}").json()
    assert detail["member_status"] == MemberStatus.PROBATIONARY and detail["probation_ends"] == "2025-06-10"
    assert len(detail["mentors"]) == 2 and len(detail["sponsors"]) == 2
    assert [s["number"] for s in detail["steps"]] == list(range(1, 18))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": 0}, "number"),
        ({"number": 26}, "number"),
        ({"number": "two"}, "number"),
        ({"number": 2, "done_on": "2023-02-30"}, "done_on"),
        ({"number": 2, "class_hours": -1}, "class_hours"),
        ({"number": 2, "mentor_ids": "1,2"}, "mentor_ids"),
        ({"number": 2, "approver_org_id": 999999}, "approver_org_id"),
        ({"number": 2, "meeting_id": 999999}, "meeting_id"),
        ({"number": 3, "done_on": "2023-02-01"}, "number"),
        ({"number": 2, "done_on": "2099-01-01"}, "done_on"),
    ],
)
def test_bad_steps_name_the_field(cast, api_as, body, field):
    person = applicant(cast.branch_a)
    sec = api_as(cast.secretary_a)
    cid = sec.post("/development/cases", {"member_id": person.pk, "application_date": "2023-01-10"}).json()["id"]
    assert_api_error(sec.post(f"/development/cases/{cid}/steps", body), 400, field)
    assert DevelopmentCase.objects.get(pk=cid).current_step == 1


def test_bad_case_starts_and_extensions(cast, api_as, walker):
    sec = api_as(cast.secretary_a)
    young = applicant(cast.branch_a, birth=TODAY() - dt.timedelta(days=365 * 17))
    assert_api_error(
        sec.post("/development/cases", {"member_id": young.pk, "application_date": f"{TODAY():%Y-%m-%d}"}),
        400,
        "application_date",
    )
    assert_api_error(
        sec.post("/development/cases", {"member_id": cast.member_a.pk, "application_date": "2024-01-01"}),
        400,
        "member_id",
    )
    assert_api_error(sec.post("/development/cases", {"member_id": young.pk}), 400, "application_date")
    assert_api_error(
        sec.post("/development/cases", {"member_id": cast.member_b.pk, "application_date": "2024-01-01"}), 404
    )
    case = walker.start(applicant(cast.branch_a), dt.date(2021, 1, 10))
    walker.to(case, 21)
    for months in (5, 13):
        assert_api_error(
            sec.post(
                f"/development/cases/{case.pk}/extend", {"months": months, "decided_on": "2023-01-15", "reason": "x"}
            ),
            400,
            "months",
        )
    assert_api_error(
        sec.post(f"/development/cases/{case.pk}/extend", {"months": 6, "decided_on": "2023-01-15", "reason": ""}),
        400,
        "reason",
    )
    assert (
        sec.post(
            f"/development/cases/{case.pk}/extend", {"months": 6, "decided_on": "2023-01-15", "reason": "继续考察"}
        ).json()["probation_extension_months"]
        == 6
    )
    assert_api_error(sec.post(f"/development/cases/{case.pk}/stop", {"reason": ""}), 400, "reason")


def test_the_pipeline_api_is_scoped_and_paged(cast, api_as, walker):
    for i in range(3):
        walker.start(applicant(cast.branch_a, name=f"申请{i}"), TODAY() - dt.timedelta(days=40 + i))
    body = api_as(cast.secretary_a).get("/development/pipeline", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["items"]) == 2 and all(i["overdue"] for i in body["items"])
    assert api_as(cast.secretary_a).get("/development/pipeline", {"stage": 2}).json()["count"] == 0
    assert api_as(cast.secretary_b).get("/development/pipeline").json() == {"items": [], "count": 0}
    assert_api_error(api_as(cast.secretary_b).get("/development/pipeline", {"org": cast.branch_a.pk}), 404)
    assert_api_error(api_as(cast.secretary_a).get("/development/pipeline", {"stage": 6}), 400, "stage")
    assert_api_error(api_as(cast.secretary_a).get("/development/pipeline", {"page_size": 1000}), 400, "page_size")
    board = api_as(cast.committee).get("/development/board").json()
    assert (
        board["people"] == 3
        and board["overdue"] == 3
        and board["stages"][0]["steps"][1]
        == {"number": 2, "label": board["stages"][0]["steps"][1]["label"], "people": 3, "overdue": 3}
    )
    cid = DevelopmentCase.objects.first().pk
    assert_api_error(api_as(cast.secretary_b).get(f"/development/cases/{cid}"), 404)
    assert_api_error(
        api_as(cast.secretary_b).post(f"/development/cases/{cid}/steps", {"number": 2, "done_on": "2026-01-01"}), 404
    )
    assert_api_error(api_as(cast.secretary_b).post(f"/development/cases/{cid}/stop", {"reason": "x"}), 404)
