"""Exam screens: a member takes an exam on the web, organisers manage banks, papers and exams, the analysis and
its export; scope (404 for another branch, nothing written), bad input (400 with the field), query counts."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from dangjian.exams import attempts, services
from dangjian.exams.models import Attempt, Exam, Paper, Question, QuestionBank

from ..conftest import login
from ..factories import UserFactory, make_member


def test_member_takes_an_exam_through_the_screens(client, cast, exam):
    login(client, cast.member_a_user)
    listing = client.get("/exams/")
    assert listing.status_code == 200 and exam.title in listing.content.decode()
    assert client.get(f"/exams/{exam.pk}/").status_code == 200
    started = client.post(f"/exams/{exam.pk}/take/")
    attempt = Attempt.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/exams/attempts/{attempt.pk}/"
    page = client.get(started["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="countdown"' in html and 'data-testid="save-state"' in html
    assert html.count('data-testid="question"') == 10 and "工人阶级" not in html  # no answers on the page
    # Without JavaScript the form carries the answers: pick every right one.
    data = {}
    for aq in attempt.questions.select_related("version"):
        v = aq.version
        name = f"q{aq.question_id}"
        data[name] = {"single": v.answer, "multiple": v.answer, "judge": "true", "blank": "工人阶级"}[v.type]
    done = client.post(f"/exams/attempts/{attempt.pk}/submit/", data)
    assert done.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score == attempt.max_score
    result = client.get(f"/exams/attempts/{attempt.pk}/")
    assert result.status_code == 200 and 'data-testid="score"' in result.content.decode()


def test_expired_attempt_page_shows_the_result_of_what_was_saved(client, cast, exam):
    attempt, _shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    login(client, cast.member_a_user)
    page = client.get(f"/exams/attempts/{attempt.pk}/")
    assert page.status_code == 200 and 'data-testid="result"' in page.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.auto_submitted and attempt.score == 0


def test_another_branch_cannot_see_or_take_the_exam(client, cast, exam, member_b_user):
    login(client, member_b_user)
    assert exam.title not in client.get("/exams/").content.decode()
    assert client.get(f"/exams/{exam.pk}/").status_code == 404
    assert client.post(f"/exams/{exam.pk}/take/").status_code == 404
    assert client.get(f"/exams/{exam.pk}/analysis/").status_code == 404
    assert not Attempt.objects.exists()
    attempt, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    assert client.get(f"/exams/attempts/{attempt.pk}/").status_code == 404
    assert client.post(f"/exams/attempts/{attempt.pk}/submit/").status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == "in_progress"
    login(client, cast.secretary_b)
    for url in (f"/exams/{exam.pk}/edit/", f"/exams/{exam.pk}/analysis/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/exams/{exam.pk}/cancel/").status_code == 404
    exam.refresh_from_db()
    assert exam.status == "published"


def test_organiser_builds_a_bank_paper_and_exam_through_the_screens(client, cast):
    login(client, cast.secretary_a)
    created = client.post("/exams/banks/", {"org": cast.branch_a.pk, "name": "支部题库"})
    bank = QuestionBank.objects.get()
    assert created.status_code == 302 and bank.org == cast.branch_a
    for i in range(3):
        added = client.post(
            f"/exams/banks/{bank.pk}/questions/new/",
            {
                "type": "single",
                "stem": f"题{i}",
                "options": "甲\n乙\n丙",
                "answer": "B",
                "difficulty": 2,
                "category": "党章",
            },
        )
        assert added.status_code == 302
    bad = client.post(
        f"/exams/banks/{bank.pk}/questions/new/",
        {"type": "single", "stem": "x", "options": "甲", "answer": "B", "difficulty": 2},
    )
    assert bad.status_code == 400 and "options" in bad.context["form"].errors
    refused = client.post(
        "/exams/papers/new/",
        {
            "bank": bank.pk,
            "name": "卷",
            "org": cast.branch_a.pk,
            "kind": "random",
            "r0-type": "single",
            "r0-count": 5,
            "r0-difficulty_min": 1,
            "r0-difficulty_max": 5,
            "r0-points": "2",
        },
    )
    assert refused.status_code == 400 and not Paper.objects.exists()
    assert "needs 5" in str(refused.context["form"].non_field_errors()) or refused.context["form"].errors
    saved = client.post(
        "/exams/papers/new/",
        {
            "bank": bank.pk,
            "name": "卷",
            "org": cast.branch_a.pk,
            "kind": "random",
            "shuffle_questions": "on",
            "r0-type": "single",
            "r0-count": 3,
            "r0-difficulty_min": 1,
            "r0-difficulty_max": 5,
            "r0-points": "2",
        },
    )
    paper = Paper.objects.get()
    assert saved.status_code == 302 and paper.max_score == 6
    now = timezone.localtime()
    exam_form = {
        "title": "支部测验",
        "org": cast.branch_a.pk,
        "paper": paper.pk,
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit_minutes": 20,
        "attempts_allowed": 1,
        "pass_percent": "60",
        "grading_method": "highest",
        "review_policy": "after_close",
        "multiple_partial": "none",
        "on_timeout": "submit",
        "audience_statuses": ["full", "probationary"],
    }
    bad_exam = client.post(
        "/exams/new/",
        exam_form
        | {
            "closes_at": now.strftime("%Y-%m-%dT%H:%M"),
            "opens_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert bad_exam.status_code == 400 and "closes_at" in bad_exam.context["form"].errors and not Exam.objects.exists()
    made = client.post("/exams/new/", exam_form)
    exam = Exam.objects.get()
    assert made.status_code == 302 and exam.status == "draft"
    assert client.post(f"/exams/{exam.pk}/publish/").status_code == 302
    exam.refresh_from_db()
    assert exam.status == "published"
    assert client.get(f"/exams/{exam.pk}/").status_code == 200


def test_bank_import_screen_lists_bad_rows_and_writes_nothing(client, cast, bank):
    login(client, cast.committee)
    wb = Workbook()
    wb.active.append(["题型", "题干", "选项A", "选项B", "答案"])
    wb.active.append(["单选", "好题", "甲", "乙", "A"])
    wb.active.append(["单选", "坏题", "甲", "乙", "Z"])
    out = io.BytesIO()
    wb.save(out)
    before = Question.objects.count()
    response = client.post(f"/exams/banks/{bank.pk}/import/", {"file": SimpleUploadedFile("q.xlsx", out.getvalue())})
    assert response.status_code == 400 and 'data-testid="import-errors"' in response.content.decode()
    assert Question.objects.count() == before
    template = client.get("/exams/banks/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    export = client.get(f"/exams/banks/{bank.pk}/export.xlsx")
    assert export.status_code == 200 and load_workbook(io.BytesIO(export.content)).active.max_row == before + 1
    login(client, cast.secretary_b)
    assert client.get(f"/exams/banks/{bank.pk}/export.xlsx").status_code == 404
    assert client.get(f"/exams/banks/{bank.pk}/").status_code == 404
    q = Question.objects.filter(bank=bank).first()
    assert client.post(f"/exams/questions/{q.pk}/active/", {"active": "0"}).status_code == 404
    q.refresh_from_db()
    assert q.is_active


def test_analysis_screen_and_export(client, cast, exam):
    for _ in range(3):
        user = UserFactory()
        make_member(cast.branch_a, user=user)
        a, _s, _ = attempts.attempt_start(exam=exam, user=user)
        attempts.attempt_submit(attempt_id=a.pk, user=user)
    login(client, cast.committee)
    page = client.get(f"/exams/{exam.pk}/analysis/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="items"' in html and 'data-testid="distribution"' in html
    export = client.get(f"/exams/{exam.pk}/analysis/", {"format": "xlsx"})
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert {"Summary", "Questions"} <= set(load_workbook(io.BytesIO(export.content)).sheetnames) or len(
        load_workbook(io.BytesIO(export.content)).sheetnames
    ) == 5
    login(client, cast.secretary_a)  # governs Branch A below the exam's org: sees the analysis of Branch A's attempts
    assert client.get(f"/exams/{exam.pk}/analysis/").status_code == 200


@pytest.mark.parametrize("n", [2, 12])
def test_list_screens_run_a_bounded_number_of_queries(client, cast, random_paper, django_assert_max_num_queries, n):
    now = timezone.now()
    for i in range(n):
        e = services.exam_save(
            org=cast.company_a,
            paper=random_paper,
            acting_user=cast.committee,
            title=f"考试{i}",
            opens_at=now - dt.timedelta(minutes=1),
            closes_at=now + dt.timedelta(days=1),
        )
        services.exam_publish(exam=e, acting_user=cast.committee, notify_members=False)
    login(client, cast.member_a_user)
    with django_assert_max_num_queries(16):
        assert client.get("/exams/").status_code == 200
    login(client, cast.committee)
    with django_assert_max_num_queries(16):
        assert client.get("/exams/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/exams/banks/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/exams/papers/").status_code == 200


def test_bank_page_queries_do_not_grow_with_questions(client, cast, bank, django_assert_max_num_queries):
    login(client, cast.committee)
    with django_assert_max_num_queries(16):
        response = client.get(f"/exams/banks/{bank.pk}/")
    assert (
        response.status_code == 200
        and len(re.findall(r"/exams/questions/\d+/\"", response.content.decode()))
        == Question.objects.filter(bank=bank).count()
    )
    filtered = client.get(f"/exams/banks/{bank.pk}/", {"type": "judge", "category": "abc", "q": "判断", "page": "x"})
    assert filtered.status_code == 200


def test_employees_and_strangers_get_404(client, cast):
    login(client, cast.outsider)
    for url in ("/exams/", "/exams/banks/", "/exams/papers/", "/exams/new/", "/points/"):
        assert client.get(url).status_code == 404, url
