"""API tokens: issued once, stored as an SM3 hash, revocable, expiring; and POST /api/v1/auth/token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import services
from dangjian.accounts.models import ApiToken
from dangjian.core.crypto import sm3_hex
from dangjian.core.models import AuditEvent
from tests.conftest import login
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def issued(cast):
    return services.api_token_issue(user=cast.committee, name="HR sync")


def test_the_profile_shows_a_new_token_once(client, cast):
    login(client, cast.committee)
    response = client.post(reverse("accounts:profile"), {"name": "HR sync"})
    assert response.status_code == 200
    plaintext = response.context["new_token"]
    assert plaintext.startswith("djt_")
    assert f'data-testid="new-token">{plaintext}<' in response.content.decode()
    assert plaintext not in client.get(reverse("accounts:profile")).content.decode()


def test_only_the_sm3_hash_is_stored(issued):
    token = ApiToken.objects.get()
    assert token.token_hash == sm3_hex(issued.plaintext)
    stored = [str(v) for v in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.concrete_fields]).get()]
    assert issued.plaintext not in stored


def test_a_token_authenticates_the_api(client, issued):
    response = client.get("/api/v1/members", headers=_bearer(issued.plaintext))
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_gets_401_with_the_json_error(client, cast, issued):
    login(client, cast.committee)
    client.post(reverse("accounts:token_revoke", args=[issued.token.pk]))
    client.logout()
    response = client.get("/api/v1/members", headers=_bearer(issued.plaintext))
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    assert AuditEvent.objects.filter(action="auth.token_revoked", actor=cast.committee).exists()


def test_an_expired_token_gets_401(client, issued):
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/api/v1/members", headers=_bearer(issued.plaintext))
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_a_token_of_a_deactivated_user_gets_401(client, cast, issued):
    cast.committee.is_active = False
    cast.committee.save(update_fields=["is_active"])
    assert client.get("/api/v1/members", headers=_bearer(issued.plaintext)).status_code == 401


def test_a_token_expiring_later_still_works(client, issued):
    ApiToken.objects.update(expires_at=timezone.now() + dt.timedelta(seconds=30))
    assert client.get("/api/v1/members", headers=_bearer(issued.plaintext)).status_code == 200


def test_last_use_is_written_at_most_every_five_minutes(issued, django_assert_num_queries):
    recent = timezone.now() - dt.timedelta(minutes=4, seconds=50)
    ApiToken.objects.update(last_used_at=recent)
    with django_assert_num_queries(1):  # the lookup only
        assert services.api_token_authenticate(issued.plaintext) is not None
    assert ApiToken.objects.get().last_used_at == recent
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(minutes=5, seconds=10))
    with django_assert_num_queries(2):  # the lookup and the touch
        user = services.api_token_authenticate(issued.plaintext)
    assert user is not None and user.pk == issued.token.user_id
    assert timezone.now() - ApiToken.objects.get().last_used_at < dt.timedelta(seconds=5)


def test_the_api_user_leaves_secrets_encrypted_until_asked_for(cast, issued):
    cast.committee.phone = "13800138000"
    cast.committee.save(update_fields=["phone"])
    user = services.api_token_authenticate(issued.plaintext)
    assert user is not None and user.pk == cast.committee.pk and user.username == cast.committee.username
    assert user.get_deferred_fields() == {"password", "phone", "id_number", "totp_secret"}
    assert user.phone == "13800138000"  # read (and decrypted) on first use


def test_the_api_user_comes_with_their_member_record(cast, django_assert_num_queries):
    """One statement: user.member answers without a query, the member's secrets stay unread until asked for; a user
    who is not a member has none (and asking costs no query either)."""
    cast.member_a.phone = "13900139000"
    cast.member_a.save()
    token = services.api_token_issue(user=cast.member_a_user, name="phone").plaintext
    services.api_token_authenticate(token)  # the first use writes last_used_at
    with django_assert_num_queries(1):
        user = services.api_token_authenticate(token)
        member = user.member
        assert (member.pk, member.org_path, member.status) == (
            cast.member_a.pk,
            cast.member_a.org_path,
            cast.member_a.status,
        )
    assert {"phone", "id_number", "address"} <= member.get_deferred_fields()
    assert member.phone == "13900139000"
    outsider = services.api_token_issue(user=cast.committee, name="hr").plaintext
    services.api_token_authenticate(outsider)
    with django_assert_num_queries(1):
        assert getattr(services.api_token_authenticate(outsider), "member", None) is None


@pytest.mark.parametrize("token", ["djt_not-a-real-token", "nonsense", ""])
def test_an_unknown_token_gets_401(client, cast, token):
    response = client.get("/api/v1/members", headers=_bearer(token))
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_a_disabled_user_s_token_stops_working(client, cast, issued):
    cast.committee.is_active = False
    cast.committee.save()
    assert client.get("/api/v1/members", headers=_bearer(issued.plaintext)).status_code == 401


def test_no_one_revokes_another_user_s_token(client, cast, issued):
    login(client, cast.secretary_a)
    assert client.post(reverse("accounts:token_revoke", args=[issued.token.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None


# --- POST /api/v1/auth/token ------------------------------------------------------------------------


def test_it_issues_a_token_for_username_and_password(client, cast):
    response = client.post(
        TOKEN_URL, {"username": "committee", "password": PASSWORD, "name": "手机"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at", "user_id", "username"}
    assert body["user_id"] == cast.committee.pk
    assert ApiToken.objects.get().name == "手机"
    assert client.get("/api/v1/members", headers=_bearer(body["token"])).status_code == 200


@pytest.mark.parametrize(
    "payload,fields",
    [
        ({}, {"username", "password"}),
        ({"username": "committee"}, {"password"}),
        ({"username": "", "password": PASSWORD}, {"username"}),
        ({"username": "committee", "password": PASSWORD, "name": "x" * 65}, {"name"}),
        ({"username": ["committee"], "password": 123}, {"username", "password"}),
    ],
)
def test_bad_input_is_400_naming_the_fields(client, cast, payload, fields):
    response = client.post(TOKEN_URL, payload, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert {e["field"] for e in body["errors"]} == fields
    assert not ApiToken.objects.exists()


def test_a_body_that_is_not_json_is_400(client, cast):
    response = client.post(TOKEN_URL, "username=committee", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_a_wrong_password_is_401_and_only_the_failure_is_written(client, cast):
    events_before = AuditEvent.objects.count()
    response = client.post(
        TOKEN_URL, {"username": "committee", "password": "Wrong@2026!"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "password"
    assert not ApiToken.objects.exists()
    new_events = list(AuditEvent.objects.order_by("id")[events_before:].values_list("action", "outcome"))
    assert new_events == [("auth.login", "failure")]


def test_an_unknown_user_is_401_like_a_wrong_password(client, cast):
    response = client.post(TOKEN_URL, {"username": "ghost", "password": "Wrong@2026!"}, content_type="application/json")
    assert response.status_code == 401
    assert AuditEvent.objects.filter(action="auth.login", outcome="failure", actor_name="ghost").exists()
