"""Fixtures of learning: byte fixtures with the right magic, published resources of the group, branch A and branch B."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.learning import services
from dangjian.learning.models import Resource


def mp4_bytes(seconds: int = 600, timescale: int = 1000) -> bytes:
    """A minimal MP4: ftyp, then moov with an mvhd that says how long it is (no playable media)."""
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41")
    mvhd_body = (
        b"\x00\x00\x00\x00"
        + struct.pack(">III", 0, 0, timescale)
        + struct.pack(">I", seconds * timescale)
        + b"\x00" * 80
    )
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    mdat = struct.pack(">I4s", 16, b"mdat") + b"\x00" * 8
    return ftyp + mdat + moov


def wav_bytes(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A real, playable mono 8-bit PCM WAV of silence-ish noise."""
    n = int(seconds * rate)
    data = bytes((128 + (i % 16) - 8) for i in range(n))
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + n)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", n)
        + data
    )


def pptx_bytes(slides: int = 3) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("ppt/presentation.xml", "<p:presentation/>")
        for i in range(1, slides + 1):
            z.writestr(f"ppt/slides/slide{i}.xml", "<p:sld/>")
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n2 0 obj << /Type /Pages >> endobj\n3 0 obj << /Type /Page >> endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.LEARNING_MEDIA_ROOT = tmp_path / "private"
    return settings.LEARNING_MEDIA_ROOT


def publish(item, cast):
    services.shared_submit(item=item, acting_user=item.created_by)
    return services.shared_review(
        item=item, approve=True, acting_user=cast.committee if item.created_by != cast.committee else cast.sysadmin
    )


@pytest.fixture
def lib(cast):
    """A 10-minute video and an article of the group, one article each of branch A and branch B, all published."""
    video = services.resource_save(
        acting_user=cast.secretary_a,
        org=cast.branch_a,
        kind="video",
        title="二十大精神专题辅导",
        upload=SimpleUploadedFile("lesson.mp4", mp4_bytes(600)),
        summary="学习贯彻党的二十大精神",
        transcript="中国式现代化是党的二十大提出的重大理论。",
        dimension="political",
        target_roles=["member"],
    )
    cast.video = publish(video, cast)
    cast.charter = publish(
        services.resource_save(
            acting_user=cast.committee,
            org=cast.group,
            kind="article",
            title="学习党章：党员的义务",
            body="<p>党章是党的根本大法。</p><p>每名党员都要学党章、守党章。</p>",
            dimension="political",
            tags="党章,义务",
            target_roles=["member"],
        ),
        cast,
    )
    cast.secretary_guide = publish(
        services.resource_save(
            acting_user=cast.committee,
            org=cast.group,
            kind="article",
            title="支部书记履职指南：三会一课",
            body="<p>三会一课是党的组织生活的基本制度，支部书记是第一责任人。</p>",
            dimension="skill",
            target_roles=["secretary"],
        ),
        cast,
    )
    cast.python = publish(
        services.resource_save(
            acting_user=cast.secretary_a,
            org=cast.branch_a,
            kind="article",
            title="Python 数据分析入门",
            body="<p>学习 Python 要从实际业务场景出发，pandas 是常用工具。</p>",
            dimension="skill",
        ),
        cast,
    )
    cast.b_only = publish(
        services.resource_save(
            acting_user=cast.secretary_b,
            org=cast.branch_b,
            kind="article",
            title="乙支部党章学习材料（内部）",
            body="<p>乙公司第一党支部学习党章的内部材料。</p>",
            dimension="political",
        ),
        cast,
    )
    return cast


def make_resource(cast, org=None, title="学习材料", user=None, **kw) -> Resource:
    kw.setdefault("kind", "article")
    kw.setdefault("body", "<p>" + title + "的正文内容。</p>")
    r = services.resource_save(acting_user=user or cast.committee, org=org or cast.group, title=title, **kw)
    return publish(r, cast)
