"""The org tree (党组织) and member records (党员档案) with their dated history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from dangjian.core import crypto
from dangjian.core.fields import EncryptedTextField


class Org(MP_Node):
    """A Party organisation. Subtree queries are a prefix match on the indexed ``path``."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")  # 党委
        GENERAL_BRANCH = "general_branch", _("General branch")  # 党总支
        BRANCH = "branch", _("Branch")  # 党支部
        GROUP = "group", _("Party group")  # 党小组

    steplen = 4
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    node_order_by = None

    name = models.CharField(_("name"), max_length=128)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=128, blank=True, help_text=_("The enterprise unit it belongs to"))
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    is_cloud = models.BooleanField(_("cloud branch"), default=False)  # 云端支部
    is_temporary = models.BooleanField(_("temporary branch"), default=False)  # 临时党支部
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_temporary=False) | models.Q(ends_on__isnull=False), name="temporary_org_has_end"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch_like(self) -> bool:
        return self.kind in {self.Kind.BRANCH, self.Kind.GENERAL_BRANCH}

    def term_years(self) -> int:
        # Branch committee 3 years, grassroots committee 5 years (支部工作条例).
        return 5 if self.kind == self.Kind.COMMITTEE else 3


class OrgPost(models.Model):
    """A post on an org's committee (支委): secretary, deputy secretary, organisation member…"""

    class Post(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
        ORGANISATION = "organisation", _("Organisation member")
        PROPAGANDA = "propaganda", _("Propaganda member")
        DISCIPLINE = "discipline", _("Discipline inspection member")
        YOUTH = "youth", _("Youth member")
        COMMITTEE_MEMBER = "committee_member", _("Committee member")
        GROUP_LEADER = "group_leader", _("Group leader")

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="posts")
    member = models.ForeignKey("Member", on_delete=models.CASCADE, related_name="posts")
    post = models.CharField(_("post"), max_length=32, choices=Post.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["org", "post"]

    def __str__(self) -> str:
        return f"{self.org} {self.get_post_display()} {self.member}"


class MemberStatus(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")  # 入党申请人
    ACTIVIST = "activist", _("Activist")  # 入党积极分子
    CANDIDATE = "candidate", _("Candidate")  # 发展对象
    PROBATIONARY = "probationary", _("Probationary member")  # 预备党员
    FULL = "full", _("Full member")  # 正式党员
    SUSPENDED = "suspended", _("Membership suspended")  # 停止党籍
    REMOVED = "removed", _("Removed")  # 除名/自行脱党
    DECEASED = "deceased", _("Deceased")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")


ACTIVE_STATUSES = [MemberStatus.PROBATIONARY, MemberStatus.FULL]
PIPELINE_STATUSES = [MemberStatus.APPLICANT, MemberStatus.ACTIVIST, MemberStatus.CANDIDATE]


class Member(models.Model):
    """A member record (党员档案). ``org`` is the primary branch (组织关系); ``org_path`` mirrors its path."""

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Education(models.TextChoices):
        PRIMARY = "primary", _("Primary school")
        JUNIOR = "junior", _("Junior high school")
        SENIOR = "senior", _("Senior high school / technical school")
        COLLEGE = "college", _("Junior college")
        BACHELOR = "bachelor", _("Bachelor")
        MASTER = "master", _("Master")
        DOCTOR = "doctor", _("Doctorate")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="member"
    )
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="members", verbose_name=_("branch"))
    org_path = models.CharField(max_length=255, editable=False)
    name = models.CharField(_("name"), max_length=64)
    name_pinyin = models.CharField(max_length=128, blank=True, editable=False)
    name_initials = models.CharField(max_length=32, blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, default="汉族")
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    id_number_index = models.CharField(max_length=32, blank=True, default="", db_index=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_index = models.CharField(max_length=32, blank=True, default="", db_index=True, editable=False)
    address = EncryptedTextField(_("home address"), blank=True, default="")
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True, null=True, blank=True)
    department = models.CharField(_("department"), max_length=64, blank=True)
    job_title = models.CharField(_("post"), max_length=64, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    status = models.CharField(_("Party status"), max_length=20, choices=MemberStatus.choices)
    application_date = models.DateField(_("application date"), null=True, blank=True)
    activist_date = models.DateField(_("activist date"), null=True, blank=True)
    candidate_date = models.DateField(_("candidate date"), null=True, blank=True)
    probationary_date = models.DateField(_("admission date (probationary)"), null=True, blank=True)
    full_date = models.DateField(_("full membership date"), null=True, blank=True)
    is_mobile = models.BooleanField(_("mobile member"), default=False)  # 流动党员
    mobile_since = models.DateField(null=True, blank=True)
    mobile_whereabouts = models.CharField(max_length=128, blank=True)
    out_of_contact_since = models.DateField(_("out of contact since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            # The committee admin's list: subtree prefix + status, ordered by id for stable paging.
            models.Index(fields=["org_path", "status", "id"], name="member_scope_idx"),
            # Lists are ordered by branch then id: a subtree prefix (with or without a status) walks one of
            # these in order and stops after a page (PostgreSQL: org_path has collation "C", migration 0005).
            models.Index(fields=["org_path", "id"], name="member_path_id_idx"),
            models.Index(fields=["status", "org_path", "id"], name="member_status_path_idx"),
            models.Index(fields=["name"], name="member_name_idx"),
            models.Index(fields=["name_pinyin"], name="member_pinyin_idx"),
            models.Index(fields=["name_initials"], name="member_initials_idx"),
            models.Index(Upper("employee_no"), name="member_empno_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.compute_derived()
        super().save(*args, **kwargs)

    def compute_derived(self) -> None:
        """Fill the look-up columns from the source fields (also used by bulk paths that bypass save())."""
        from .search import pinyin_forms

        self.name_pinyin, self.name_initials = pinyin_forms(self.name)
        self.id_number_index = crypto.blind_index(self.id_number) if self.id_number else ""
        self.phone_index = crypto.blind_index(self.phone) if self.phone else ""
        cached = self._state.fields_cache.get("org")
        if cached is not None and cached.pk == self.org_id:
            self.org_path = cached.path
        elif self.org_id:
            self.org_path = Org.objects.values_list("path", flat=True).get(pk=self.org_id)

    @property
    def age(self) -> int:
        today = timezone.localdate()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    @property
    def can_vote(self) -> bool:
        # Probationary members do not vote (支部工作条例).
        return self.status == MemberStatus.FULL


class StatusChange(models.Model):
    """Dated history of a member's Party status."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=MemberStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=MemberStatus.choices)
    effective_on = models.DateField()
    reason = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.effective_on:%Y-%m-%d} {self.from_status or '-'} → {self.to_status}"


class Membership(models.Model):
    """Belonging to an org: one primary branch, plus extra cloud or temporary ones, with history."""

    class Kind(models.TextChoices):
        PRIMARY = "primary", _("Primary")
        CLOUD = "cloud", _("Cloud branch")
        TEMPORARY = "temporary", _("Temporary branch")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="memberships")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["org", "ended_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(kind="primary", ended_on__isnull=True),
                name="one_active_primary_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.org_id} ({self.kind})"


class RewardDiscipline(models.Model):
    """A commendation or a disciplinary sanction in the member record."""

    class Kind(models.TextChoices):
        REWARD = "reward", _("Commendation")
        DISCIPLINE = "discipline", _("Discipline")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="rewards")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=128)
    issued_on = models.DateField(_("date"))
    issued_by = models.CharField(_("issued by"), max_length=128, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-issued_on"]

    def __str__(self) -> str:
        return f"{self.issued_on:%Y-%m-%d} {self.title}"


from .models_development import *  # noqa: E402,F403
from .models_transfer import *  # noqa: E402,F403
