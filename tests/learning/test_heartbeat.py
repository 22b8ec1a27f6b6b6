"""Honest study time: bursts, replays, two tabs, clock skew, skipping ahead, length caps, scope, bad input, facts."""

import pytest

from dangjian.analytics.models import Fact, FactKind
from dangjian.learning import studytime
from dangjian.learning.models import StudyProgress, StudySession
from dangjian.learning.studytime import heartbeat_record

from ..conftest import login
from ..factories import UserFactory, make_member

T0 = 1_800_000_000_000  # server clock in ms; tests pass it explicitly


def beat(cast, resource, at_s, position, playing=True, visible=True, member=None):
    return heartbeat_record(
        member=member or cast.member_a,
        resource=resource,
        position=position,
        playing=playing,
        visible=visible,
        now_ms=T0 + int(at_s * 1000),
    )


def watch(cast, resource, start_s, until_s, step=15, offset=0.0, member=None):
    """Play from ``start_s`` (media position) for ``until_s`` seconds of wall time, beating every ``step`` s."""
    out = []
    for t in range(0, until_s + 1, step):
        out.append(beat(cast, resource, offset + t, start_s + t, member=member))
    return out


def test_first_beat_starts_the_stream_and_later_beats_credit_real_time(lib):
    beats = watch(lib, lib.video, 0, 60)
    assert [b.credited_seconds for b in beats] == [0, 15, 15, 15, 15]
    assert beats[-1].total_seconds == 60
    p = StudyProgress.objects.get(member=lib.member_a, resource=lib.video)
    assert p.furthest == 60 and p.position == 60 and p.completed_at is None


def test_burst_and_replays_credit_only_the_time_that_really_passed(lib):
    beat(lib, lib.video, 0, 0)
    total = [beat(lib, lib.video, 0.01 * i, 0.01 * i) for i in range(1, 101)]  # 100 beats within one second
    assert sum(b.credited_seconds for b in total) <= 1
    assert StudyProgress.objects.get(resource=lib.video).study_ms <= 1000
    first = beat(lib, lib.video, 16, 16)
    replay = beat(lib, lib.video, 16, 16)  # the same request sent again
    assert first.credited_seconds == 15 and replay.credited_seconds == 0


def test_cap_per_beat_and_a_long_silence_restarts_the_stream(lib):
    beat(lib, lib.video, 0, 0)
    assert beat(lib, lib.video, 30, 30).credited_seconds == 20  # one missed beat: at most 20 s
    assert beat(lib, lib.video, 130, 130).credited_seconds == 0  # 100 s of silence: nothing for the gap
    assert beat(lib, lib.video, 145, 145).credited_seconds == 15


def test_only_playing_and_visible_time_counts(lib):
    beat(lib, lib.video, 0, 0)
    assert beat(lib, lib.video, 15, 15, visible=False).credited_seconds == 0  # tab hidden
    assert beat(lib, lib.video, 30, 15, playing=True).credited_seconds == 0  # the interval started hidden
    assert beat(lib, lib.video, 45, 30, playing=False).credited_seconds == 0  # paused
    assert beat(lib, lib.video, 300, 30).credited_seconds == 0  # resumed after a pause: nothing for the pause
    assert beat(lib, lib.video, 315, 45).credited_seconds == 15


def test_two_tabs_on_the_same_resource_share_one_clock(lib):
    beat(lib, lib.video, 0, 0)
    credited = 0
    for t in range(15, 121, 15):  # tab A on the beat, tab B 5 s later at another position
        credited += beat(lib, lib.video, t, t).credited_seconds
        credited += beat(lib, lib.video, t + 5, 300 + t).credited_seconds
    assert credited <= 125  # never more than the wall clock
    assert StudyProgress.objects.get(resource=lib.video).study_ms <= 125_000


def test_a_second_stream_on_another_resource_gets_nothing_and_writes_nothing(lib):
    audio = lib.charter  # any other resource
    beat(lib, lib.video, 0, 0)
    for t in (15, 30, 45):
        assert beat(lib, lib.video, t, t).credited_seconds == 15
        other = beat(lib, audio, t + 7, t)
        assert other.credited_seconds == 0 and not other.accepted
    assert not StudyProgress.objects.filter(resource=audio).exists()
    # Once the first stream pauses, the other tab may take over (credited from its next beat on).
    beat(lib, lib.video, 50, 50, playing=False)
    assert beat(lib, audio, 52, 0).accepted
    assert beat(lib, audio, 67, 15).credited_seconds == 15


def test_two_devices_stream_after_the_first_goes_silent(lib):
    beat(lib, lib.video, 0, 0)
    beat(lib, lib.video, 15, 15)
    # The phone went into a pocket without a last beat: 20 s later the PC may take over, for another resource.
    assert beat(lib, lib.charter, 36, 0).accepted


def test_clock_skew_client_time_is_ignored(client, lib, monkeypatch):
    """GIVEN a client whose clock is a year ahead WHEN it sends its time THEN only the server clock counts."""
    login(client, lib.member_a_user)
    now = [T0]
    monkeypatch.setattr(studytime, "_now_ms", lambda: now[0])
    body = {
        "resource": lib.video.pk,
        "position": 0,
        "playing": True,
        "visible": True,
        "client_time": "2099-01-01T00:00:00Z",
        "elapsed": 3600,
    }
    assert client.post("/api/v1/learning/heartbeat", body, content_type="application/json").json() == {
        "credited_seconds": 0,
        "total_seconds": 0,
    }
    now[0] += 15_000
    body["position"] = 15
    answer = client.post("/api/v1/learning/heartbeat", body, content_type="application/json").json()
    assert answer == {"credited_seconds": 15, "total_seconds": 15}


def test_skipping_ahead_does_not_complete_but_watching_does(lib):
    beat(lib, lib.video, 0, 0)
    beat(lib, lib.video, 15, 15)
    # Seek to 590 of 600 s and keep "playing" to the end.
    for t, pos in ((30, 590), (45, 600)):
        beat(lib, lib.video, t, pos)
    p = StudyProgress.objects.get(resource=lib.video)
    assert p.furthest == 15 and p.completed_at is None
    assert not Fact.objects.filter(kind=FactKind.RESOURCE_COMPLETED).exists()
    # Fast playback beyond 2x does not count as watching either.
    beat(lib, lib.video, 200, 15)
    beat(lib, lib.video, 215, 15 + 120)
    assert StudyProgress.objects.get(resource=lib.video).furthest == 15
    # Watching from where the member really was, to the end, completes it once.
    beats = watch(lib, lib.video, 15, 585, offset=400)
    assert beats[-1].furthest >= 570
    p.refresh_from_db()
    assert p.completed_at is not None
    assert Fact.objects.filter(kind=FactKind.RESOURCE_COMPLETED, member_id=lib.member_a.pk).count() == 1


def test_credit_never_exceeds_the_remaining_length(lib):
    beat(lib, lib.video, 0, 595)
    assert beat(lib, lib.video, 15, 600).credited_seconds == 5
    assert beat(lib, lib.video, 30, 600).credited_seconds == 0


def test_resume_position_on_another_device(client, lib):
    watch(lib, lib.video, 0, 45)
    login(client, lib.member_a_user)
    detail = client.get(f"/api/v1/learning/resources/{lib.video.pk}").json()
    assert detail["progress"]["position"] == 45
    page = client.get(f"/learning/resources/{lib.video.pk}/")
    assert 'data-resume="45.0"' in page.content.decode()


def test_a_member_who_cannot_see_the_resource_gets_404_and_nothing_is_written(client, lib):
    login(client, lib.member_a_user)
    response = client.post(
        "/api/v1/learning/heartbeat",
        {"resource": lib.b_only.pk, "position": 1, "playing": True, "visible": True},
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["detail"]
    missing = client.post(
        "/api/v1/learning/heartbeat",
        {"resource": 10**9, "position": 1, "playing": True, "visible": True},
        content_type="application/json",
    )
    assert missing.status_code == 404
    assert not StudySession.objects.exists() and not StudyProgress.objects.exists()


def test_a_draft_and_a_user_without_member_record_get_404(client, lib):
    employee = UserFactory(username="staff")
    login(client, employee)
    r = client.post(
        "/api/v1/learning/heartbeat",
        {"resource": lib.charter.pk, "position": 0, "playing": True, "visible": True},
        content_type="application/json",
    )
    assert r.status_code == 404
    assert not StudySession.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resource": 1, "position": -5, "playing": True, "visible": True}, "position"),
        ({"resource": 1, "position": "abc", "playing": True, "visible": True}, "position"),
        ({"resource": 1, "position": 3, "playing": "maybe", "visible": True}, "playing"),
        ({"resource": 1, "position": 3, "playing": True}, "visible"),
        ({"resource": "x", "position": 3, "playing": True, "visible": True}, "resource"),
    ],
)
def test_bad_heartbeat_names_the_field(client, lib, body, field):
    login(client, lib.member_a_user)
    r = client.post("/api/v1/learning/heartbeat", body, content_type="application/json")
    assert r.status_code == 400
    assert field in [e["field"] for e in r.json()["errors"]]
    assert not StudySession.objects.exists()


def test_unauthenticated_heartbeat_is_401(client, lib):
    r = client.post(
        "/api/v1/learning/heartbeat",
        {"resource": lib.video.pk, "position": 0, "playing": True, "visible": True},
        content_type="application/json",
    )
    assert r.status_code == 401


def test_study_time_becomes_one_fact_per_member_and_resource_per_run(lib):
    watch(lib, lib.video, 0, 60)
    other = make_member(lib.branch_a, name="王五")
    watch(lib, lib.video, 0, 30, member=other, offset=1000)
    assert not Fact.objects.filter(kind=FactKind.STUDY_SECONDS).exists()  # nothing per heartbeat
    assert studytime.study_time_flush() == 2
    facts = {f.member_id: f.quantity for f in Fact.objects.filter(kind=FactKind.STUDY_SECONDS)}
    assert facts == {lib.member_a.pk: 60, other.pk: 30}
    assert studytime.study_time_flush() == 0  # nothing new, nothing written
    beat(lib, lib.video, 2000, 60)
    beat(lib, lib.video, 2015, 75)
    assert studytime.study_time_flush() == 1
    assert Fact.objects.filter(kind=FactKind.STUDY_SECONDS, member_id=lib.member_a.pk).count() == 2


def test_an_accepted_heartbeat_is_two_statements(lib, django_assert_num_queries):
    beat(lib, lib.video, 0, 0)
    beat(lib, lib.video, 15, 15)
    with django_assert_num_queries(2 + 2):  # SAVEPOINT/RELEASE around the transaction in a test, plus two statements
        beat(lib, lib.video, 30, 30)
