"""Reads of exams through core.scoping: banks and papers shared down the tree, exams a member may take,
exams an organiser governs, a member's attempts."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from dangjian.accounts.models import OrgRole
from dangjian.core.scoping import is_global_admin, path_q, scope_paths
from dangjian.orgs.models import Member, Org

from .models import Attempt, Competition, Exam, Paper, QuestionBank

MANAGE = "members.manage"
VIEW = "members.view"


def ancestor_paths(path: str) -> list[str]:
    """The paths of an org and of every org above it (materialised path, ``Org.steplen`` characters a level)."""
    step = Org.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def shared_down_q(user: Any, perm: str = MANAGE, field: str = "org_path") -> Q:
    """Records owned by an org the user governs, or by an org above one (banks and papers are shared down)."""
    paths = scope_paths(user, perm)
    above = sorted({a for p in paths for a in ancestor_paths(p)})
    return Q(**{f"{field}__in": above}) | path_q(paths, field)


def banks_visible_to(user: Any) -> QuerySet[QuestionBank]:
    if is_global_admin(user):
        return QuestionBank.objects.all()
    return QuestionBank.objects.filter(shared_down_q(user))


def banks_managed_by(user: Any) -> QuerySet[QuestionBank]:
    if is_global_admin(user):
        return QuestionBank.objects.all()
    return QuestionBank.objects.filter(path_q(scope_paths(user, MANAGE)))


def papers_visible_to(user: Any) -> QuerySet[Paper]:
    if is_global_admin(user):
        return Paper.objects.all()
    return Paper.objects.filter(shared_down_q(user))


def papers_managed_by(user: Any) -> QuerySet[Paper]:
    if is_global_admin(user):
        return Paper.objects.all()
    return Paper.objects.filter(path_q(scope_paths(user, MANAGE)))


def exams_managed_by(user: Any, perm: str = MANAGE) -> QuerySet[Exam]:
    if is_global_admin(user):
        return Exam.objects.all()
    return Exam.objects.filter(path_q(scope_paths(user, perm)))


def exams_governed_q(user: Any) -> Q:
    """Exams an organiser may look at: of orgs they govern, and of orgs above that cover their members."""
    return shared_down_q(user, VIEW)


def exams_for_member(member: Member | None) -> QuerySet[Exam]:
    """Published exams whose audience org contains the member's branch (statuses and roles checked by `eligible`)."""
    if member is None:
        return Exam.objects.none()
    return Exam.objects.filter(org_path__in=ancestor_paths(member.org_path), status=Exam.Status.PUBLISHED)


def exams_visible_to(user: Any) -> QuerySet[Exam]:
    """What a user may open: an exam of their own audience, or one they govern (any status)."""
    if is_global_admin(user):
        return Exam.objects.all()
    member = getattr(user, "member", None) if user.is_authenticated else None
    q = exams_governed_q(user)
    if member is not None:
        q |= Q(org_path__in=ancestor_paths(member.org_path), status=Exam.Status.PUBLISHED)
    return Exam.objects.filter(q)


def eligible(exam: Exam, member: Member | None) -> bool:
    """The member belongs to the exam's audience: under its org, of a listed status, holding a listed role if any."""
    if member is None or exam.status != Exam.Status.PUBLISHED or not member.org_path.startswith(exam.org_path):
        return False
    if exam.audience_statuses and member.status not in exam.audience_statuses:
        return False
    if exam.audience_roles:
        return (
            member.user_id is not None
            and OrgRole.objects.filter(
                user_id=member.user_id,
                role__in=exam.audience_roles,
                ended_at__isnull=True,
                org__path__startswith=exam.org_path,
            ).exists()
        )
    return True


def my_open_exams(member: Member | None, now: Any = None) -> list[Exam]:
    """Exams open now that the member may take, soonest closing first."""
    now = now or timezone.now()
    exams = (
        exams_for_member(member)
        .filter(opens_at__lte=now, closes_at__gt=now, competition__isnull=True)
        .order_by("closes_at")[:50]
    )
    return [e for e in exams.select_related("paper") if _statuses_ok(e, member)]


def _statuses_ok(exam: Exam, member: Member | None) -> bool:
    return member is not None and (not exam.audience_statuses or member.status in exam.audience_statuses)


def attempts_of(member: Member, exam: Exam) -> QuerySet[Attempt]:
    return Attempt.objects.filter(member=member, exam=exam).order_by("number")


def competitions_visible_to(user: Any) -> QuerySet[Competition]:
    if is_global_admin(user):
        return Competition.objects.all()
    member = getattr(user, "member", None) if user.is_authenticated else None
    q = shared_down_q(user, VIEW)
    if member is not None:
        q |= Q(org_path__in=ancestor_paths(member.org_path), is_active=True)
    return Competition.objects.filter(q)
