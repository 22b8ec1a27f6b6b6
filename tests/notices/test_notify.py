"""notify(): inbox rows in the caller's transaction, e-mail only after commit; the inbox and its badge."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from dangjian.notices.models import Notification
from dangjian.notices.services import notify
from tests.conftest import login


class Boom(Exception):
    pass


@pytest.fixture
def with_email(cast):
    for user in (cast.member_a_user, cast.secretary_a):
        user.email = f"{user.username}@example.com"
        user.save()
    return [cast.member_a_user, cast.secretary_a]


def test_it_puts_a_row_in_each_inbox(cast):
    rows = notify(
        recipients=[cast.member_a_user, cast.secretary_a, None],
        title="支部党员大会",
        body="周五 15:00",
        url="/meetings/1/",
    )
    assert len(rows) == 2
    assert Notification.objects.filter(
        recipient=cast.member_a_user, title="支部党员大会", read_at__isnull=True
    ).exists()


def test_a_rolled_back_transaction_notifies_nobody(with_email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        notify(recipients=with_email, title="缴纳党费", email=True)
        assert Notification.objects.count() == 2  # written in the caller's transaction…
        raise Boom
    assert Notification.objects.count() == 0  # …and gone with it
    assert callbacks == []
    assert mail.outbox == []


def test_email_goes_out_only_after_commit(with_email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notify(recipients=with_email, title="缴纳党费", body="本月党费已出账", url="/dues/", email=True)
            assert mail.outbox == []
        assert mail.outbox == []  # committed, but the callbacks run when the outermost transaction ends
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["member_a@example.com", "secretary_a@example.com"]
    assert mail.outbox[0].subject == "缴纳党费"
    assert "/dues/" in mail.outbox[0].body


def test_no_email_unless_asked_or_without_an_address(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[cast.member_a_user], title="a")  # email not asked for
        notify(recipients=[cast.member_a_user], title="b", email=True)  # no address
    assert mail.outbox == []
    assert Notification.objects.count() == 2


def test_the_base_layout_shows_the_unread_count(client, cast):
    notify(recipients=[cast.member_a_user], title="一")
    notify(recipients=[cast.member_a_user], title="二")
    notify(recipients=[cast.secretary_a], title="别人的")
    login(client, cast.member_a_user)
    body = client.get(reverse("core:workbench")).content.decode()
    assert 'class="badge">2<' in body


def test_no_badge_when_everything_is_read(client, cast):
    login(client, cast.member_a_user)
    assert 'class="badge"' not in client.get(reverse("core:workbench")).content.decode()


def test_the_inbox_lists_only_my_notifications(client, cast):
    notify(recipients=[cast.member_a_user], title="给我的")
    notify(recipients=[cast.secretary_a], title="给书记的")
    login(client, cast.member_a_user)
    body = client.get(reverse("notices:inbox")).content.decode()
    assert "给我的" in body and "给书记的" not in body


def test_mark_all_read(client, cast):
    notify(recipients=[cast.member_a_user], title="一")
    notify(recipients=[cast.member_a_user], title="二")
    login(client, cast.member_a_user)
    assert client.post(reverse("notices:mark_read")).status_code == 302
    assert not Notification.objects.filter(recipient=cast.member_a_user, read_at__isnull=True).exists()


def test_mark_one_read(client, cast):
    first, second = notify(recipients=[cast.member_a_user], title="一") + notify(
        recipients=[cast.member_a_user], title="二"
    )
    login(client, cast.member_a_user)
    client.post(reverse("notices:mark_read"), {"id": [first.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_another_user_s_id_changes_nothing(client, cast):
    (mine,) = notify(recipients=[cast.member_a_user], title="我的")
    (theirs,) = notify(recipients=[cast.secretary_a], title="书记的")
    login(client, cast.member_a_user)
    client.post(reverse("notices:mark_read"), {"id": [theirs.pk]})
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is None
    assert mine.read_at is None


@pytest.mark.parametrize("ids", [["abc"], ["-1"], ["1e3"], ["9" * 40]])
def test_ids_that_are_not_numbers_mark_nothing(client, cast, ids):
    (mine,) = notify(recipients=[cast.member_a_user], title="我的")
    login(client, cast.member_a_user)
    assert client.post(reverse("notices:mark_read"), {"id": ids}).status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is None


def test_mark_read_needs_post(client, cast):
    login(client, cast.member_a_user)
    assert client.get(reverse("notices:mark_read")).status_code == 405
