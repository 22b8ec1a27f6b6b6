"""Password rules (等保 practice), the forced change at first login and the optional periodic change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import services
from dangjian.accounts.models import User
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

GOOD = "Hq7#mR2v!p"


@pytest.fixture
def newcomer(db):
    """An account created from the roster with an initial password: must change it at first login."""
    return services.user_create(username="wangwu", password="Init@2026x", acting_user=None, name="王五")


def _change(client, old, new, again=None):
    return client.post(
        reverse("accounts:password_change"), {"old_password": old, "new_password1": new, "new_password2": again or new}
    )


@pytest.mark.parametrize(
    "password,reason",
    [
        ("Ab1!xyz", "shorter than 8"),
        ("abcdefgh12", "two classes: lower-case and digits"),
        ("ABCDEFGH!!", "two classes: upper-case and symbols"),
        ("P@ssw0rd", "a common password, though it has all four classes"),
        ("wangwu2026!", "too similar to the username"),
    ],
)
def test_it_refuses_a_weak_password(newcomer, password, reason):
    with pytest.raises(ValidationError):
        services.user_set_password(user=newcomer, new_password=password)


@pytest.mark.parametrize("password", [GOOD, "hq7mr2vpx!", "HQ7MR2VPX!", "Hq7mR2vpXz"])
def test_it_accepts_three_of_four_classes(newcomer, password):
    services.user_set_password(user=newcomer, new_password=password)
    newcomer.refresh_from_db()
    assert newcomer.check_password(password)
    assert not newcomer.must_change_password


def test_a_new_account_must_change_its_password(newcomer):
    assert newcomer.must_change_password


@pytest.mark.parametrize(
    "url_name", ["core:workbench", "orgs:tree", "notices:inbox", "accounts:profile", "core:audit_list"]
)
def test_every_page_redirects_to_the_change_screen_until_done(client, newcomer, url_name):
    client.post(reverse("accounts:login"), {"identifier": "wangwu", "password": "Init@2026x"})
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")


def test_after_the_change_pages_open(client, newcomer):
    client.post(reverse("accounts:login"), {"identifier": "wangwu", "password": "Init@2026x"})
    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = _change(client, "Init@2026x", GOOD)
    assert response.status_code == 302
    assert client.get(reverse("core:workbench")).status_code == 200  # still logged in, no more redirect
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password
    assert newcomer.check_password(GOOD)


@pytest.mark.parametrize(
    "old,new,again",
    [
        ("Wrong@2026x", GOOD, GOOD),  # wrong current password
        ("Init@2026x", GOOD, GOOD + "x"),  # the two differ
        ("Init@2026x", "Init@2026x", "Init@2026x"),  # unchanged
        ("Init@2026x", "abcdefgh", "abcdefgh"),  # too weak
    ],
)
def test_a_bad_change_is_refused_with_400(client, newcomer, old, new, again):
    login(client, newcomer)
    response = _change(client, old, new, again)
    assert response.status_code == 400
    newcomer.refresh_from_db()
    assert newcomer.must_change_password
    assert newcomer.check_password("Init@2026x")


def test_the_token_api_refuses_until_the_password_is_changed(client, newcomer):
    response = client.post(
        "/api/v1/auth/token", {"username": "wangwu", "password": "Init@2026x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "password"


def test_periodic_change_is_off_by_default(client, db, settings):
    assert settings.PASSWORD_MAX_AGE_DAYS == 0
    user = UserFactory(password_changed_at=timezone.now() - dt.timedelta(days=1000))
    login(client, user)
    assert client.get(reverse("core:workbench")).status_code == 200


def test_an_old_password_must_be_changed_when_a_maximum_age_is_set(client, db, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory(password_changed_at=timezone.now() - dt.timedelta(days=91))
    login(client, user)
    response = client.get(reverse("core:workbench"))
    assert response["Location"] == reverse("accounts:password_change")
    token = client.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )
    assert token.status_code == 403


def test_a_recent_password_is_fine_with_a_maximum_age(client, db, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory(password_changed_at=timezone.now() - dt.timedelta(days=89))
    login(client, user)
    assert client.get(reverse("core:workbench")).status_code == 200


def test_the_forced_change_uses_hx_redirect_for_htmx(client, newcomer):
    login(client, newcomer)
    response = client.get(reverse("notices:inbox"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("accounts:password_change")
    assert response.status_code == 204


def test_a_forced_user_can_still_log_out(client, newcomer):
    login(client, newcomer)
    assert client.post(reverse("accounts:logout"))["Location"] == reverse("accounts:login")
    assert User.objects.get(pk=newcomer.pk).must_change_password
