"""The exam API of DESIGN.md: start, autosave, submit. Shapes, no answers before submission, scope, bad input,
and a start whose query count does not grow with the number of questions."""

import datetime as dt
import json
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from dangjian.exams import papers, services
from dangjian.exams.models import Attempt, AttemptQuestion, Question

from ..factories import UserFactory, make_member
from .conftest import bearer


def start(client, exam, headers):
    return client.post(f"/api/v1/exams/{exam.pk}/attempts", content_type="application/json", **headers)


def put(client, attempt_id, body, headers):
    return client.put(
        f"/api/v1/attempts/{attempt_id}/answers",
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **headers,
    )


def test_a_member_takes_the_exam_through_the_api(client, cast, exam):
    headers = bearer(cast.member_a_user)
    listed = client.get("/api/v1/exams", **headers).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == exam.pk and listed["items"][0]["attempts_used"] == 0
    response = start(client, exam, headers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"id", "deadline", "questions"} and len(body["questions"]) == 10
    for q in body["questions"]:
        assert set(q) == {"id", "type", "stem", "options"}
        assert all(set(o) == {"id", "text"} for o in q["options"])
    # Answer from a hand-written key: the right option's text (as a person would), never from the response.
    key = {}
    for q in body["questions"]:
        v = Question.objects.get(pk=q["id"]).current_version
        if q["type"] == "single":
            key[str(q["id"])] = v.answer
        elif q["type"] == "multiple":
            key[str(q["id"])] = list(reversed(v.answer))
        elif q["type"] == "judge":
            key[str(q["id"])] = "对"
        else:
            key[str(q["id"])] = " 中国工人阶级 "
    first_half = dict(list(key.items())[:4])
    saved = put(client, body["id"], {"answers": first_half}, headers)
    assert saved.status_code == 200 and saved.json()["saved"] == 4
    saved = put(client, body["id"], {"answers": dict(list(key.items())[4:])}, headers)  # autosave merges
    assert saved.json()["saved"] == 10
    resumed = start(client, exam, headers)
    assert (
        resumed.status_code == 200
        and resumed.json()["id"] == body["id"]
        and resumed.json()["questions"] == body["questions"]
    )
    assert resumed.json()["saved"] == key
    result = client.post(f"/api/v1/attempts/{body['id']}/submit", **headers)
    assert result.status_code == 200 and result.json() == {"score": 26.0, "max_score": 26.0, "passed": True}
    review = client.get(f"/api/v1/attempts/{body['id']}", **headers).json()
    assert review["answers_shown"] and all(
        q["answer"] is not None for q in review["questions"]
    )  # review policy: after submit


def test_answers_never_leak_before_submission(client, cast, exam):
    headers = bearer(cast.member_a_user)
    body = start(client, exam, headers).json()
    text = json.dumps(body, ensure_ascii=False)
    for word in ('"answer"', '"explanation"', '"correct"', '"right"', "工人阶级"):  # the blank's accepted answer
        assert word not in text
    review = client.get(f"/api/v1/attempts/{body['id']}", **headers).json()
    assert not review["answers_shown"] and all(
        q["answer"] is None and q["explanation"] is None for q in review["questions"]
    )
    assert "工人阶级" not in json.dumps(review, ensure_ascii=False)
    detail = client.get(f"/api/v1/exams/{exam.pk}", **headers).json()
    assert "answer" not in json.dumps(detail)


def test_review_after_close_policy_hides_answers_until_the_exam_closes(client, cast, exam):
    from dangjian.exams.models import Exam

    Exam.objects.filter(pk=exam.pk).update(review_policy="after_close")
    headers = bearer(cast.member_a_user)
    body = start(client, exam, headers).json()
    client.post(f"/api/v1/attempts/{body['id']}/submit", **headers)
    review = client.get(f"/api/v1/attempts/{body['id']}", **headers).json()
    assert review["status"] == "submitted" and not review["answers_shown"]


def test_scope_another_branch_gets_404_and_nothing_is_written(client, cast, exam, member_b_user):
    headers_b = bearer(member_b_user)
    assert start(client, exam, headers_b).status_code == 404
    assert client.get(f"/api/v1/exams/{exam.pk}", **headers_b).status_code == 404
    assert client.get("/api/v1/exams", **headers_b).json() == {"items": [], "count": 0}
    assert not Attempt.objects.exists()
    attempt_id = start(client, exam, bearer(cast.member_a_user)).json()["id"]
    assert put(client, attempt_id, {"answers": {}}, headers_b).status_code == 404
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit", **headers_b).status_code == 404
    assert client.get(f"/api/v1/attempts/{attempt_id}", **headers_b).status_code == 404
    assert client.get(f"/api/v1/exams/{exam.pk}/analysis", **bearer(cast.secretary_b)).status_code == 404
    assert client.get(f"/api/v1/exams/{exam.pk}/analysis", **bearer(cast.member_a_user)).status_code == 404
    assert Attempt.objects.get().status == "in_progress" and Attempt.objects.get().answers == {}
    assert client.post(f"/api/v1/exams/{exam.pk}/attempts").status_code == 401


def test_bad_input_answers_4xx_naming_fields(client, cast, exam):
    headers = bearer(cast.member_a_user)
    bad_page = client.get("/api/v1/exams", {"page": 0}, **headers)
    assert bad_page.status_code == 400 and bad_page.json()["errors"][0]["field"] == "page"
    assert client.post("/api/v1/exams/abc/attempts", **headers).status_code == 400
    assert client.post("/api/v1/exams/999999/attempts", **headers).status_code == 404
    attempt_id = start(client, exam, headers).json()["id"]
    for body, field in (
        ({}, "answers"),
        ({"answers": [1, 2]}, "answers"),
        ({"answers": {"999999": "x"}}, "answers.999999"),
        ("{not json", ""),
    ):
        response = put(client, attempt_id, body, headers)
        assert response.status_code == 400, body
        payload = response.json()
        assert set(payload) == {"detail", "errors"} and payload["detail"]
        if field:
            assert field in {e["field"] for e in payload["errors"]}
    assert client.post("/api/v1/attempts/999999/submit", **headers).status_code == 404
    assert client.get("/api/v1/attempts/abc", **headers).status_code == 400


def test_autosave_after_the_deadline_is_refused_over_the_api(client, cast, exam):
    headers = bearer(cast.member_a_user)
    body = start(client, exam, headers).json()
    question = body["questions"][0]
    Attempt.objects.filter(pk=body["id"]).update(deadline=timezone.now() + dt.timedelta(seconds=1))
    assert put(client, body["id"], {"answers": {str(question["id"]): None}}, headers).status_code == 200
    Attempt.objects.filter(pk=body["id"]).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    late = put(client, body["id"], {"answers": {str(question["id"]): "x"}}, headers)
    assert late.status_code == 409 and late.json()["errors"][0]["field"] == "answers"
    assert Attempt.objects.get(pk=body["id"]).answers == {}
    result = client.post(f"/api/v1/attempts/{body['id']}/submit", **headers).json()
    assert result == {"score": 0.0, "max_score": 26.0, "passed": False}


def _exam_of(cast, bank, n):
    qs = list(Question.objects.filter(bank=bank).order_by("id")[:n])
    paper = papers.paper_save_fixed(
        bank=bank, org=cast.company_a, name=f"卷{n}", items=[(q.pk, Decimal(1)) for q in qs], acting_user=cast.committee
    )
    now = timezone.now()
    exam = services.exam_save(
        org=cast.company_a,
        paper=paper,
        acting_user=cast.committee,
        title=f"考试{n}",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(hours=1),
        time_limit_minutes=20,
    )
    return services.exam_publish(exam=exam, acting_user=cast.committee, notify_members=False)


def test_starting_runs_a_constant_number_of_queries(client, cast, bank, random_paper, django_assert_max_num_queries):
    """GIVEN papers of 4 and 20 questions (and a random paper), WHEN members start, THEN the queries do not grow."""
    small, large = _exam_of(cast, bank, 4), _exam_of(cast, bank, 20)
    users = [UserFactory() for _ in range(3)]
    for u in users:
        make_member(cast.branch_a, user=u)
    headers = [bearer(u) for u in users]
    with django_assert_max_num_queries(20) as few:
        assert start(client, small, headers[0]).status_code == 201
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert start(client, large, headers[1]).status_code == 201
    assert AttemptQuestion.objects.filter(attempt__exam=large).count() == 20
    now = timezone.now()
    rnd = services.exam_publish(
        exam=services.exam_save(
            org=cast.company_a,
            paper=random_paper,
            acting_user=cast.committee,
            title="随机",
            opens_at=now - dt.timedelta(minutes=1),
            closes_at=now + dt.timedelta(hours=1),
        ),
        acting_user=cast.committee,
        notify_members=False,
    )
    with django_assert_max_num_queries(
        len(few.captured_queries) + 2
    ):  # the rule pool query (+ savepoint pair on PostgreSQL)
        assert start(client, rnd, headers[2]).status_code == 201


def test_submitting_runs_a_constant_number_of_queries(client, cast, bank, django_assert_max_num_queries):
    small, large = _exam_of(cast, bank, 4), _exam_of(cast, bank, 20)
    headers = bearer(cast.member_a_user)
    a_small, a_large = start(client, small, headers).json()["id"], start(client, large, headers).json()["id"]
    with django_assert_max_num_queries(20) as few:
        assert client.post(f"/api/v1/attempts/{a_small}/submit", **headers).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.post(f"/api/v1/attempts/{a_large}/submit", **headers).status_code == 200


def test_a_submission_is_a_handful_of_statements(client, cast, bank, django_assert_num_queries):
    """The hot path of a company-wide exam: the token, the locked attempt with its exam's rules and its questions,
    then the writes (scores, attempt, facts, audit) in one round trip on PostgreSQL, the answer keys cached."""
    exam = _exam_of(cast, bank, 20)
    other = UserFactory()
    make_member(cast.branch_a, user=other)
    first, second = bearer(cast.member_a_user), bearer(other)
    a1, a2 = start(client, exam, first).json()["id"], start(client, exam, second).json()["id"]
    assert client.post(f"/api/v1/attempts/{a1}/submit", **first).status_code == 200  # reads the answer keys
    pipelined = []

    def note_pipeline(execute, text, params, many, context):
        pipelined.append(getattr(connection.connection, "_pipeline", None) is not None)
        return execute(text, params, many, context)

    pg = connection.vendor == "postgresql"
    writes = 4 + pg  # scores, attempt, fact, audit (and, on PostgreSQL, asynchronous commit for this transaction)
    with django_assert_num_queries(1 + 2 + 1 + writes), connection.execute_wrapper(note_pipeline):
        assert client.post(f"/api/v1/attempts/{a2}/submit", **second).status_code == 200
    # token; savepoint; the locked read; the writes, sent together on PostgreSQL; release.
    assert pipelined == [False, False, False, *[pg] * writes, False]
    done = Attempt.objects.get(pk=a2)
    assert done.status == Attempt.Status.SUBMITTED and done.score is not None
    assert AttemptQuestion.objects.filter(attempt_id=a2, score__isnull=True).count() == 0


def test_an_autosave_is_one_read_and_one_write(client, cast, bank, django_assert_num_queries):
    """The most frequent call of an exam: the token, the locked attempt with its questions, the UPDATE."""
    exam = _exam_of(cast, bank, 20)
    headers = bearer(cast.member_a_user)
    paper = start(client, exam, headers).json()
    first = paper["questions"][0]
    assert put(client, paper["id"], {"answers": {}}, headers).status_code == 200  # the versions are cached now
    with django_assert_num_queries(1 + 2 + 1 + 1):  # token; savepoint and release; the read; the write
        saved = put(client, paper["id"], {"answers": {str(first["id"]): _any_answer(first)}}, headers)
    assert saved.status_code == 200 and saved.json()["saved"] == 1
    assert Attempt.objects.get(pk=paper["id"]).answers == {str(first["id"]): _any_answer(first)}


def _any_answer(question):
    return {"single": (question["options"] or [{"id": "x"}])[0]["id"], "judge": True}.get(
        question["type"], [question["options"][0]["id"]] if question["options"] else "答案"
    )


def test_openapi_lists_the_fixed_paths(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"post"} <= set(paths["/api/v1/exams/{exam_id}/attempts"]) and "put" in paths[
        "/api/v1/attempts/{attempt_id}/answers"
    ]
    assert "post" in paths["/api/v1/attempts/{attempt_id}/submit"]
