"""The demo member work: every person in the pipeline has a case consistent with their record, some overdue,
and the demo committee and secretary each have a transfer to act on."""

import datetime as dt

from django.urls import reverse

from dangjian.accounts.models import User
from dangjian.orgs import demo_work
from dangjian.orgs.demo import DemoSeeder
from dangjian.orgs.models import Member
from dangjian.orgs.models_development import DevelopmentCase, DevelopmentStep
from dangjian.orgs.models_transfer import Transfer
from dangjian.orgs.transfers import transfers_awaiting

from ...conftest import login


def test_the_demo_pipeline_and_transfers(db, client):
    today = dt.date.today()
    seeder = DemoSeeder(members=300, seed=7, today=today, progress=False, app_hooks=False)
    seeder.run()
    counts = demo_work.seed_demo(seeder.context())
    pipeline = Member.objects.filter(status__in=demo_work.PIPELINE).count()
    assert counts["cases"] == pipeline == DevelopmentCase.objects.count() > 0
    assert not DevelopmentStep.objects.filter(done_on__gt=today).exists()
    for case in DevelopmentCase.objects.select_related("member"):
        expected = {
            "applicant": range(1, 3),
            "activist": range(3, 7),
            "candidate": range(7, 15),
            "probationary": range(17, 22),
        }
        assert case.current_step in expected[case.member.status], (case.member.status, case.current_step)
    assert DevelopmentCase.objects.filter(due_on__lt=today).exists()  # the board has overdue work
    prob = DevelopmentStep.objects.filter(number=15).select_related("case__member")
    assert all(s.done_on == s.case.member.probationary_date for s in prob)
    assert counts["transfers"] == 2
    secretary, committee = User.objects.get(username="secretary"), User.objects.get(username="committee")
    assert transfers_awaiting(secretary).filter(status=Transfer.Status.PENDING_ACCEPTANCE).count() == 1
    assert transfers_awaiting(committee).filter(status=Transfer.Status.PENDING_APPROVAL).exists()
    login(client, secretary)
    board = client.get(reverse("orgs:pipeline"))
    assert board.status_code == 200 and board.context["totals"]["people"] > 0
