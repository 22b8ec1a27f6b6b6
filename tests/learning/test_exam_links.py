"""Learning and exams meet: a course quiz counts when passed, exam mastery steers the recommendations."""

from dangjian.learning import hooks
from dangjian.learning import recommend as rec
from dangjian.learning.models import KnowledgePoint

from .conftest import make_resource


def test_exams_app_answers_the_course_quiz_hook(cast):
    # None would mean no exams app answers (the quiz would not block); the installed app says "not passed".
    assert hooks.exam_passed(cast.member_a, 999_999) is False


def test_weak_exam_knowledge_points_come_first_with_their_reason(lib, monkeypatch):
    kp = KnowledgePoint.objects.create(name="党的纪律")
    lesson = make_resource(lib, title="纪律处分条例解读", dimension="ethics")
    lesson.knowledge_points.add(kp)
    hidden = make_resource(lib, org=lib.branch_b, user=lib.secretary_b, title="乙支部纪律学习", dimension="ethics")
    hidden.knowledge_points.add(kp)
    # GIVEN the exams module finds the member weakest on 党的纪律 (its mastery is tested in tests/exams)
    monkeypatch.setattr(
        "dangjian.exams.analysis.weak_knowledge_points",
        lambda member_id, limit=3: [{"kp": "党的纪律", "mastery": 40.0}],
    )
    recs = rec.recommend(lib.member_a_user, limit=10)
    assert recs[0].resource.pk == lesson.pk and "党的纪律" in recs[0].reason
    assert hidden.pk not in [r.resource.pk for r in recs]  # never what the member cannot see
    monkeypatch.setattr("dangjian.exams.analysis.weak_knowledge_points", lambda member_id, limit=3: [])
    assert all("党的纪律" not in r.reason for r in rec.recommend(lib.member_a_user, limit=10))
