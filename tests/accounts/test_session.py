"""Idle logout after IDLE_TIMEOUT_MINUTES (30) without activity."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse

from dangjian.accounts.middleware import LAST_SEEN
from tests.conftest import login


@pytest.fixture
def member_client(client, cast):
    login(client, cast.member_a_user)
    client.get(reverse("core:workbench"))  # the first request records activity
    return client


def _idle(client, minutes: float) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time() - minutes * 60)
    session.save()


def test_the_first_request_records_activity(member_client):
    assert abs(member_client.session[LAST_SEEN] - time.time()) < 5


def test_it_logs_out_after_thirty_idle_minutes(member_client):
    _idle(member_client, 31)
    response = member_client.get(reverse("notices:inbox") + "?page=2")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=%2Fnotices%2F%3Fpage%3D2"
    assert "_auth_user_id" not in member_client.session
    assert member_client.get(reverse("core:workbench"))["Location"].startswith(reverse("accounts:login"))


def test_it_keeps_an_active_session(member_client):
    _idle(member_client, 29)
    assert member_client.get(reverse("core:workbench")).status_code == 200
    assert abs(member_client.session[LAST_SEEN] - time.time()) < 5  # the clock starts again


def test_the_timeout_follows_the_setting(member_client, settings):
    settings.IDLE_TIMEOUT_MINUTES = 15
    _idle(member_client, 16)
    assert member_client.get(reverse("core:workbench")).status_code == 302


def test_htmx_requests_get_hx_redirect(member_client):
    _idle(member_client, 31)
    response = member_client.get(reverse("notices:inbox"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in member_client.session


def test_the_api_refuses_an_idle_session(member_client):
    """The session itself expires with the idle timeout, so the API (which does not touch last_seen) refuses it."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert member_client.get("/api/v1/members").status_code == 200
    session = Session.objects.get(session_key=member_client.session.session_key)
    assert session.expire_date <= timezone.now() + dt.timedelta(minutes=30, seconds=5)
    Session.objects.filter(session_key=member_client.session.session_key).update(expire_date=timezone.now())
    response = member_client.get("/api/v1/members")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_the_login_page_says_why(member_client):
    _idle(member_client, 31)
    response = member_client.get(reverse("core:workbench"), follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("accounts:login")
    assert any("30" in str(m) for m in response.context["messages"])
