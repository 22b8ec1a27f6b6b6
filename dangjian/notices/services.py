"""notify(): the one way modules tell people something — inbox rows now, e-mail after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Notification


def notify(
    *, recipients: Iterable[Any], title: str, body: str = "", url: str = "", kind: str = "general", email: bool = False
) -> list[Notification]:
    """Put a notification in each recipient's inbox (in the caller's transaction) and, once that
    transaction commits, e-mail those who have an address. A rolled-back write notifies nobody."""
    users = [u for u in recipients if u is not None]
    rows = Notification.objects.bulk_create(
        [Notification(recipient=u, kind=kind, title=title[:200], body=body, url=url) for u in users]
    )
    if email:
        addresses = [u.email for u in users if getattr(u, "email", "")]
        if addresses:
            from .tasks import send_notification_email

            transaction.on_commit(lambda: send_notification_email(addresses, title, body, url))
    return rows


def notification_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
