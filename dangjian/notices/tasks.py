"""Background jobs of the notices app."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from huey.contrib.djhuey import task


@task(retries=3, retry_delay=60)
def send_notification_email(addresses: list[str], title: str, body: str, url: str) -> int:
    text = body + (f"\n\n{settings.SITE_URL}{url}" if url else "")
    return send_mass_mail([(title, text, settings.DEFAULT_FROM_EMAIL, [a]) for a in addresses], fail_silently=False)
