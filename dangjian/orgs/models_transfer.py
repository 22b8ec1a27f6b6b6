"""Membership transfers (组织关系转接) with introduction letters, mobile members and out-of-contact warnings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ContactWarning", "MobileActivity", "Transfer", "TransferEvent"]


class Transfer(models.Model):
    """One move of a member's organisational relationship. The old branch stays responsible until the
    new side accepts: ``Member.org`` changes only at acceptance (or, going out, at the letter's receipt)."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Within the system")
        OUT = "out", _("To an organisation outside the system")
        IN = "in", _("From an organisation outside the system")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Awaiting the committee's approval")
        PENDING_ACCEPTANCE = "pending_acceptance", _("Awaiting acceptance by the new branch")
        LETTER_ISSUED = "letter_issued", _("Letter issued, awaiting the receipt")
        COMPLETED = "completed", _("Completed")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Withdrawn")

    OPEN = (Status.PENDING_APPROVAL, Status.PENDING_ACCEPTANCE, Status.LETTER_ISSUED)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="transfers")
    from_org = models.ForeignKey("orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_path = models.CharField(max_length=255, blank=True)
    to_org = models.ForeignKey("orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_path = models.CharField(max_length=255, blank=True)
    # The old side's committee: the nearest Party committee above the old branch.
    approver_org = models.ForeignKey("orgs.Org", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approver_path = models.CharField(max_length=255, blank=True)
    external_org = models.CharField(_("organisation outside the system"), max_length=128, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Introduction letter (介绍信): out — issued by the approving committee; in — brought by the member.
    letter_no = models.CharField(_("letter number"), max_length=64, blank=True)
    letter_issuer = models.CharField(_("issuing organisation"), max_length=128, blank=True)
    letter_receiver = models.CharField(_("receiving organisation"), max_length=128, blank=True)
    letter_issued_on = models.DateField(_("issued on"), null=True, blank=True)
    letter_valid_until = models.DateField(_("valid until"), null=True, blank=True)
    reminded_before_at = models.DateTimeField(null=True, blank=True)
    reminded_expiry_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(_("reason for return"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "from_path"], name="transfer_from_idx"),
            models.Index(fields=["status", "to_path"], name="transfer_to_idx"),
            models.Index(fields=["status", "letter_valid_until"], name="transfer_letter_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status__in=["pending_approval", "pending_acceptance", "letter_issued"]),
                name="one_open_transfer_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def destination(self) -> str:
        return self.to_org.name if self.to_org_id and self.to_org else self.external_org

    @property
    def origin(self) -> str:
        return self.from_org.name if self.from_org_id and self.from_org else self.external_org


class TransferEvent(models.Model):
    """One step of a transfer, for its timeline (the audit log keeps the full before/after)."""

    class Action(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved by the committee")
        LETTER_ISSUED = "letter_issued", _("Introduction letter issued")
        RECEIVED = "received", _("Introduction letter received")
        ACCEPTED = "accepted", _("Accepted by the new branch")
        RECEIPT = "receipt", _("Receipt returned, transferred out")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Withdrawn")

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.action}"


class MobileActivity(models.Model):
    """What a mobile member (流动党员) did away from the branch: meetings attended, study, service."""

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="mobile_activities")
    on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=128)
    activity = models.CharField(_("activity"), max_length=255)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.on:%Y-%m-%d} {self.activity}"


class ContactWarning(models.Model):
    """A threshold reached by a member who is away or out of contact; the secretary decides, never the system.

    One row per member, kind and episode start (``since``), so the daily job notifies once per threshold.
    """

    class Kind(models.TextChoices):
        SUSPENSION_DUE = "suspension_due", _("Out of contact 6 months: decide on suspension")
        REMOVAL_DUE = "removal_due", _("Suspended 2 years: decide on removal")
        MOBILE_LONG = "mobile_long", _("Away 6 months: transfer the membership")

    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="contact_warnings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    since = models.DateField()
    due_on = models.DateField()
    notified_at = models.DateTimeField(auto_now_add=True)
    decided_on = models.DateField(null=True, blank=True)
    decision = models.CharField(max_length=16, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["member", "kind", "since"], name="one_warning_per_threshold")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.due_on:%Y-%m-%d}"
