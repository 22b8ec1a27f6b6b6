"""Dues (党费): versioned rule sets, yearly bases, reductions, monthly bills and payments."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .rules import CATEGORIES


class DuesRuleSet(models.Model):
    """A version of the dues rules, in force from ``effective_from``. Bills keep the version they used."""

    name = models.CharField(_("name"), max_length=64)
    effective_from = models.DateField(_("effective from"), unique=True)
    rules = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from})"


class DuesBase(models.Model):
    """A member's monthly dues from (year, from_month) on: set at the start of the year, re-based mid-year."""

    class Source(models.TextChoices):
        PAYROLL = "payroll", _("Payroll import")
        DECLARED = "declared", _("Declared by the member")
        SECRETARY = "secretary", _("Set by the branch")

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="dues_bases")
    year = models.PositiveSmallIntegerField(_("year"))
    from_month = models.PositiveSmallIntegerField(_("from month"), default=1)
    category = models.CharField(_("category"), max_length=16, choices=list(CATEGORIES.items()))
    base_amount = models.DecimalField(_("base (yuan/month)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    monthly_amount = models.DecimalField(_("monthly dues"), max_digits=10, decimal_places=2)
    rule_set = models.ForeignKey(DuesRuleSet, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CONFIRMED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member", "-year", "-from_month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year", "from_month"], name="one_base_per_member_month")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}-{self.from_month:02d} {self.monthly_amount}"


class DuesReduction(models.Model):
    """Paying less or nothing because of real difficulty: the branch decides, the next level approves."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Decided by the branch, awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="dues_reductions")
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    monthly_amount = models.DecimalField(
        _("reduced monthly amount"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    reason = models.TextField(_("reason"))
    branch_decided_on = models.DateField(_("branch decision date"))
    branch_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    approved_on = models.DateField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-first_month"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.first_month}–{self.last_month} {self.monthly_amount}"


class DuesBill(models.Model):
    """What a member owes for one month (``period`` is the first day of the month)."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        EXEMPTED = "exempted", _("Exempted")

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="dues_bills")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    period = models.DateField(_("month"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    base = models.ForeignKey(DuesBase, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rule_set = models.ForeignKey(DuesRuleSet, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNPAID)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey("DuesPayment", null=True, blank=True, on_delete=models.SET_NULL, related_name="bills")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period"]
        constraints = [models.UniqueConstraint(fields=["member", "period"], name="one_bill_per_member_month")]
        indexes = [
            models.Index(fields=["org_path", "period", "status"], name="bill_scope_idx"),
            models.Index(fields=["member", "status", "period"], name="bill_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period:%Y-%m} {self.amount}"


class DuesPayment(models.Model):
    """Money received: pays one or more bills, plus any voluntary extra dues."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK = "bank", _("Bank transfer")
        ONLINE = "online", _("Online payment")

    member = models.ForeignKey("orgs.Member", on_delete=models.PROTECT, related_name="dues_payments")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    receipt_no = models.CharField(_("receipt number"), max_length=32, unique=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True, db_index=True)
    paid_on = models.DateField(_("paid on"))
    dues_amount = models.DecimalField(_("dues"), max_digits=12, decimal_places=2)
    voluntary_amount = models.DecimalField(
        _("voluntary extra dues"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    forward_to_centre = models.BooleanField(_("forward whole to the centre"), default=False)  # voluntary ≥ 1000
    branch_consent = models.BooleanField(_("branch consent (several months or paid by someone else)"), default=False)
    paid_by_other = models.CharField(_("paid by (if not the member)"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]

    def __str__(self) -> str:
        return self.receipt_no

    @property
    def total(self) -> Decimal:
        return self.dues_amount + self.voluntary_amount


class DuesArrearsAlert(models.Model):
    """An arrears alert already sent (one per member, month and level), so reruns send nothing twice."""

    class Level(models.IntegerChoices):
        REMIND_MEMBER = 1, _("Reminder to the member")
        WARN_SECRETARY = 3, _("Warning to the branch secretary")
        ESCALATE_COMMITTEE = 5, _("Escalated to the committee")
        FLAG = 6, _("Six months unpaid: to be decided by the branch")

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "period", "level"], name="one_alert_per_level_month")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period:%Y-%m} L{self.level}"


class StatementImport(models.Model):
    """A bank or payment-platform statement uploaded for reconciliation."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    filename = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class StatementLine(models.Model):
    """One line of a statement and what it was matched to."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        UNMATCHED = "unmatched", _("Unmatched: a person must resolve it")
        DUPLICATE = "duplicate", _("Duplicate of an earlier line")
        RESOLVED = "resolved", _("Resolved by hand")
        IGNORED = "ignored", _("Not dues (ignored)")

    statement = models.ForeignKey(StatementImport, on_delete=models.CASCADE, related_name="lines")
    org_path = models.CharField(max_length=255)
    row = models.PositiveIntegerField()
    txn_date = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reference = models.CharField(max_length=200, blank=True)
    payer = models.CharField(max_length=64, blank=True)
    txn_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    member = models.ForeignKey("orgs.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payment = models.ForeignKey(DuesPayment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["statement", "row"]

    def __str__(self) -> str:
        return f"{self.txn_date} {self.amount} {self.reference}"


class DuesMonthClose(models.Model):
    """A closed month of an org subtree: its totals went into the ledger (SM3 chain) and must not change."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    period = models.DateField()
    totals = models.JSONField()
    ledger_entry = models.ForeignKey("core.LedgerEntry", on_delete=models.PROTECT, related_name="+")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "period"], name="one_close_per_org_month")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.period:%Y-%m}"
