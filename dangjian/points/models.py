"""Points (积分): rules per fact kind with a daily cap, the ledger converted from facts, and board settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PointsRule(models.Model):
    """Facts of ``kind`` earn ``points_per_unit`` for every ``unit_size`` of quantity, at most ``daily_cap`` a
    member a local (Asia/Shanghai) day. Rules apply to facts converted after they change, never retroactively."""

    kind = models.CharField(_("fact kind"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64)
    points_per_unit = models.DecimalField(_("points per unit"), max_digits=8, decimal_places=3)
    unit_size = models.DecimalField(
        _("unit size"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("1"),
        help_text=_("How much of the fact's quantity makes one unit, e.g. 600 seconds of study."),
    )
    daily_cap = models.DecimalField(
        _("daily cap"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Most points a member earns from this kind in one day; empty = no cap."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_size__gt=0), name="points_rule_unit_positive"),
            models.CheckConstraint(
                condition=models.Q(daily_cap__isnull=True) | models.Q(daily_cap__gte=0),
                name="points_rule_cap_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PointsEntry(models.Model):
    """Points of one member from one kind of fact on one local day, from the facts with ids first..last.

    A day may have several entries (one per conversion run that saw new facts); together they never pass the cap.
    """

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    org_path = models.CharField(max_length=255)
    kind = models.CharField(max_length=48)
    day = models.DateField()
    points = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    facts = models.PositiveIntegerField(default=0)
    first_fact_id = models.BigIntegerField()
    last_fact_id = models.BigIntegerField()
    rule = models.ForeignKey(PointsRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        indexes = [
            models.Index(fields=["member", "kind", "day"], name="points_member_kind_day"),
            models.Index(fields=["org_path", "day"], name="points_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.member_id} {self.kind} {self.points}"


class PointsCursor(models.Model):
    """The high-water mark: facts with id ≤ ``last_fact_id`` have been converted."""

    name = models.CharField(max_length=32, unique=True)
    last_fact_id = models.BigIntegerField(default=0)
    # The highest fact id seen by the previous run. On PostgreSQL an id is taken at INSERT but becomes
    # visible at COMMIT, so a slow transaction may still hold a lower id than the current maximum; the
    # scheduled job therefore only goes up to what it saw one run (five minutes) earlier.
    seen_high = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_fact_id}"


class PointsBoardSetting(models.Model):
    """Per org: whether its members see a leaderboard of persons (off by default, DESIGN.md principles)."""

    org = models.OneToOneField("orgs.Org", on_delete=models.CASCADE, related_name="+")
    show_persons = models.BooleanField(_("show a leaderboard of persons"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.org_id}: {self.show_persons}"
