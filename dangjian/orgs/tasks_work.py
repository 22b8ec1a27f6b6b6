"""Daily jobs of member work: letter expiry, out-of-contact thresholds, development deadlines."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .development import development_remind
from .mobile import contact_warnings_raise
from .transfers import letters_remind


@db_periodic_task(crontab(hour="8", minute="0"))
def remind_transfer_letters() -> int:
    """Introduction letters awaiting their receipt: 7 days before they expire and on expiry, once each."""
    return letters_remind()


@db_periodic_task(crontab(hour="8", minute="5"))
def raise_contact_warnings() -> int:
    """Out of contact 6 months, suspended 2 years, away 6 months: the secretary hears once per threshold."""
    return contact_warnings_raise()


@db_periodic_task(crontab(hour="8", minute="10"))
def remind_development_deadlines() -> int:
    """Member development: each deadline is told to the branch's secretaries a week ahead, once."""
    return development_remind()
