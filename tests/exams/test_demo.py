"""The demo year of exams and points (seed_demo's hooks): the demo member has an open exam, history, points."""

import datetime as dt
import io

from django.core.management import call_command

from dangjian.accounts.models import User
from dangjian.exams import analysis
from dangjian.exams.models import Attempt, Competition, Exam, Question
from dangjian.exams.selectors import eligible, my_open_exams
from dangjian.points.models import PointsEntry


def test_seed_demo_gives_the_demo_member_an_open_exam_history_and_points(db):
    call_command(
        "seed_demo",
        "--members",
        "300",
        "--seed",
        "3",
        "--today",
        dt.date.today().isoformat(),
        "--no-progress",
        stdout=io.StringIO(),
    )
    member = User.objects.get(username="member").member
    open_exams = my_open_exams(member)
    assert len(open_exams) == 1 and eligible(open_exams[0], member)
    assert Question.objects.count() == 27 and Competition.objects.count() == 2
    past = Exam.objects.exclude(pk=open_exams[0].pk).filter(competition__isnull=True)
    assert past.count() == 2 and Attempt.objects.filter(exam__in=past, counts=True).count() > 100
    stats = analysis.exam_statistics(past.first())
    assert stats.n > 100 and stats.cic is not None and all(i.facility is not None for i in stats.items)
    assert PointsEntry.objects.exists()
