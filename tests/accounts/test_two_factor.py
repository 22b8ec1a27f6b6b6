"""TOTP two-factor authentication: required for the three administrators, optional for everyone else."""

from __future__ import annotations

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import ApiToken, User
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token"


def _code(user: User) -> str:
    user.refresh_from_db()
    return pyotp.TOTP(user.totp_secret).now()


def _wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def _password_step(client, user, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"identifier": user.username, "password": password})


def _code_step(client, code):
    return client.post(reverse("accounts:login_otp"), {"code": code})


def _logged_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def new_security_admin(db):
    return UserFactory(username="secadmin", admin_role=User.AdminRole.SECURITY)


@pytest.mark.parametrize("role", [User.AdminRole.SYSTEM, User.AdminRole.SECURITY, User.AdminRole.AUDITOR])
def test_administrators_are_sent_to_enrolment_before_anything_else(client, db, role):
    admin = UserFactory(admin_role=role)
    _password_step(client, admin)
    for url_name in ("core:workbench", "accounts:profile", "notices:inbox", "accounts:user_admin", "core:audit_list"):
        response = client.get(reverse(url_name))
        assert response["Location"] == reverse("accounts:totp_setup"), url_name


def test_an_administrator_enrols_with_a_code(client, new_security_admin):
    _password_step(client, new_security_admin)
    page = client.get(reverse("accounts:totp_setup"))
    assert page.status_code == 200
    secret = page.context["secret"]
    response = client.post(reverse("accounts:totp_setup"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    new_security_admin.refresh_from_db()
    assert new_security_admin.has_2fa
    assert client.get(reverse("accounts:user_admin")).status_code == 200


def test_a_wrong_enrolment_code_does_not_turn_2fa_on(client, new_security_admin):
    _password_step(client, new_security_admin)
    secret = client.get(reverse("accounts:totp_setup")).context["secret"]
    response = client.post(reverse("accounts:totp_setup"), {"code": _wrong(pyotp.TOTP(secret).now())})
    assert response.status_code == 400
    new_security_admin.refresh_from_db()
    assert not new_security_admin.has_2fa
    assert client.get(reverse("core:workbench"))["Location"] == reverse("accounts:totp_setup")


def test_the_secret_is_stored_encrypted(client, new_security_admin):
    from django.db import connection

    _password_step(client, new_security_admin)
    secret = client.get(reverse("accounts:totp_setup")).context["secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE id = %s", [new_security_admin.pk])
        raw = cursor.fetchone()[0]
    assert secret not in raw and raw.startswith("sm4gcm$")


def test_an_ordinary_user_is_not_forced_but_may_enrol(client, cast):
    login(client, cast.member_a_user)
    assert client.get(reverse("core:workbench")).status_code == 200
    secret = client.get(reverse("accounts:totp_setup")).context["secret"]
    client.post(reverse("accounts:totp_setup"), {"code": pyotp.TOTP(secret).now()})
    client.logout()
    response = _password_step(client, cast.member_a_user)
    assert response["Location"].startswith(reverse("accounts:login_otp"))


def test_an_enrolled_user_is_asked_for_the_code_after_the_password(client, cast):
    response = _password_step(client, cast.auditor)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login_otp"))
    assert _logged_in_as(client) is None
    assert client.get(reverse("core:audit_list")).status_code == 302  # not in yet
    response = _code_step(client, _code(cast.auditor))
    assert response.status_code == 302
    assert _logged_in_as(client) == str(cast.auditor.pk)
    assert client.get(reverse("core:audit_list")).status_code == 200


def test_a_wrong_code_is_400_and_no_login(client, cast):
    _password_step(client, cast.auditor)
    response = _code_step(client, _wrong(_code(cast.auditor)))
    assert response.status_code == 400
    assert _logged_in_as(client) is None


def test_the_code_step_needs_the_password_step_first(client, cast):
    response = _code_step(client, _code(cast.auditor))
    assert response["Location"] == reverse("accounts:login")
    assert _logged_in_as(client) is None


def test_a_code_cannot_be_replayed(client, cast):
    code = _code(cast.auditor)
    _password_step(client, cast.auditor)
    assert _code_step(client, code).status_code == 302
    client.post(reverse("accounts:logout"))
    _password_step(client, cast.auditor)
    assert _code_step(client, code).status_code == 400
    assert _logged_in_as(client) is None


def test_wrong_codes_lock_the_account(client, cast):
    """GIVEN someone who knows the password WHEN they guess codes THEN the fifth wrong guess locks the account
    and even the right code is refused."""
    _password_step(client, cast.auditor)
    for _ in range(5):
        assert _code_step(client, _wrong(_code(cast.auditor))).status_code == 400
    cast.auditor.refresh_from_db()
    assert cast.auditor.is_locked()
    assert _code_step(client, _code(cast.auditor)).status_code == 400
    assert _password_step(client, cast.auditor).status_code == 400
    assert _logged_in_as(client) is None


def test_the_right_password_does_not_wipe_earlier_failures_of_an_enrolled_user(client, cast):
    """Otherwise guessing could go on for ever: right password, four wrong codes, right password, …"""
    for _ in range(4):
        _password_step(client, cast.auditor, "Wrong@2026!")
    _password_step(client, cast.auditor)
    _code_step(client, _wrong(_code(cast.auditor)))
    cast.auditor.refresh_from_db()
    assert cast.auditor.is_locked()


def test_a_full_login_clears_the_failure_count(client, cast):
    for _ in range(3):
        _password_step(client, cast.auditor, "Wrong@2026!")
    _password_step(client, cast.auditor)
    _code_step(client, _code(cast.auditor))
    cast.auditor.refresh_from_db()
    assert cast.auditor.failed_login_count == 0


def test_the_django_admin_login_cannot_skip_the_second_factor(client, cast):
    response = client.post("/django-admin/login/", {"username": "sysadmin", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert _logged_in_as(client) is None


def test_the_security_admin_can_reset_2fa(client, cast):
    admin = UserFactory(
        admin_role=User.AdminRole.SECURITY, totp_secret=pyotp.random_base32(), totp_confirmed_at=timezone.now()
    )
    login(client, admin)
    client.post(reverse("accounts:user_reset_2fa", args=[cast.auditor.pk]))
    cast.auditor.refresh_from_db()
    assert not cast.auditor.has_2fa and cast.auditor.totp_secret == ""


# --- the token API ----------------------------------------------------------------------------------


def _token(client, user, **extra):
    return client.post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD, **extra}, content_type="application/json"
    )


def test_the_token_api_requires_the_code_of_an_enrolled_user(client, cast):
    response = _token(client, cast.auditor)
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "otp"
    assert not ApiToken.objects.exists()


def test_the_token_api_refuses_a_wrong_code(client, cast):
    response = _token(client, cast.auditor, otp=_wrong(_code(cast.auditor)))
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "otp"
    assert not ApiToken.objects.exists()


def test_the_token_api_issues_a_token_with_the_code_and_refuses_its_replay(client, cast):
    code = _code(cast.auditor)
    response = _token(client, cast.auditor, otp=code)
    assert response.status_code == 200
    assert response.json()["token"].startswith("djt_")
    assert _token(client, cast.auditor, otp=code).status_code == 401


def test_the_token_api_sends_unenrolled_administrators_to_the_web(client, new_security_admin):
    response = _token(client, new_security_admin)
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "otp"
