"""Exam writes: create, change and publish an exam (the attempt flow is in attempts.py, the bank in bank.py,
papers in papers.py, competitions in competitions.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import OrgRole
from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import require_org_perm
from dangjian.notices.services import notify
from dangjian.orgs.models import Member, MemberStatus, Org

from .models import Exam, Paper

MANAGE = "members.manage"
SETTINGS = [
    "title",
    "description",
    "opens_at",
    "closes_at",
    "time_limit_minutes",
    "attempts_allowed",
    "pass_percent",
    "grading_method",
    "review_policy",
    "multiple_partial",
    "on_timeout",
    "audience_statuses",
    "audience_roles",
]
CHANGEABLE_WHEN_PUBLISHED = {"title", "description", "closes_at"}


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def _validate(org: Org, paper: Paper, f: dict[str, Any]) -> None:
    if not str(f.get("title") or "").strip():
        raise _err("title", _("Give the exam a title."))
    if f["closes_at"] <= f["opens_at"]:
        raise _err("closes_at", _("The exam must close after it opens."))
    if f.get("time_limit_minutes") is not None and not 1 <= f["time_limit_minutes"] <= 24 * 60:
        raise _err("time_limit_minutes", _("The time limit runs from 1 minute to 24 hours."))
    if not Decimal("0") <= Decimal(f.get("pass_percent", 60)) <= Decimal("100"):
        raise _err("pass_percent", _("The pass mark is a percentage from 0 to 100."))
    if f.get("attempts_allowed", 1) > 100:
        raise _err("attempts_allowed", _("At most 100 attempts."))
    for key, choices in (
        ("grading_method", Exam.Grading),
        ("review_policy", Exam.Review),
        ("multiple_partial", Exam.Partial),
        ("on_timeout", Exam.OnTimeout),
    ):
        if key in f and f[key] not in choices.values:
            raise _err(key, _("Not a valid choice."))
    if any(s not in MemberStatus.values for s in f.get("audience_statuses") or []):
        raise _err("audience_statuses", _("Not a valid choice."))
    if any(r not in OrgRole.Role.values for r in f.get("audience_roles") or []):
        raise _err("audience_roles", _("Not a valid choice."))
    if not org.path.startswith(paper.org_path):
        raise _err("paper", _("This paper is not shared with that organisation."))
    if paper.question_count == 0:
        raise _err("paper", _("The paper has no questions."))


@transaction.atomic
def exam_save(*, org: Org, paper: Paper, acting_user: Any, exam: Exam | None = None, **fields: Any) -> Exam:
    """Create a draft exam or change one. A published exam changes only its title, instructions and closing time
    (later, never earlier than now), so that nobody's attempt changes under them."""
    require_org_perm(acting_user, org, MANAGE)
    fields = {k: v for k, v in fields.items() if k in SETTINGS}
    merged = {k: getattr(exam, k) for k in SETTINGS} if exam is not None else {}
    merged.update(fields)
    _validate(org, paper, merged)
    if exam is None:
        exam = Exam.objects.create(
            org=org, org_path=org.path, paper=paper, created_by=acting_user, max_score=paper.max_score, **fields
        )
        audit(acting_user, "exams.exam_create", exam, org_path=org.path, after={"title": exam.title, "paper": paper.pk})
        return exam
    require_org_perm(acting_user, exam.org, MANAGE)
    before = {k: getattr(exam, k) for k in SETTINGS} | {"org": exam.org_id, "paper": exam.paper_id}
    if exam.status != Exam.Status.DRAFT:
        changed = (
            {k for k in fields if fields[k] != before[k]}
            | ({"org"} if org.pk != exam.org_id else set())
            | ({"paper"} if paper.pk != exam.paper_id else set())
        )
        if changed - CHANGEABLE_WHEN_PUBLISHED:
            raise _err(
                sorted(changed - CHANGEABLE_WHEN_PUBLISHED)[0],
                _("A published exam changes only its title, instructions and closing time."),
            )
        if "closes_at" in changed and fields["closes_at"] < min(before["closes_at"], timezone.now()):
            raise _err("closes_at", _("A published exam cannot close earlier than now."))
    for k, v in fields.items():
        setattr(exam, k, v)
    exam.org, exam.org_path, exam.paper, exam.max_score = org, org.path, paper, paper.max_score
    exam.save()
    audit(
        acting_user,
        "exams.exam_change",
        exam,
        org_path=org.path,
        before=before,
        after={k: getattr(exam, k) for k in SETTINGS} | {"org": org.pk, "paper": paper.pk},
    )
    return exam


def audience(exam: Exam) -> Any:
    """Members the exam is for (statuses and roles applied)."""
    qs = Member.objects.filter(org_path__startswith=exam.org_path)
    if exam.audience_statuses:
        qs = qs.filter(status__in=exam.audience_statuses)
    if exam.audience_roles:
        users = OrgRole.objects.filter(
            role__in=exam.audience_roles, ended_at__isnull=True, org__path__startswith=exam.org_path
        ).values("user_id")
        qs = qs.filter(user_id__in=users)
    return qs


@transaction.atomic
def exam_publish(*, exam: Exam, acting_user: Any, notify_members: bool = True) -> Exam:
    """Open the exam to its audience (from ``opens_at``) and tell them."""
    require_org_perm(acting_user, exam.org, MANAGE)
    exam = Exam.objects.select_for_update(of=("self",)).select_related("paper").get(pk=exam.pk)
    if exam.status != Exam.Status.DRAFT:
        raise _err("status", _("Only a draft exam can be published."))
    if exam.closes_at <= timezone.now():
        raise _err("closes_at", _("The exam has already closed: set a later closing time."))
    exam.status, exam.published_at, exam.max_score = Exam.Status.PUBLISHED, timezone.now(), exam.paper.max_score
    exam.save(update_fields=["status", "published_at", "max_score"])
    if notify_members:
        users = [m.user for m in audience(exam).filter(user__isnull=False).select_related("user").only("id", "user")]
        local = timezone.localtime(exam.closes_at)
        notify(
            recipients=users,
            title=_("Exam: %(title)s, open until %(when)s")
            % {"title": exam.title, "when": local.strftime("%m-%d %H:%M")},
            body=exam.description,
            url=f"/exams/{exam.pk}/",
            kind="exams.published",
        )
    audit(acting_user, "exams.exam_publish", exam, org_path=exam.org_path, after={"status": exam.status})
    return exam


@transaction.atomic
def exam_cancel(*, exam: Exam, acting_user: Any) -> Exam:
    require_org_perm(acting_user, exam.org, MANAGE)
    if exam.status == Exam.Status.CANCELLED:
        return exam
    before = exam.status
    exam.status = Exam.Status.CANCELLED
    exam.save(update_fields=["status"])
    audit(
        acting_user,
        "exams.exam_cancel",
        exam,
        org_path=exam.org_path,
        before={"status": before},
        after={"status": exam.status},
    )
    return exam


def review_allowed(exam: Exam, *, submitted: bool, now: dt.datetime | None = None) -> bool:
    """May a member see the right answers and explanations of their submitted attempt now?"""
    now = now or timezone.now()
    if not submitted or exam.review_policy == Exam.Review.NEVER:
        return False
    if exam.review_policy == Exam.Review.AFTER_CLOSE:
        return now >= exam.closes_at
    return True
