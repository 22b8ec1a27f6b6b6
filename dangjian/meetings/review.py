"""Democratic review of members (民主评议): self-review, mutual review, anonymous rating, the committee's
proposal with at most one third 优秀, confirmation at the general meeting into the record and the ledger."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import facts_record_bulk
from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.ledger import ledger_append
from dangjian.core.scoping import require_org_perm
from dangjian.orgs.models import Member, MemberStatus, Org

from .models import (
    Meeting,
    MeetingType,
    MutualComment,
    RatingTally,
    ReviewGrade,
    ReviewParticipant,
    ReviewResult,
    ReviewRound,
)

GRADE_SCORE = {ReviewGrade.EXCELLENT: 4, ReviewGrade.QUALIFIED: 3, ReviewGrade.BASIC: 2, ReviewGrade.UNQUALIFIED: 1}


def excellent_cap(graded: int) -> int:
    """优秀 at most one third of the graded members."""
    return graded // 3


@transaction.atomic
def review_open(*, org: Org, year: int, acting_user: Any) -> ReviewRound:
    require_org_perm(acting_user, org, "members.manage")
    if ReviewRound.objects.filter(org=org, year=year).exists():
        raise DomainError(
            _("This branch already has a review for %(y)d.") % {"y": year},
            [{"field": "year", "message": _("Already exists.")}],
        )
    rnd = ReviewRound.objects.create(org=org, org_path=org.path, year=year, created_by=acting_user)
    members = Member.objects.filter(
        org_path__startswith=org.path, status__in=[MemberStatus.FULL, MemberStatus.PROBATIONARY]
    ).values_list("pk", "status")
    # Probationary members take part but are not graded.
    ReviewParticipant.objects.bulk_create(
        [ReviewParticipant(round=rnd, member_id=pk, graded=status == MemberStatus.FULL) for pk, status in members]
    )
    audit(acting_user, "review.open", rnd, org_path=org.path, after={"year": year, "participants": len(members)})
    return rnd


def _participant(rnd: ReviewRound, member: Member) -> ReviewParticipant:
    p = ReviewParticipant.objects.filter(round=rnd, member=member).first()
    if p is None:
        raise DomainError(_("You do not take part in this review."), status=404)
    return p


def _require_open(rnd: ReviewRound) -> None:
    if rnd.stage != ReviewRound.Stage.OPEN:
        raise DomainError(_("This stage of the review is over."))


@transaction.atomic
def review_self(*, rnd: ReviewRound, member: Member, text: str) -> ReviewParticipant:
    _require_open(rnd)
    p = _participant(rnd, member)
    if not text.strip():
        raise DomainError(_("Write your self-review."), [{"field": "text", "message": _("This field is required.")}])
    p.self_review, p.self_reviewed_at = text.strip(), timezone.now()
    p.save(update_fields=["self_review", "self_reviewed_at"])
    return p


@transaction.atomic
def review_comment(*, rnd: ReviewRound, author: Member, subject: Member, text: str) -> MutualComment:
    _require_open(rnd)
    _participant(rnd, author)
    _participant(rnd, subject)
    if author.pk == subject.pk:
        raise DomainError(
            _("Mutual review is about others."), [{"field": "subject", "message": _("Choose someone else.")}]
        )
    if not text.strip():
        raise DomainError(_("Write the comment."), [{"field": "text", "message": _("This field is required.")}])
    return MutualComment.objects.create(round=rnd, author=author, subject=subject, text=text.strip())


@transaction.atomic
def review_rate(*, rnd: ReviewRound, rater: Member, grades: dict[int, str]) -> int:
    """Cast one anonymous ballot. Only tallies are kept, so a rating cannot be traced to its author."""
    _require_open(rnd)
    _participant(rnd, rater)
    graded = set(ReviewParticipant.objects.filter(round=rnd, graded=True).values_list("member_id", flat=True))
    bad = [m for m, g in grades.items() if m not in graded or g not in ReviewGrade.values]
    if bad or not grades:
        raise DomainError(
            _("Rate only graded members of this review, with one of the four grades."),
            [{"field": "grades", "message": _("Invalid rating.")}],
        )
    if not ReviewParticipant.objects.filter(round=rnd, member=rater, has_rated=False).update(has_rated=True):
        raise DomainError(_("You have already rated."), [{"field": "grades", "message": _("Already rated.")}])
    for grade in ReviewGrade.values:
        subjects = [m for m, g in grades.items() if g == grade]
        if not subjects:
            continue
        RatingTally.objects.bulk_create(
            [RatingTally(round=rnd, subject_id=m, grade=grade, count=0) for m in subjects], ignore_conflicts=True
        )
        RatingTally.objects.filter(round=rnd, grade=grade, subject_id__in=subjects).update(count=F("count") + 1)
    return len(grades)


@transaction.atomic
def review_propose(*, rnd: ReviewRound, grades: dict[int, str], acting_user: Any) -> list[ReviewResult]:
    """The committee proposes a grade for every graded member; 优秀 is capped at one third."""
    require_org_perm(acting_user, rnd.org, "members.manage")
    if rnd.stage == ReviewRound.Stage.CONFIRMED:
        raise DomainError(_("This review is already confirmed."))
    graded = set(ReviewParticipant.objects.filter(round=rnd, graded=True).values_list("member_id", flat=True))
    ungraded = set(ReviewParticipant.objects.filter(round=rnd, graded=False).values_list("member_id", flat=True))
    if set(grades) & ungraded:
        raise DomainError(
            _("Probationary members take part but are not graded."),
            [{"field": "grades", "message": _("Probationary members are not graded.")}],
        )
    missing = graded - set(grades)
    if missing or set(grades) - graded or any(g not in ReviewGrade.values for g in grades.values()):
        raise DomainError(
            _("Give each graded member exactly one of the four grades."),
            [{"field": "grades", "message": _("%(n)d members without a grade.") % {"n": len(missing)}}],
        )
    excellent = sum(1 for g in grades.values() if g == ReviewGrade.EXCELLENT)
    cap = excellent_cap(len(graded))
    if excellent > cap:
        raise DomainError(
            _("At most one third may be rated excellent: %(cap)d of %(n)d, not %(e)d.")
            % {"cap": cap, "n": len(graded), "e": excellent},
            [{"field": "grades", "message": _("Too many excellent.")}],
        )
    ReviewResult.objects.filter(round=rnd).delete()
    results = ReviewResult.objects.bulk_create(
        [ReviewResult(round=rnd, member_id=m, grade=g) for m, g in grades.items()]
    )
    rnd.stage = ReviewRound.Stage.PROPOSED
    rnd.save(update_fields=["stage"])
    audit(
        acting_user, "review.propose", rnd, org_path=rnd.org_path, after={"excellent": excellent, "graded": len(graded)}
    )
    return results


@transaction.atomic
def review_confirm(*, rnd: ReviewRound, meeting: Meeting, acting_user: Any) -> ReviewRound:
    """Confirmed at a held general meeting (or the organisational life / review meeting): results become final,
    go into the member record, the ledger and the facts."""
    require_org_perm(acting_user, rnd.org, "members.manage")
    if rnd.stage != ReviewRound.Stage.PROPOSED:
        raise DomainError(_("The committee must propose the grades first."))
    if (
        meeting.org_id != rnd.org_id
        or meeting.type not in (MeetingType.GENERAL, MeetingType.ORG_LIFE, MeetingType.REVIEW)
        or meeting.status != Meeting.Status.HELD
    ):
        raise DomainError(
            _("Confirm at a general meeting of this branch that has been held."),
            [{"field": "meeting", "message": _("Not a held general meeting of this branch.")}],
        )
    ReviewResult.objects.filter(round=rnd).update(final=True)
    rnd.stage, rnd.meeting, rnd.confirmed_on = ReviewRound.Stage.CONFIRMED, meeting, timezone.localdate()
    rnd.save(update_fields=["stage", "meeting", "confirmed_on"])
    results = list(ReviewResult.objects.filter(round=rnd).select_related("member").order_by("member__name"))
    ledger_append(
        kind="meetings.review_results",
        ref=f"{rnd.org_id}:{rnd.year}",
        payload={
            "org": rnd.org.name,
            "year": rnd.year,
            "results": [[r.member.name, r.member_id, r.grade] for r in results],
        },
    )
    facts_record_bulk(
        [
            {
                "member_id": r.member_id,
                "org_id": rnd.org_id,
                "org_path": rnd.org_path,
                "kind": FactKind.REVIEW_RESULT,
                "quantity": GRADE_SCORE[ReviewGrade(r.grade)],
                "occurred_at": meeting.starts_at,
                "source_type": "meetings.reviewround",
                "source_id": str(rnd.pk),
            }
            for r in results
        ]
    )
    audit(
        acting_user,
        "review.confirm",
        rnd,
        org_path=rnd.org_path,
        after={"meeting": meeting.pk, "results": len(results)},
    )
    return rnd
