"""Uploaded media served with HTTP Range support (video seeking on phones)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import login

CONTENT = bytes(range(100))


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    (root / "learning").mkdir(parents=True)
    (root / "learning" / "lesson.mp4").write_bytes(CONTENT)
    (tmp_path / "secret.txt").write_text("not for you")
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def member_client(client, cast, media):
    return login(client, cast.member_a_user)


def _body(response) -> bytes:
    # Reading to the end closes the file (the test client wraps the stream like a WSGI server would).
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_serves_the_first_ten_bytes(member_client):
    response = member_client.get("/media/learning/lesson.mp4", headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 0-9/100"
    assert response["Content-Length"] == "10"
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == CONTENT[:10]


def test_it_serves_a_middle_range_and_an_open_ended_one(member_client):
    response = member_client.get("/media/learning/lesson.mp4", headers={"Range": "bytes=40-49"})
    assert (response["Content-Range"], _body(response)) == ("bytes 40-49/100", CONTENT[40:50])
    response = member_client.get("/media/learning/lesson.mp4", headers={"Range": "bytes=95-"})
    assert (response["Content-Range"], _body(response)) == ("bytes 95-99/100", CONTENT[95:])


def test_it_serves_a_suffix_range(member_client):
    response = member_client.get("/media/learning/lesson.mp4", headers={"Range": "bytes=-10"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 90-99/100"
    assert _body(response) == CONTENT[90:]


def test_an_end_past_the_file_is_clipped(member_client):
    response = member_client.get("/media/learning/lesson.mp4", headers={"Range": "bytes=90-500"})
    assert (response.status_code, response["Content-Range"]) == (206, "bytes 90-99/100")
    assert _body(response) == CONTENT[90:]


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(member_client, header):
    response = member_client.get("/media/learning/lesson.mp4", headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */100"


def test_without_range_it_serves_the_whole_file(member_client):
    response = member_client.get("/media/learning/lesson.mp4")
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert _body(response) == CONTENT


def test_a_malformed_range_is_ignored(member_client):
    response = member_client.get("/media/learning/lesson.mp4", headers={"Range": "pages=1-2"})
    assert response.status_code == 200
    assert _body(response) == CONTENT


def test_it_requires_login(client, media):
    response = client.get("/media/learning/lesson.mp4")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/learning/../../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media//etc/passwd",
        "/media/learning/",
        "/media/learning/missing.mp4",
    ],
)
def test_it_answers_404_outside_the_media_folder_or_for_no_file(member_client, path):
    assert member_client.get(path).status_code == 404
