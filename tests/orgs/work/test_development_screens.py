"""Member development on the web: the board, a person's timeline, the step form with bad input, reminders, scope."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.notices.models import Notification
from dangjian.orgs import development
from dangjian.orgs.models import Member, MemberStatus
from dangjian.orgs.models_development import DevelopmentCase, DevelopmentEvidence, DevelopmentStep
from dangjian.orgs.timing import add_months

from ...conftest import login
from ...factories import UserFactory
from .conftest import TODAY, applicant


def test_the_secretary_opens_a_case_and_moves_it_a_step(client, cast, voters):
    person = applicant(cast.branch_a, name="李申请")
    login(client, cast.secretary_a)
    board = client.get(reverse("orgs:pipeline"))
    assert board.status_code == 200 and "李申请" in board.content.decode()
    response = client.post(
        reverse("orgs:development_start"),
        {"member": person.pk, "application_date": f"{TODAY() - dt.timedelta(days=5):%Y-%m-%d}"},
    )
    assert response.status_code == 302
    case = DevelopmentCase.objects.get(member=person)
    response = client.post(
        reverse("orgs:development_step", args=[case.pk]),
        {"number": "2", "done_on": f"{TODAY():%Y-%m-%d}", "notes": "支部书记谈话"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.current_step == 2 and case.due_step is None
    page = client.get(reverse("orgs:development_case", args=[case.pk]))
    assert page.status_code == 200
    stages = page.context["stages"]
    states = [i["state"] for s in stages for i in s["items"]]
    assert states[:3] == ["done", "done", "current"] and states.count("current") == 1
    assert page.content.decode().count('aria-current="step"') == 1


def test_bad_input_on_the_step_form_is_a_400_and_nothing_is_written(client, cast, walker):
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 10)
    login(client, cast.secretary_a)
    url = reverse("orgs:development_step", args=[case.pk])
    bad = [
        {"number": "11", "done_on": "2024-05-10", "class_hours": "23"},
        {"number": "11", "done_on": "2024-05-10", "class_hours": "-1"},
        {"number": "11", "done_on": "2024-05-10", "class_hours": "many"},
        {"number": "11", "done_on": "not a date", "class_hours": "30"},
        {"number": "11", "done_on": "2099-01-01", "class_hours": "30"},
        {"number": "12", "done_on": "2024-05-10"},
        {"number": "x", "done_on": "2024-05-10"},
        {"number": "99", "done_on": "2024-05-10"},
        {"number": "11", "done_on": "2024-05-10", "class_hours": "30", "notes": "x" * 3000},
    ]
    for data in bad:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert response.context["step_form"].errors, data
    assert DevelopmentStep.objects.filter(case=case, number=11).count() == 0
    assert client.post(url, {"number": "11", "done_on": "2024-05-10", "class_hours": "24"}).status_code == 302


def test_bad_input_on_start_extend_stop_and_attach(client, cast, walker):
    login(client, cast.secretary_a)
    young = applicant(cast.branch_a, birth=TODAY() - dt.timedelta(days=17 * 365), name="少年")
    for data in (
        {"member": young.pk, "application_date": f"{TODAY():%Y-%m-%d}"},
        {"member": "", "application_date": "2024-01-01"},
        {"member": cast.member_b.pk, "application_date": "2024-01-01"},
        {"member": young.pk, "application_date": "2024-02-30"},
    ):
        assert client.post(reverse("orgs:development_start"), data).status_code == 400, data
    assert not DevelopmentCase.objects.exists()
    case = walker.start(applicant(cast.branch_a), dt.date(2021, 1, 10))
    walker.to(case, 21)
    url = reverse("orgs:development_extend", args=[case.pk])
    for data in (
        {"months": "5", "decided_on": "2023-01-15", "reason": "x"},
        {"months": "13", "decided_on": "2023-01-15", "reason": "x"},
        {"months": "six", "decided_on": "2023-01-15", "reason": "x"},
        {"months": "6", "decided_on": "", "reason": "x"},
        {"months": "6", "decided_on": "2023-01-15", "reason": ""},
    ):
        assert client.post(url, data).status_code == 400, data
    case.refresh_from_db()
    assert case.probation_extension_months is None
    assert client.post(reverse("orgs:development_stop", args=[case.pk]), {"reason": ""}).status_code == 400
    step = case.steps.get(number=14)
    attach = reverse("orgs:development_attach", args=[case.pk, step.pk])
    exe = SimpleUploadedFile("志愿书.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    assert client.post(attach, {"file": exe}).status_code == 400
    assert client.post(attach, {}).status_code == 400
    assert not DevelopmentEvidence.objects.exists()
    pdf = SimpleUploadedFile("志愿书.pdf", b"%PDF-1.4\n" + b"0" * 100, content_type="application/pdf")
    assert client.post(attach, {"file": pdf}).status_code == 302
    assert DevelopmentEvidence.objects.get().content_type == "application/pdf"


def test_the_member_sees_their_own_timeline_read_only(client, cast, walker):
    user = UserFactory(username="applicant_user", name="王申请")
    person = applicant(cast.branch_a, user=user)
    case = walker.start(person, dt.date(2024, 1, 10))
    walker.to(case, 3)
    login(client, user)
    page = client.get(reverse("orgs:development_mine"))
    assert page.status_code == 200 and page.context["step_form"] is None and not page.context["can_manage"]
    assert (
        client.post(
            reverse("orgs:development_step", args=[case.pk]), {"number": "4", "done_on": "2024-03-01"}
        ).status_code
        == 404
    )
    assert client.get(reverse("orgs:pipeline")).status_code == 404
    assert DevelopmentCase.objects.get().current_step == 3


def test_another_branch_gets_404_everywhere_and_nothing_changes(client, cast, walker):
    case = walker.start(applicant(cast.branch_a, name="甲申请人"), dt.date(2023, 1, 10))
    login(client, cast.secretary_b)
    assert client.get(reverse("orgs:development_case", args=[case.pk])).status_code == 404
    for name, data in (
        ("development_step", {"number": "2", "done_on": "2023-01-15"}),
        ("development_extend", {"months": "6"}),
        ("development_stop", {"reason": "x"}),
    ):
        assert client.post(reverse(f"orgs:{name}", args=[case.pk]), data).status_code == 404, name
    step = case.steps.get()
    assert client.post(reverse("orgs:development_attach", args=[case.pk, step.pk])).status_code == 404
    board = client.get(reverse("orgs:pipeline"))
    assert "甲申请人" not in board.content.decode() and board.context["totals"]["people"] == 0
    assert client.get(reverse("orgs:pipeline"), {"org": cast.branch_a.pk}).status_code == 404
    case.refresh_from_db()
    assert (case.current_step, case.status) == (1, "open")


def test_the_board_counts_who_is_where_and_what_is_overdue(client, cast, walker):
    """GIVEN one applicant whose talk is overdue, one activist whose assessment is due in 10 days and one
    probationary member THEN each stage shows its people, overdue and due-soon counts."""
    late = walker.start(applicant(cast.branch_a, name="逾期"), add_months(TODAY(), -2))
    soon = walker.start(applicant(cast.branch_a, name="将到期"), add_months(TODAY(), -8))
    walker.step(soon, 2, on=add_months(TODAY(), -8))
    walker.step(soon, 3, on=add_months(TODAY(), -6) + dt.timedelta(days=10))
    prob = walker.start(applicant(cast.branch_a, name="预备"), add_months(TODAY(), -20))
    walker.to(prob, 18)
    login(client, cast.committee)
    response = client.get(reverse("orgs:pipeline"))
    cols = {c.number: c for c in response.context["columns"]}
    assert (cols[1].people, cols[1].overdue) == (1, 1)  # "逾期" waits on step 2, a month overdue
    assert (cols[2].people, cols[2].due_soon) == (1, 1)  # "将到期" waits on step 4; assessment due in 10 days
    assert cols[5].people == 1
    assert response.context["totals"] == {"people": 3, "overdue": 1, "soon": 1}
    overdue = client.get(reverse("orgs:pipeline"), {"overdue": "1"})
    assert [r["member"].name for r in overdue.context["rows"]] == ["逾期"]
    stage5 = client.get(reverse("orgs:pipeline"), {"stage": "5"})
    assert [r["member"].name for r in stage5.context["rows"]] == ["预备"]
    assert late.pk != prob.pk


def test_reminders_go_out_once_per_deadline(cast, walker):
    case = walker.start(applicant(cast.branch_a), TODAY() - dt.timedelta(days=25))
    case.refresh_from_db()
    assert (case.due_step, case.due_on) == (2, add_months(TODAY() - dt.timedelta(days=25), 1))
    assert development.development_remind() == 1
    assert development.development_remind() == 0
    assert Notification.objects.filter(recipient=cast.secretary_a, kind="orgs.development").count() == 1
    walker.step(case, 2, on=TODAY())
    walker.step(case, 3, on=TODAY())
    assert development.development_remind() == 0  # the next deadline (assessment) is half a year away
    assert development.development_remind(today=add_months(TODAY(), 6) - dt.timedelta(days=7)) == 1
    assert development.development_remind(today=add_months(TODAY(), 6)) == 0


def test_a_member_in_the_pipeline_moves_status_only_through_steps(cast, walker):
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 6)
    assert Member.objects.get(pk=case.member_id).status == MemberStatus.ACTIVIST
