"""In a real browser on a phone viewport: a member plays audio, leaves, comes back on another "device" (a fresh
browser context) and the player resumes where they left off. Heartbeats every second here (the setting)."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from dangjian.learning import services
from dangjian.learning.models import StudyProgress

from ..e2e.conftest import PHONE, e2e_cast, log_in, shot  # noqa: F401  (fixtures)
from ..factories import UserFactory, grant
from .conftest import wav_bytes

pytestmark = pytest.mark.e2e


def _wait_for(check, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_member_plays_leaves_and_resumes_on_another_device(e2e_cast, new_page, settings, tmp_path):  # noqa: F811
    settings.LEARNING_MEDIA_ROOT = tmp_path / "private"
    settings.LEARNING_HEARTBEAT_SECONDS = 1
    reviewer = UserFactory(username="reviewer")
    grant(reviewer, e2e_cast.group, "committee_admin")
    audio = services.resource_save(
        acting_user=e2e_cast.committee,
        org=e2e_cast.group,
        kind="audio",
        title="党章朗读（第一章）",
        upload=SimpleUploadedFile("charter.wav", wav_bytes(60)),
    )
    services.shared_submit(item=audio, acting_user=e2e_cast.committee)
    services.shared_review(item=audio, approve=True, acting_user=reviewer)

    phone = new_page(PHONE)
    log_in(phone, "member_a", e2e_cast.password)
    phone.goto(f"/learning/resources/{audio.pk}/")
    player = phone.get_by_test_id("player")
    expect(player).to_be_visible()
    phone.locator("h1").click()  # a user gesture, so that play() is allowed
    phone.evaluate("document.querySelector('audio').play()")
    phone.wait_for_timeout(4500)
    phone.evaluate("document.querySelector('audio').pause()")
    progress = _wait_for(
        lambda: StudyProgress.objects.filter(member=e2e_cast.member_a, resource=audio, position__gt=3).first()
    )
    assert progress.study_ms >= 2000  # credited: it played while visible
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, tmp_path, "resource-phone")

    other_device = new_page(PHONE)
    log_in(other_device, "member_a", e2e_cast.password)
    other_device.goto(f"/learning/resources/{audio.pk}/")
    other_device.wait_for_function(
        "document.querySelector('audio').readyState >= 1 && document.querySelector('audio').currentTime > 0"
    )
    resumed = other_device.evaluate("document.querySelector('audio').currentTime")
    assert abs(resumed - progress.position) < 1.0
