"""The audit log: what gets written, that it cannot be changed, the auditor's screen and retention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.audit import audit
from dangjian.core.models import AuditEvent
from dangjian.core.tasks import audit_purge_expired, purge_audit_events
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory


def _at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _event_at(monkeypatch, moment: dt.datetime, action: str = "test.event", **kwargs) -> AuditEvent:
    with monkeypatch.context() as m:
        _at(m, moment)
        return audit(None, action, **kwargs)


@pytest.fixture
def security_admin(db):
    return UserFactory(
        username="secadmin",
        name="安全员",
        admin_role=User.AdminRole.SECURITY,
        totp_secret="JBSWY3DPEHPK3PXP",
        totp_confirmed_at=timezone.now(),
    )


# --- what is written ------------------------------------------------------------------------------


def test_an_unlock_is_audited_with_actor_ip_and_change(client, cast, security_admin):
    locked = UserFactory(failed_login_count=0, locked_until=timezone.now() + dt.timedelta(minutes=10))
    login(client, security_admin)
    client.post(reverse("accounts:user_unlock", args=[locked.pk]), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="auth.unlock")
    assert event.actor == security_admin
    assert event.actor_name == "secadmin"
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.ip == "10.1.2.3"
    assert (event.target_type, event.target_id) == ("accounts.user", str(locked.pk))
    assert event.before["locked_until"] is not None
    assert event.after == {"locked_until": None}


def test_a_failed_login_is_audited_as_a_failure_with_the_ip(client, db):
    user = UserFactory(username="zhangsan")
    client.post(reverse("accounts:login"), {"identifier": "zhangsan", "password": "wrong"}, REMOTE_ADDR="10.9.8.7")
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.outcome, event.ip) == (user, AuditEvent.Outcome.FAILURE, "10.9.8.7")


def test_a_role_grant_is_audited_with_its_org(cast):
    from dangjian.accounts.services import org_role_grant

    org_role_grant(user=cast.outsider, org=cast.branch_b, role="affairs_worker", acting_user=cast.committee)
    event = AuditEvent.objects.get(action="role.grant")
    assert event.actor == cast.committee
    assert event.org_path == cast.branch_b.path
    assert event.after == {"user": cast.outsider.pk, "org": cast.branch_b.pk, "role": "affairs_worker"}


def test_only_changed_fields_are_kept(db):
    event = audit(None, "x.update", before={"a": 1, "b": 2}, after={"a": 1, "b": 3})
    assert (event.before, event.after) == ({"b": 2}, {"b": 3})


# --- append-only ----------------------------------------------------------------------------------


def test_an_event_cannot_be_changed_or_deleted_through_the_orm(db):
    event = audit(None, "x.create")
    event.action = "x.forged"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x.forged")
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(ValueError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "x.create"


def test_deleting_a_user_keeps_their_events(db):
    user = UserFactory(username="leaver")
    event = audit(user, "x.create")
    user.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_id, event.actor_name) == (None, "leaver")


# --- the auditor's screen -------------------------------------------------------------------------


@pytest.fixture
def events(cast, monkeypatch):
    now = timezone.now()
    _event_at(monkeypatch, now - dt.timedelta(days=3), "member.update")
    with monkeypatch.context() as m:
        _at(m, now - dt.timedelta(days=1))
        audit(cast.committee, "member.update", cast.member_a)
        audit(cast.secretary_a, "dues.payment", outcome=AuditEvent.Outcome.FAILURE)
    return now


def _shown(response) -> list[str]:
    return [f"{e.actor_name}:{e.action}" for e in response.context["page_obj"] if e.action != "audit.view"]


def test_auditor_filters_by_person(client, cast, events):
    login(client, cast.auditor)
    assert _shown(client.get(reverse("core:audit_list"), {"person": "secretary"})) == ["secretary_a:dues.payment"]
    # The person's display name (组织部 is the committee admin) finds their events too.
    assert _shown(client.get(reverse("core:audit_list"), {"person": "组织部"})) == ["committee:member.update"]


def test_auditor_filters_by_action_and_outcome(client, cast, events):
    login(client, cast.auditor)
    assert len(_shown(client.get(reverse("core:audit_list"), {"action": "member.update"}))) == 2
    assert _shown(client.get(reverse("core:audit_list"), {"outcome": "failure"})) == ["secretary_a:dues.payment"]


def test_auditor_filters_by_date(client, cast, events):
    login(client, cast.auditor)
    day = timezone.localdate(events - dt.timedelta(days=3))
    only_that_day = {"from": day.isoformat(), "to": day.isoformat()}
    assert _shown(client.get(reverse("core:audit_list"), only_that_day)) == [":member.update"]
    since_two_days = {"from": (day + dt.timedelta(days=1)).isoformat()}
    assert len(_shown(client.get(reverse("core:audit_list"), since_two_days))) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2024-13-45"},
        {"from": "yesterday"},
        {"to": "2024-02-30"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"page": "abc"},
        {"page": "99999"},
        {"outcome": "maybe"},
        {"from": "２０２４-０１-０１"},
    ],
)
def test_bad_filters_do_not_break_the_screen(client, cast, events, params):
    login(client, cast.auditor)
    response = client.get(reverse("core:audit_list"), params)
    assert response.status_code == 200
    assert len(_shown(response)) == 3


def test_viewing_the_log_is_itself_audited(client, cast):
    login(client, cast.auditor)
    client.get(reverse("core:audit_list"), {"person": "committee"})
    event = AuditEvent.objects.get(action="audit.view")
    assert event.actor == cast.auditor
    assert event.after["person"] == "committee"


def test_audit_screen_queries_do_not_grow_with_events(client, cast, django_assert_max_num_queries):
    """GIVEN a few events, then many more by many people
    WHEN the auditor opens the log
    THEN the number of queries is the same."""
    login(client, cast.auditor)
    url = reverse("core:audit_list")
    for i in range(3):
        audit(cast.committee, f"few.{i}")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    people = UserFactory.create_batch(20)
    for i in range(60):
        audit(people[i % 20], f"many.{i % 7}", cast.member_a, before={"n": i}, after={"n": i + 1})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page_obj"]) == 50


# --- retention ------------------------------------------------------------------------------------


def test_retention_deletes_only_events_older_than_the_setting(db, settings, monkeypatch):
    settings.AUDIT_RETENTION_DAYS = 200
    now = timezone.now()
    old = _event_at(monkeypatch, now - dt.timedelta(days=201), "old")
    kept = [_event_at(monkeypatch, now - dt.timedelta(days=d), f"kept.{d}") for d in (199, 30, 0)]
    assert audit_purge_expired(now=now) == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {e.pk for e in kept}


def test_retention_never_goes_below_six_months(db, settings, monkeypatch):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    kept = _event_at(monkeypatch, now - dt.timedelta(days=180), "kept")
    gone = _event_at(monkeypatch, now - dt.timedelta(days=184), "gone")
    purge_audit_events.call_local()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert not AuditEvent.objects.filter(pk=gone.pk).exists()


def test_login_with_the_right_password_is_audited_as_success(client, db):
    user = UserFactory(username="lisi")
    client.post(reverse("accounts:login"), {"identifier": "lisi", "password": PASSWORD})
    assert AuditEvent.objects.filter(action="auth.login", actor=user, outcome="success").exists()
