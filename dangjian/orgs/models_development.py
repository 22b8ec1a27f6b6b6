"""Member development (发展党员): one case per person through the 5 stages and 25 steps of the 2014 rules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "STAGES",
    "STEPS",
    "DevelopmentCase",
    "DevelopmentContact",
    "DevelopmentEvidence",
    "DevelopmentStep",
    "stage_of",
]

# 《中国共产党发展党员工作细则》(2014): stage → the step numbers it holds.
STAGES: list[tuple[int, Any, range]] = [
    (1, _("Application"), range(1, 3)),  # 申请入党
    (2, _("Activist"), range(3, 7)),  # 入党积极分子的确定和培养教育
    (3, _("Candidate"), range(7, 12)),  # 发展对象的确定和考察
    (4, _("Admission"), range(12, 19)),  # 预备党员的接收
    (5, _("Probation"), range(19, 26)),  # 预备党员的教育、考察和转正
]

STEPS: dict[int, Any] = {
    1: _("Written application"),  # 递交入党申请书
    2: _("Talk with the applicant"),  # 党组织派人谈话
    3: _("Recommended and decided as activist"),  # 推荐和确定入党积极分子
    4: _("Activist filed with the higher committee"),  # 报上级党委备案
    5: _("Two mentors assigned"),  # 指定培养联系人
    6: _("Training and assessment"),  # 培养教育考察
    7: _("Decided as candidate"),  # 确定发展对象
    8: _("Candidate filed with the higher committee"),  # 报上级党委备案
    9: _("Two sponsors named"),  # 确定入党介绍人
    10: _("Political review"),  # 进行政治审查
    11: _("Concentrated training"),  # 开展集中培训
    12: _("Branch committee review and public notice"),  # 支部委员会审查
    13: _("Higher-committee pre-review"),  # 上级党委预审
    14: _("Application form filled in"),  # 填写入党志愿书
    15: _("General meeting vote on admission"),  # 支部大会讨论
    16: _("Talk by the higher committee"),  # 上级党委派人谈话
    17: _("Approval by the committee"),  # 上级党委审批
    18: _("Filed at the next level up"),  # 再上一级党委组织部门备案
    19: _("Assigned to a branch and group"),  # 编入党支部和党小组
    20: _("Oath"),  # 入党宣誓
    21: _("Education and assessment in probation"),  # 继续教育考察
    22: _("Application for full membership"),  # 提出转正申请
    23: _("General meeting vote on full membership"),  # 支部大会讨论
    24: _("Approval of full membership"),  # 上级党委审批
    25: _("Files archived"),  # 材料归档
}


def stage_of(step: int) -> int:
    for number, _label, steps in STAGES:
        if step in steps:
            return number
    return 1


class DevelopmentCase(models.Model):
    """One person's way from application to full membership; ``current_step`` is the last step done."""

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    member = models.OneToOneField("orgs.Member", on_delete=models.CASCADE, related_name="development_case")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    current_step = models.PositiveSmallIntegerField(default=0)
    # The next deadline (kept with every step so the board counts due and overdue with one GROUP BY).
    due_step = models.PositiveSmallIntegerField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    reminded_step = models.PositiveSmallIntegerField(null=True, blank=True)  # the deadline last reminded of
    reminded_due = models.DateField(null=True, blank=True)
    probation_extension_months = models.PositiveSmallIntegerField(null=True, blank=True)
    probation_extended_on = models.DateField(null=True, blank=True)
    probation_extension_reason = models.CharField(max_length=200, blank=True)
    notice_working_days = models.PositiveSmallIntegerField(default=5)  # the 公示 rule in force when the case began
    stopped_reason = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "current_step"], name="devcase_step_idx"),
            models.Index(fields=["status", "due_on"], name="devcase_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} step {self.current_step}"

    @property
    def next_step(self) -> int | None:
        return self.current_step + 1 if self.status == self.Status.OPEN and self.current_step < 25 else None


class DevelopmentStep(models.Model):
    """A step done: its date, who recorded it, notes, the numbers it needs, the soft warnings it raised.
    Step 6 (half-yearly assessment of an activist) may be recorded more than once."""

    case = models.ForeignKey(DevelopmentCase, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField()
    done_on = models.DateField(_("date"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_by_name = models.CharField(max_length=150, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    class_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    training_days = models.PositiveSmallIntegerField(null=True, blank=True)
    meeting = models.ForeignKey("meetings.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    should_attend = models.PositiveIntegerField(null=True, blank=True)
    present = models.PositiveIntegerField(null=True, blank=True)
    yes = models.PositiveIntegerField(null=True, blank=True)
    no = models.PositiveIntegerField(null=True, blank=True)
    abstain = models.PositiveIntegerField(null=True, blank=True)
    approver_org = models.ForeignKey("orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    notice_from = models.DateField(null=True, blank=True)
    notice_to = models.DateField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number", "done_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], condition=~models.Q(number=6), name="one_row_per_step"),
            models.CheckConstraint(condition=models.Q(number__gte=1, number__lte=25), name="step_number_1_25"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.number} {self.done_on:%Y-%m-%d}"

    @property
    def label(self) -> str:
        return str(STEPS[self.number])


class DevelopmentContact(models.Model):
    """A mentor (培养联系人, step 5) or a sponsor (入党介绍人, step 9): a full member."""

    class Role(models.TextChoices):
        MENTOR = "mentor", _("Mentor")
        SPONSOR = "sponsor", _("Sponsor")

    case = models.ForeignKey(DevelopmentCase, on_delete=models.CASCADE, related_name="contacts")
    member = models.ForeignKey("orgs.Member", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    assigned_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "member", "role"], name="one_contact_per_role")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.role} {self.member_id}"


class DevelopmentEvidence(models.Model):
    """A file kept with a step (application letter, talk record, vote record…), checked by content and size."""

    step = models.ForeignKey(DevelopmentStep, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="development/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
