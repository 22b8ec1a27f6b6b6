"""Logging in by username, employee number or phone, and the lockout after repeated failures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import ApiToken, User
from dangjian.core.models import AuditEvent
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token"


@pytest.fixture
def zhang(db):
    return UserFactory(username="zhangsan", employee_no="E000123", phone="13812345678")


@pytest.fixture
def security_admin(db):
    return UserFactory(
        username="secadmin",
        admin_role=User.AdminRole.SECURITY,
        totp_secret="JBSWY3DPEHPK3PXP",
        totp_confirmed_at=timezone.now(),
    )


def _web_login(client, identifier, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"identifier": identifier, "password": password})


def _logged_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize(
    "identifier", ["zhangsan", "E000123", "13812345678", "138 1234 5678", "１３８１２３４５６７８"]
)
def test_it_logs_in_by_username_employee_number_or_phone(client, zhang, identifier):
    response = _web_login(client, identifier)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:workbench")
    assert _logged_in_as(client) == str(zhang.pk)


def test_a_wrong_password_is_refused_with_400(client, zhang):
    response = _web_login(client, "zhangsan", "Wrong@2026!")
    assert response.status_code == 400
    assert _logged_in_as(client) is None


def test_an_unknown_account_gets_the_same_answer(client, zhang):
    unknown = _web_login(client, "nobody", "Wrong@2026!")
    wrong = _web_login(client, "zhangsan", "Wrong@2026!")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()


def test_a_disabled_account_cannot_log_in(client, zhang):
    User.objects.filter(pk=zhang.pk).update(is_active=False)
    assert _web_login(client, "zhangsan").status_code == 400
    assert _logged_in_as(client) is None


def test_it_locks_after_five_failures(client, zhang):
    for _ in range(4):
        _web_login(client, "zhangsan", "Wrong@2026!")
    zhang.refresh_from_db()
    assert not zhang.is_locked()
    _web_login(client, "zhangsan", "Wrong@2026!")
    zhang.refresh_from_db()
    assert zhang.is_locked()
    assert zhang.locked_until - timezone.now() > dt.timedelta(minutes=14)
    assert AuditEvent.objects.filter(action="auth.locked", actor=zhang, outcome="failure").exists()


def test_the_right_password_is_refused_while_locked(client, zhang):
    for _ in range(5):
        _web_login(client, "zhangsan", "Wrong@2026!")
    response = _web_login(client, "zhangsan")
    assert response.status_code == 400
    assert _logged_in_as(client) is None
    assert AuditEvent.objects.filter(action="auth.login_locked", actor=zhang).exists()


def test_a_success_resets_the_count(client, zhang):
    for _ in range(4):
        _web_login(client, "zhangsan", "Wrong@2026!")
    _web_login(client, "zhangsan")
    zhang.refresh_from_db()
    assert zhang.failed_login_count == 0


def test_it_unlocks_after_fifteen_minutes(client, zhang, monkeypatch):
    """GIVEN a locked account WHEN 14 minutes have passed THEN still locked; WHEN 16 have THEN the password works."""
    for _ in range(5):
        _web_login(client, "zhangsan", "Wrong@2026!")
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(minutes=14))
    assert _web_login(client, "zhangsan").status_code == 400
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(minutes=16))
    assert _web_login(client, "zhangsan").status_code == 302
    zhang.refresh_from_db()
    assert (zhang.failed_login_count, zhang.locked_until) == (0, None)


def test_a_lock_in_the_past_no_longer_holds(client, zhang):
    User.objects.filter(pk=zhang.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert _web_login(client, "zhangsan").status_code == 302


def test_the_lock_length_follows_the_settings(client, zhang, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCK_MINUTES = 60
    for _ in range(3):
        _web_login(client, "zhangsan", "Wrong@2026!")
    zhang.refresh_from_db()
    assert zhang.locked_until - timezone.now() > dt.timedelta(minutes=59)


def test_the_token_api_counts_failures_and_locks_too(client, zhang):
    for _ in range(5):
        response = client.post(
            TOKEN_URL, {"username": "zhangsan", "password": "Wrong@2026!"}, content_type="application/json"
        )
        assert response.status_code == 401
    response = client.post(TOKEN_URL, {"username": "zhangsan", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 429
    assert set(response.json()) == {"detail", "errors"}
    assert response.json()["errors"][0]["field"] == "password"
    assert not ApiToken.objects.exists()


def test_failures_on_the_web_and_the_api_add_up(client, zhang):
    for _ in range(3):
        _web_login(client, "zhangsan", "Wrong@2026!")
    for _ in range(2):
        client.post(TOKEN_URL, {"username": "E000123", "password": "Wrong@2026!"}, content_type="application/json")
    zhang.refresh_from_db()
    assert zhang.is_locked()


def test_the_security_admin_can_unlock(client, zhang, security_admin):
    for _ in range(5):
        _web_login(client, "zhangsan", "Wrong@2026!")
    login(client, security_admin)
    page = client.get(reverse("accounts:user_admin"), {"q": "zhangsan"})
    assert reverse("accounts:user_unlock", args=[zhang.pk]) in page.content.decode()
    response = client.post(reverse("accounts:user_unlock", args=[zhang.pk]))
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert not zhang.is_locked()
    client.logout()
    assert _web_login(client, "zhangsan").status_code == 302


def test_an_ordinary_user_cannot_unlock(client, zhang, cast):
    User.objects.filter(pk=zhang.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=10))
    login(client, cast.committee)
    assert client.post(reverse("accounts:user_unlock", args=[zhang.pk])).status_code == 404
    zhang.refresh_from_db()
    assert zhang.is_locked()


def test_login_does_not_redirect_off_site(client, zhang):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"identifier": "zhangsan", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("core:workbench")


def test_login_follows_a_local_next(client, zhang):
    response = client.post(
        reverse("accounts:login"), {"identifier": "zhangsan", "password": PASSWORD, "next": "/notices/"}
    )
    assert response["Location"] == "/notices/"


def test_logout_ends_the_session(client, zhang):
    _web_login(client, "zhangsan")
    client.post(reverse("accounts:logout"))
    assert _logged_in_as(client) is None
    assert client.get(reverse("core:workbench")).status_code == 302
