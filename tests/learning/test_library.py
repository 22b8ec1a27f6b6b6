"""The resource library: sanitised articles, uploads checked by content and size, review before publishing,
sharing down the tree and to the whole group, media with Range, screens with scope and bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.learning import services
from dangjian.learning.models import Resource
from dangjian.learning.selectors import resources_for_study

from ..conftest import login
from ..factories import grant
from .conftest import PDF, make_resource, mp4_bytes, pptx_bytes, publish, wav_bytes


def test_article_html_is_sanitised_on_save(cast):
    r = services.resource_save(
        acting_user=cast.secretary_a,
        org=cast.branch_a,
        kind="article",
        title="安全的正文",
        body='<p onclick="steal()">正文<script>alert(1)</script><a href="javascript:alert(2)">链接</a>'
        '<img src="x.png" onerror="y()"><style>p{}</style><iframe src="//evil"></iframe></p>',
    )
    assert "<script" not in r.body and "onclick" not in r.body and "javascript:" not in r.body
    assert "onerror" not in r.body and "<iframe" not in r.body and "<style" not in r.body
    assert "<p>正文" in r.body and 'src="x.png"' in r.body
    assert r.duration >= 60  # an estimated reading time


@pytest.mark.parametrize(
    ("kind", "name", "data", "content_type", "duration"),
    [
        ("video", "a.mp4", mp4_bytes(754), "video/mp4", 754),
        ("video", "a.webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 40, "video/webm", None),
        ("audio", "a.wav", wav_bytes(3.0), "audio/wav", 3),
        (
            "audio",
            "a.mp3",
            b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 100,
            "audio/mpeg",
            None,
        ),
        ("pdf", "a.pdf", PDF, "application/pdf", 120),
        (
            "slides",
            "a.pptx",
            pptx_bytes(4),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            240,
        ),
    ],
)
def test_uploads_are_recognised_by_content(cast, kind, name, data, content_type, duration):
    r = services.resource_save(
        acting_user=cast.secretary_a,
        org=cast.branch_a,
        kind=kind,
        title="文件",
        duration=duration or 300,
        upload=SimpleUploadedFile(name, data),
    )
    assert r.content_type == content_type and r.size == len(data)
    if duration:
        assert r.duration == duration
    assert r.file.path.startswith(str(r.file.storage.location))


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("video", b"MZ\x90\x00 this is a windows program, not a video" * 2),
        ("video", b"%PDF-1.4 not a video at all, but long enough"),
        ("pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
        ("slides", b"PK\x03\x04" + b"\x00" * 40),  # a zip, but not a presentation (and damaged)
        ("audio", b"\x00" * 8),  # too short to be anything
    ],
)
def test_corrupt_or_wrong_uploads_are_refused_and_nothing_is_written(cast, kind, data, private_media):
    with pytest.raises(DomainError) as exc:
        services.resource_save(
            acting_user=cast.secretary_a,
            org=cast.branch_a,
            kind=kind,
            title="坏文件",
            duration=60,
            upload=SimpleUploadedFile("x.bin", data),
        )
    assert exc.value.errors[0]["field"] == "file"
    assert not Resource.objects.exists()
    assert not private_media.exists() or not any(private_media.rglob("*.*"))


def test_oversized_upload_is_refused(cast, settings):
    settings.MAX_UPLOAD_MB = 1
    with pytest.raises(DomainError) as exc:
        services.resource_save(
            acting_user=cast.secretary_a,
            org=cast.branch_a,
            kind="video",
            title="太大",
            upload=SimpleUploadedFile("big.mp4", mp4_bytes(10) + b"\x00" * (1024 * 1024)),
        )
    assert exc.value.errors[0]["field"] == "file" and "1 MB" in exc.value.message
    assert not Resource.objects.exists()


def test_media_without_a_readable_length_needs_one(cast):
    with pytest.raises(DomainError) as exc:
        services.resource_save(
            acting_user=cast.secretary_a,
            org=cast.branch_a,
            kind="video",
            title="WebM",
            upload=SimpleUploadedFile("a.webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 40),
        )
    assert exc.value.errors[0]["field"] == "duration"


def test_review_flow_and_sharing_down_the_tree(cast):
    r = services.resource_save(
        acting_user=cast.secretary_a, org=cast.branch_a, kind="article", title="支部学习材料", body="<p>正文正文</p>"
    )
    assert not resources_for_study(cast.member_a_user).filter(pk=r.pk).exists()  # a draft
    services.shared_submit(item=r, acting_user=cast.secretary_a)
    with pytest.raises(DomainError):  # a secretary does not review
        services.shared_review(item=r, approve=True, acting_user=cast.secretary_a)
    with pytest.raises(DomainError) as exc:
        services.shared_review(item=r, approve=False, acting_user=cast.committee)
    assert exc.value.errors[0]["field"] == "note"
    services.shared_review(item=r, approve=True, acting_user=cast.committee)
    assert resources_for_study(cast.member_a_user).filter(pk=r.pk).exists()
    assert not resources_for_study(cast.secretary_b).filter(pk=r.pk).exists()  # another branch
    assert AuditEvent.objects.filter(action="learning.review", target_id=str(r.pk)).exists()


def test_group_wide_sharing_needs_the_group_committee(cast):
    company_admin = cast.outsider
    grant(company_admin, cast.company_a, "committee_admin")
    r = services.resource_save(
        acting_user=cast.secretary_a,
        org=cast.branch_a,
        kind="article",
        title="好课程",
        body="<p>正文</p>",
        group_wide=True,
    )
    services.shared_submit(item=r, acting_user=cast.secretary_a)
    with pytest.raises(DomainError) as exc:
        services.shared_review(item=r, approve=True, acting_user=company_admin)
    assert exc.value.errors[0]["field"] == "group_wide"
    services.shared_review(item=r, approve=True, acting_user=cast.committee)
    assert resources_for_study(cast.secretary_b).filter(pk=r.pk).exists()  # now in company B too


def test_the_author_does_not_review_their_own(cast):
    r = services.resource_save(
        acting_user=cast.committee, org=cast.group, kind="article", title="自审", body="<p>正文</p>"
    )
    services.shared_submit(item=r, acting_user=cast.committee)
    with pytest.raises(DomainError):
        services.shared_review(item=r, approve=True, acting_user=cast.committee)


def test_media_is_served_with_range_behind_scope(client, lib, cast):
    login(client, cast.member_a_user)
    whole = client.get(f"/learning/resources/{lib.video.pk}/media")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    part = client.get(f"/learning/resources/{lib.video.pk}/media", HTTP_RANGE="bytes=0-7")
    assert part.status_code == 206 and b"".join(part.streaming_content) == mp4_bytes(600)[:8]
    login(client, cast.secretary_b)
    assert client.get(f"/learning/resources/{lib.video.pk}/media").status_code == 404
    # The file is not under MEDIA_ROOT: the public /media/ view cannot serve it.
    assert client.get("/media/" + lib.video.file.name).status_code == 404


def test_library_lists_what_the_member_may_study_with_few_queries(client, lib, django_assert_max_num_queries):
    login(client, lib.member_a_user)
    with django_assert_max_num_queries(40) as first:
        page = client.get("/learning/")
    assert page.status_code == 200
    text = page.content.decode()
    assert lib.charter.title in text and lib.b_only.title not in text
    for i in range(15):
        make_resource(lib, title=f"更多学习材料{i}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/learning/?kind=article").status_code == 200


def test_library_bad_filter_is_400(client, lib):
    login(client, lib.member_a_user)
    r = client.get("/learning/", {"kind": "hologram", "dimension": "x"})
    assert r.status_code == 400 and "kind" in r.context["form"].errors


def test_resource_pages_of_another_branch_are_404(client, lib):
    login(client, lib.member_a_user)
    for url in ("", "media", "edit/"):
        assert client.get(f"/learning/resources/{lib.b_only.pk}/{url}").status_code == 404
    for action in ("submit", "withdraw", "approve"):
        assert client.post(f"/learning/resources/{lib.b_only.pk}/do/{action}/").status_code == 404
    lib.b_only.refresh_from_db()
    assert lib.b_only.status == "published"
    assert client.get(f"/api/v1/learning/resources/{lib.b_only.pk}").status_code == 404


def test_upload_through_the_form_checks_content(client, cast):
    login(client, cast.secretary_a)
    bad = client.post(
        "/learning/resources/new/",
        {
            "org": cast.branch_a.pk,
            "kind": "video",
            "title": "视频",
            "file": SimpleUploadedFile("v.mp4", b"MZ" + b"\x00" * 100),
        },
    )
    assert bad.status_code == 400 and "file" in bad.context["form"].errors
    assert not Resource.objects.exists()
    missing = client.post("/learning/resources/new/", {"org": cast.branch_a.pk, "kind": "article", "title": ""})
    assert missing.status_code == 400 and "title" in missing.context["form"].errors
    other = client.post(
        "/learning/resources/new/", {"org": cast.branch_b.pk, "kind": "article", "title": "x", "body": "<p>x</p>"}
    )
    assert other.status_code == 400 and "org" in other.context["form"].errors
    ok = client.post(
        "/learning/resources/new/",
        {
            "org": cast.branch_a.pk,
            "kind": "video",
            "title": "视频",
            "target_roles": ["member"],
            "file": SimpleUploadedFile("v.mp4", mp4_bytes(90)),
        },
    )
    assert ok.status_code == 302
    assert Resource.objects.get().duration == 90


def test_member_cannot_open_the_authoring_screens(client, lib):
    login(client, lib.member_a_user)
    assert client.get("/learning/resources/new/").status_code == 404
    assert client.get("/learning/review/").status_code == 404
    assert client.get("/learning/maps/").status_code == 404


def test_reviewer_publishes_through_the_screen_and_a_refusal_is_400(client, cast):
    r = services.resource_save(
        acting_user=cast.secretary_a, org=cast.branch_a, kind="article", title="待审", body="<p>正文</p>"
    )
    services.shared_submit(item=r, acting_user=cast.secretary_a)
    login(client, cast.committee)
    queue = client.get("/learning/review/")
    assert queue.status_code == 200 and "待审" in queue.content.decode()
    refused = client.post(f"/learning/resources/{r.pk}/do/reject/", {"note": ""})
    assert refused.status_code == 400
    r.refresh_from_db()
    assert r.status == "pending"
    assert client.post(f"/learning/resources/{r.pk}/do/approve/").status_code == 302
    r.refresh_from_db()
    assert r.status == "published"


def test_api_resource_list_and_bad_input(client, lib, django_assert_max_num_queries):
    login(client, lib.member_a_user)
    with django_assert_max_num_queries(12):
        data = client.get("/api/v1/learning/resources").json()
    assert {i["title"] for i in data["items"]} >= {lib.charter.title, lib.video.title}
    assert lib.b_only.title not in {i["title"] for i in data["items"]}
    bad = client.get("/api/v1/learning/resources", {"kind": "hologram", "page_size": 1000})
    assert bad.status_code == 400 and {"kind", "page_size"} <= {e["field"] for e in bad.json()["errors"]}


def test_publish_helper_is_reviewed_by_someone_else(lib):
    r = make_resource(lib, title="委员会资料")
    assert r.reviewed_by_id != r.created_by_id and publish
