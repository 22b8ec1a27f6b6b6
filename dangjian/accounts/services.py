"""Account writes: authentication with lockout, password changes, TOTP two-factor, API tokens, roles."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import crypto, sql
from dangjian.core.audit import audit
from dangjian.core.models import AuditEvent

from .models import ApiToken, OrgRole, User

TOKEN_PREFIX = "djt_"


class AuthError(Exception):
    """Authentication refused; ``code`` is 'invalid', 'locked', 'inactive' or 'otp'."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def user_find_by_identifier(identifier: str) -> User | None:
    """Username, employee number or phone number (exact; phones through the blind index)."""
    identifier = identifier.strip()
    if not identifier:
        return None
    q = Q(username=identifier) | Q(employee_no=identifier)
    digits = crypto.normalise(identifier)  # "１３８ 1234 5678" is the same phone as "13812345678"
    if digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15:
        q |= Q(phone_index=crypto.blind_index(digits))
    matches = list(User.objects.filter(q)[:2])
    if len(matches) == 1:
        return matches[0]
    exact = [u for u in matches if u.username == identifier]
    return exact[0] if exact else None


def user_authenticate(*, identifier: str, password: str) -> User:
    """Check a password, counting failures: after LOGIN_FAILURE_LIMIT the account locks for LOGIN_LOCK_MINUTES."""
    user = user_find_by_identifier(identifier)
    invalid = AuthError("invalid", _("Wrong account or password."))
    if user is None:
        User().set_password(password)  # same work as a real check: no timing oracle for account names
        audit(None, "auth.login", outcome=AuditEvent.Outcome.FAILURE, actor_name=identifier[:150])
        raise invalid
    if user.is_locked():
        raise _locked(user)
    if not user.check_password(password):
        _record_failure(user)
        raise invalid
    if not user.is_active:
        raise AuthError("inactive", _("This account is disabled."))
    # With two factors the count is cleared only after the code (user_verify_otp): otherwise someone who
    # knows the password could reset it between guesses at the code.
    if not user.has_2fa:
        _clear_failures(user)
    return user


def _locked(user: User) -> AuthError:
    audit(user, "auth.login_locked", user, outcome=AuditEvent.Outcome.FAILURE, actor_name=user.username)
    minutes = max(1, int((user.locked_until - timezone.now()).total_seconds() // 60) + 1)  # type: ignore[operator]
    return AuthError(
        "locked", _("Too many failed attempts: the account is locked for %(m)d more minutes.") % {"m": minutes}
    )


def _clear_failures(user: User) -> None:
    if user.failed_login_count or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.failed_login_count, user.locked_until = 0, None


def _record_failure(user: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count"])
        if user.failed_login_count >= settings.LOGIN_FAILURE_LIMIT:
            until = timezone.now() + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_login_count=0)
            audit(
                user,
                "auth.locked",
                user,
                after={"locked_until": until},
                outcome=AuditEvent.Outcome.FAILURE,
                actor_name=user.username,
            )
        else:
            audit(user, "auth.login", user, outcome=AuditEvent.Outcome.FAILURE, actor_name=user.username)


@transaction.atomic
def user_unlock(*, user: User, acting_user: User) -> None:
    """The security administrator lifts a lock before it runs out."""
    before = {"locked_until": user.locked_until, "failed_login_count": user.failed_login_count}
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    user.failed_login_count, user.locked_until = 0, None
    audit(acting_user, "auth.unlock", user, before=before, after={"locked_until": None, "failed_login_count": 0})


def password_expired(user: User) -> bool:
    if settings.PASSWORD_MAX_AGE_DAYS <= 0 or user.password_changed_at is None:
        return False
    return timezone.now() - user.password_changed_at > dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


@transaction.atomic
def user_set_password(
    *, user: User, new_password: str, acting_user: User | None = None, force_change: bool = False
) -> None:
    """Validate and set a password. ``force_change`` marks it as one the user must change at next login."""
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = force_change
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit(acting_user or user, "auth.password_set" if force_change else "auth.password_changed", user)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    acting_user: User | None,
    name: str = "",
    employee_no: str | None = None,
    phone: str = "",
    email: str = "",
    admin_role: str = "",
    must_change_password: bool = True,
) -> User:
    user = User(
        username=username, name=name, employee_no=employee_no or None, phone=phone, email=email, admin_role=admin_role
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
    else:
        user.set_unusable_password()
    user.must_change_password = must_change_password
    user.is_staff = admin_role == User.AdminRole.SYSTEM
    user.save()
    audit(acting_user, "user.create", user, after={"username": username, "admin_role": admin_role})
    return user


# --- TOTP two-factor authentication -------------------------------------------------------------


def totp_begin_enrolment(*, user: User) -> str:
    """A new secret, stored encrypted but not active until the user proves it with a code."""
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_confirmed_at = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return secret


def totp_provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name="Dangjian")


def _totp_step_ok(user: User, code: str) -> int | None:
    code = "".join(code.split())
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = int(time.time())
    for drift in (0, -1, 1):
        step = now // 30 + drift
        if step > user.totp_last_step and secrets.compare_digest(totp.at(step * 30), code):
            return step
    return None


def totp_verify(*, user: User, code: str) -> bool:
    """Check a TOTP code (±30 s), refusing a code already used."""
    step = _totp_step_ok(user, code)
    if step is None:
        audit(user, "auth.2fa", user, outcome=AuditEvent.Outcome.FAILURE, actor_name=user.username)
        return False
    updated = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    user.totp_last_step = step
    return bool(updated)


def user_verify_otp(*, user: User, code: str) -> None:
    """The second login step. A wrong code counts as a failed login, so the lockout also stops code guessing."""
    user.refresh_from_db(fields=["failed_login_count", "locked_until", "totp_last_step", "is_active"])
    if not user.is_active:
        raise AuthError("inactive", _("This account is disabled."))
    if user.is_locked():
        raise _locked(user)
    if not totp_verify(user=user, code=code):
        _record_failure(user)
        raise AuthError("otp", _("The code is wrong or has expired."))
    _clear_failures(user)


@transaction.atomic
def totp_confirm_enrolment(*, user: User, code: str) -> bool:
    if not totp_verify(user=user, code=code):
        return False
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_confirmed_at"])
    audit(user, "auth.2fa_enabled", user)
    return True


@transaction.atomic
def totp_reset(*, user: User, acting_user: User) -> None:
    before = {"two_factor": user.has_2fa}
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_step = 0
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    audit(acting_user, "auth.2fa_reset", user, before=before, after={"two_factor": False})


# --- API tokens -------------------------------------------------------------------------------


@dataclass
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


@transaction.atomic
def api_token_issue(*, user: User, name: str, days: int | None = 90) -> IssuedToken:
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:64] or "api",
        prefix=plaintext[: len(TOKEN_PREFIX) + 8],
        token_hash=crypto.sm3_hex(plaintext),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit(user, "auth.token_issued", token)
    return IssuedToken(token=token, plaintext=plaintext)


TOKEN_TOUCH = dt.timedelta(minutes=5)
# Not read for an API call: decrypted (and one query) only when a view asks for them.
SENSITIVE = ("password", "phone", "id_number", "totp_secret")


# The member read with the token: what member-facing API calls use (starting an exam, study heartbeats); the rest
# of the record, secrets included, loads on first use.
MEMBER_COLUMNS = ("id", "user_id", "org_id", "org_path", "name", "status")


def api_token_authenticate(plaintext: str) -> User | None:
    """The active user of a live token, or None. Every API call passes here, so it is one statement (the user and
    their member record, with the token's state worked out by the database) and a write at most every five
    minutes (``last_used_at``)."""
    from dangjian.orgs.models import Member

    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    moment = connection.ops.adapt_datetimefield_value
    columns, names = sql.select_list(User, "u", leave=SENSITIVE)
    member_columns, member_names = sql.select_list(Member, "m", MEMBER_COLUMNS)
    with sql.hot_cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, {member_columns}, t.id, (t.last_used_at IS NULL OR t.last_used_at < %s) "
            f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
            f"LEFT JOIN {Member._meta.db_table} m ON m.user_id = u.id "
            f"WHERE t.token_hash = %s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %s) "
            f"AND u.is_active",
            [moment(now - TOKEN_TOUCH), crypto.sm3_hex(plaintext), moment(now)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    n, k = len(names), len(member_names)
    token_id, stale = row[n + k :]
    if stale:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    user = sql.instance(User, names, row[:n])
    member = sql.instance(Member, member_names, row[n : n + k]) if row[n] is not None else None
    # As select_related would: user.member answers without a query (and raises DoesNotExist when there is none).
    User._meta.get_field("member").set_cached_value(user, member)  # type: ignore[union-attr]
    return user


@transaction.atomic
def api_token_revoke(*, token: ApiToken, acting_user: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(acting_user, "auth.token_revoked", token)


# --- Roles held at an org ----------------------------------------------------------------------


@transaction.atomic
def org_role_grant(*, user: User, org: Any, role: str, acting_user: User | None) -> OrgRole:
    obj, _created = OrgRole.objects.get_or_create(user=user, org=org, role=role, ended_at=None)
    audit(acting_user, "role.grant", obj, after={"user": user.pk, "org": org.pk, "role": role}, org_path=org.path)
    return obj


@transaction.atomic
def org_role_revoke(*, role: OrgRole, acting_user: User) -> None:
    role.ended_at = timezone.now()
    role.save(update_fields=["ended_at"])
    audit(acting_user, "role.revoke", role, before={"role": role.role, "org": role.org_id}, org_path=role.org.path)
