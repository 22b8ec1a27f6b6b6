"""Accounts: the custom User, roles held at an org, and hashed API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core import crypto
from dangjian.core.fields import EncryptedTextField


class User(AbstractUser):
    """A person who can log in: by username, employee number or phone number."""

    class AdminRole(models.TextChoices):
        # 三员分立: the three separated administrator roles of 等保 2.0.
        NONE = "", _("None")
        SYSTEM = "system", _("System administrator")
        SECURITY = "security", _("Security administrator")
        AUDITOR = "auditor", _("Audit administrator")

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    name = models.CharField(_("name"), max_length=64, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True, null=True, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_index = models.CharField(max_length=32, blank=True, default="", db_index=True, editable=False)
    # The roster's ID number, for claiming an account (name + ID must match); encrypted, exact look-up by index.
    id_number = EncryptedTextField(_("ID number"), blank=True, default="", db_default="")
    id_number_index = models.CharField(
        max_length=32, blank=True, default="", db_default="", db_index=True, editable=False
    )
    admin_role = models.CharField(
        _("administrator role"), max_length=16, choices=AdminRole.choices, blank=True, default=""
    )
    must_change_password = models.BooleanField(default=False)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    failed_login_count = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    totp_secret = EncryptedTextField(blank=True, default="")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)  # the last accepted TOTP time step: no replay

    objects = UserManager()  # type: ignore[misc]  # django-stubs declares it a ClassVar on AbstractUser

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_index = crypto.blind_index(self.phone) if self.phone else ""
        self.id_number_index = crypto.blind_index(self.id_number) if self.id_number else ""
        super().save(*args, **kwargs)

    @property
    def requires_2fa(self) -> bool:
        return bool(self.admin_role) or self.is_superuser

    @property
    def has_2fa(self) -> bool:
        return self.totp_confirmed_at is not None

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class OrgRole(models.Model):
    """A role held at an org; it gives rights over that org's whole subtree."""

    class Role(models.TextChoices):
        COMMITTEE_ADMIN = "committee_admin", _("Party committee administrator")
        SECRETARY = "secretary", _("Branch secretary")
        AFFAIRS_WORKER = "affairs_worker", _("Party-affairs worker")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="org_roles")
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "org", "role"], condition=models.Q(ended_at__isnull=True), name="uniq_active_org_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SM3 hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
