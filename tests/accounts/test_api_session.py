"""A browser session reaches the API only once the forced steps (password change, 2FA enrolment) are done."""

import datetime as dt

from django.utils import timezone

from dangjian.accounts.models import User

from ..conftest import login


def test_session_with_expired_password_is_refused_by_the_api(client, cast, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(pk=cast.committee.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    login(client, cast.committee)
    assert client.get("/api/v1/members").status_code == 401
    User.objects.filter(pk=cast.committee.pk).update(password_changed_at=timezone.now())
    assert client.get("/api/v1/members").status_code == 200


def test_session_of_admin_without_2fa_is_refused_by_the_api(client, cast):
    User.objects.filter(pk=cast.sysadmin.pk).update(totp_confirmed_at=None)
    login(client, User.objects.get(pk=cast.sysadmin.pk))
    assert client.get("/api/v1/orgs/tree").status_code == 401
