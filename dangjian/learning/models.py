"""Learning (学习): the resource library, courses, honest study time, learning maps (学习地图) and reflections (学习心得)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .storage import get_private_storage


class Dimension(models.TextChoices):
    """The three dimensions of the learning map."""

    POLITICAL = "political", _("Political literacy")  # 政治素养
    SKILL = "skill", _("Professional skill")  # 业务技能
    ETHICS = "ethics", _("Professional ethics")  # 职业道德


class LearnerRole(models.TextChoices):
    """Who a resource or a map is for; a member may hold several at once."""

    LEADER = "leader", _("Committee leaders")  # 党委领导班子成员
    AFFAIRS = "affairs", _("Party-affairs workers")  # 党务工作者
    SECRETARY = "secretary", _("Branch secretaries")  # 支部书记
    MEMBER = "member", _("Members")  # 党员


class Category(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=32, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KnowledgePoint(models.Model):
    """A point a resource teaches (知识点), e.g. 党章第一章; exams can tag questions with the same points."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Shared(models.Model):
    """Owned by an org and shared down its tree once published; optionally with the whole group.

    draft → pending (submitted) → published, or back to rejected; reviewed by a committee admin above."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Returned for changes")

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"))
    org_path = models.CharField(max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    group_wide = models.BooleanField(_("share with the whole group"), default=False)
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices, blank=True)
    target_roles = models.CharField(max_length=64, blank=True)  # space-separated LearnerRole values
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def roles(self) -> list[str]:
        return [r for r in self.target_roles.split() if r in LearnerRole.values]

    def role_labels(self) -> list[str]:
        return [str(LearnerRole(r).label) for r in self.roles]

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)


class Resource(Shared):
    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        PDF = "pdf", _("PDF document")
        SLIDES = "slides", _("Slides")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)  # sanitised HTML (articles)
    transcript = models.TextField(_("transcript"), blank=True)
    file = models.FileField(upload_to="learning/%Y/%m/", storage=get_private_storage, blank=True, max_length=255)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # Seconds: the media's length, or the estimated reading time of a document. Study time is capped by it.
    duration = models.PositiveIntegerField(_("length (seconds)"), default=0)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources", verbose_name=_("category")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="resources", verbose_name=_("tags"))
    knowledge_points = models.ManyToManyField(
        KnowledgePoint, blank=True, related_name="resources", verbose_name=_("knowledge points")
    )
    tokens = models.TextField(blank=True, editable=False)  # jieba-segmented text for recommendations

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["org_path", "status"], name="resource_scope_idx"),
            models.Index(fields=["status", "group_wide", "org_path"], name="resource_shared_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_media(self) -> bool:
        return self.kind in (self.Kind.VIDEO, self.Kind.AUDIO)


class Course(Shared):
    """An ordered set of resources with a completion rule and an optional quiz in the exams module."""

    class Rule(models.TextChoices):
        ALL = "all", _("Complete every item")
        COUNT = "count", _("Complete a number of items")
        MINUTES = "minutes", _("Study a number of minutes")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rule = models.CharField(_("completion rule"), max_length=8, choices=Rule.choices, default=Rule.ALL)
    required_count = models.PositiveSmallIntegerField(_("items to complete"), default=0)
    required_minutes = models.PositiveIntegerField(_("minutes to study"), default=0)
    # The quiz: an exams.Exam id. No foreign key, so learning does not depend on the exams app (see hooks.py).
    exam_id = models.PositiveBigIntegerField(_("quiz (exam id)"), null=True, blank=True)
    resources = models.ManyToManyField(Resource, through="CourseItem", related_name="courses")

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["org_path", "status"], name="course_scope_idx")]

    def __str__(self) -> str:
        return self.title


class CourseItem(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["course", "resource"], name="course_item_once")]

    def __str__(self) -> str:
        return f"{self.course_id}:{self.position}"


class StudySession(models.Model):
    """The one active study stream of a member, over all tabs and devices: the last accepted heartbeat.

    Times are epoch milliseconds of the server clock; ``prev_*`` hold the values before the latest update,
    so that one conditional UPDATE … RETURNING both claims the stream and tells what to credit."""

    member = models.OneToOneField("orgs.Member", primary_key=True, on_delete=models.CASCADE, related_name="+")
    resource_id = models.BigIntegerField(default=0)
    last_beat_ms = models.BigIntegerField(default=0)
    playing = models.BooleanField(default=False)
    prev_resource_id = models.BigIntegerField(default=0)
    prev_beat_ms = models.BigIntegerField(default=0)
    prev_playing = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.resource_id}"


class StudyProgress(models.Model):
    """A member's progress on one resource, resumed on any device. Positions are seconds into the resource."""

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="progress")
    position = models.FloatField(default=0)  # where to resume
    furthest = models.FloatField(default=0)  # the furthest point watched contiguously from the start
    study_ms = models.BigIntegerField(default=0)  # credited study time
    flushed_ms = models.BigIntegerField(default=0)  # the part of study_ms already recorded as facts
    last_credit_ms = models.IntegerField(default=0)
    just_completed = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    last_studied_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "resource"], name="one_progress_per_resource")]
        indexes = [
            models.Index(fields=["resource", "member"], name="progress_resource_idx"),
            models.Index(fields=["started_at"], name="progress_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.resource_id} {self.study_ms // 1000}s"

    @property
    def seconds(self) -> int:
        return self.study_ms // 1000

    @property
    def percent(self) -> int:
        duration = self.resource.duration if self.resource_id else 0
        return min(100, round(100 * self.furthest / duration)) if duration else 0


class LearningMap(models.Model):
    """A learning map (学习地图) for one role, set by an org for its subtree: required and elective resources
    in the three dimensions, optionally only for a post."""

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation"))
    org_path = models.CharField(max_length=255, db_index=True)
    role = models.CharField(_("role"), max_length=12, choices=LearnerRole.choices)
    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["org_path", "role"]
        constraints = [models.UniqueConstraint(fields=["org", "role"], name="one_map_per_org_role")]

    def __str__(self) -> str:
        return self.title


class MapItem(models.Model):
    map = models.ForeignKey(LearningMap, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+", verbose_name=_("resource"))
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    required = models.BooleanField(_("required"), default=True)
    post = models.CharField(_("only for the post"), max_length=64, blank=True)  # matched against Member.job_title
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dimension", "-required", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["map", "resource"], name="map_item_once")]

    def __str__(self) -> str:
        return f"{self.map_id}:{self.resource_id}"


class Reflection(models.Model):
    """A study reflection (学习心得) on a resource the member studied, shared with their branch."""

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255)
    resource = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reflections",
        verbose_name=_("resource"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    featured_at = models.DateTimeField(null=True, blank=True)
    featured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org_path", "created_at"], name="reflection_scope_idx")]

    def __str__(self) -> str:
        return self.title


class ReflectionLike(models.Model):
    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="likes")
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reflection", "member"], name="one_like_per_member")]

    def __str__(self) -> str:
        return f"{self.member_id} ♥ {self.reflection_id}"


class ReflectionComment(models.Model):
    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="comments")
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    body = models.CharField(_("comment"), max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


class ItemNeighbour(models.Model):
    """Item-item similarity from who studied what (implicit feedback), rebuilt nightly: the collaborative part
    of recommendations. ``score`` = co-occurrences / √(studiers of each)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    neighbour = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource", "neighbour"], name="one_neighbour_pair")]

    def __str__(self) -> str:
        return f"{self.resource_id}→{self.neighbour_id} {self.score:.3f}"
