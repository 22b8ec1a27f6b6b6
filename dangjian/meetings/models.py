"""Organisational life (组织生活): 三会一课, 主题党日, 组织生活会, 民主评议 — meetings, attendance, minutes, votes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingType(models.TextChoices):
    # 三会一课: the three meetings and one lecture.
    GENERAL = "general", _("Branch general meeting")  # 支部党员大会
    COMMITTEE = "committee", _("Branch committee meeting")  # 支委会
    GROUP = "group", _("Party group meeting")  # 党小组会
    LECTURE = "lecture", _("Party lecture")  # 党课
    THEME_DAY = "theme_day", _("Theme Party day")  # 主题党日
    ORG_LIFE = "org_life", _("Organisational life meeting")  # 组织生活会
    REVIEW = "review", _("Democratic review of members")  # 民主评议


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class Audience(models.TextChoices):
        BRANCH = "branch", _("All members of the branch")
        GROUP = "group", _("One Party group")
        COMMITTEE = "committee", _("The branch committee")

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="meetings")
    org_path = models.CharField(max_length=255, db_index=True)
    type = models.CharField(_("type"), max_length=16, choices=MeetingType.choices)
    topic = models.CharField(_("topic"), max_length=200)
    agenda = models.TextField(_("agenda"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    audience = models.CharField(_("who is invited"), max_length=16, choices=Audience.choices, default=Audience.BRANCH)
    audience_group = models.ForeignKey("orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    host = models.ForeignKey(
        "orgs.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("host")
    )
    recorder = models.ForeignKey(
        "orgs.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("recorder")
    )
    lecturer = models.ForeignKey(
        "orgs.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("lecturer")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["org_path", "type", "starts_at"], name="meeting_scope_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} · {self.topic}"

    @property
    def votes(self) -> bool:
        return self.type in (MeetingType.GENERAL, MeetingType.COMMITTEE)


class Attendance(models.Model):
    """One invitee of a meeting and what became of them."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        PRESENT = "present", _("Present")
        LEAVE_REQUESTED = "leave_requested", _("Leave requested")
        LEAVE = "leave", _("On leave")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="attendances")
    can_vote = models.BooleanField(default=False)  # a full member when invited; probationary members do not vote
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVITED)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=10, blank=True)  # "qr" | "recorder"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.member_id} {self.status}"


class SignInUse(models.Model):
    """A QR token used by a member: the same token cannot sign the same member twice."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member", "token"], name="one_use_per_token")]

    def __str__(self) -> str:
        return self.token


class Motion(models.Model):
    """A question voted on at a meeting. Passes when yes votes exceed half of the voting members who
    should attend (not of those present) — 支部工作条例."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="motions")
    title = models.CharField(_("motion"), max_length=200)
    yes = models.PositiveIntegerField(_("yes"))
    no = models.PositiveIntegerField(_("no"))
    abstain = models.PositiveIntegerField(_("abstain"), default=0)
    should_attend = models.PositiveIntegerField()  # voting members who should attend, at the time of the vote
    present = models.PositiveIntegerField()
    passed = models.BooleanField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class MeetingFile(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="meetings/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


# --- Democratic review (民主评议) --------------------------------------------------------------


class ReviewGrade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")  # 优秀
    QUALIFIED = "qualified", _("Qualified")  # 合格
    BASIC = "basic", _("Basically qualified")  # 基本合格
    UNQUALIFIED = "unqualified", _("Unqualified")  # 不合格


class ReviewRound(models.Model):
    """A branch's yearly democratic review: self-review → mutual review → anonymous rating →
    committee proposal → confirmation at the general meeting."""

    class Stage(models.TextChoices):
        OPEN = "open", _("Self and mutual review, rating open")
        PROPOSED = "proposed", _("Grades proposed by the committee")
        CONFIRMED = "confirmed", _("Confirmed by the general meeting")

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.OPEN)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="one_review_per_branch_year")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year}"


class ReviewParticipant(models.Model):
    """Who takes part; probationary members take part but are not graded."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    graded = models.BooleanField()
    self_review = models.TextField(blank=True)
    self_reviewed_at = models.DateTimeField(null=True, blank=True)
    has_rated = models.BooleanField(default=False)  # whether they cast their ballot — never what it said

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "member"], name="one_participation")]

    def __str__(self) -> str:
        return f"{self.round_id} {self.member_id}"


class MutualComment(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.text[:40]


class RatingTally(models.Model):
    """Anonymous ratings are stored only as counts per subject and grade: no row links a rating to
    its author, so no query — not even an administrator's — can recover who rated whom how."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="tallies")
    subject = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(max_length=12, choices=ReviewGrade.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "subject", "grade"], name="one_tally")]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.grade} {self.count}"


class ReviewResult(models.Model):
    """The committee's proposed grade; final once the general meeting confirms the round."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="results")
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="review_results")
    grade = models.CharField(max_length=12, choices=ReviewGrade.choices)
    final = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "member"], name="one_result")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.grade}"
