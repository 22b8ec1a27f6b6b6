"""Checking an uploaded learning file by its content (magic bytes) and size, and probing its length cheaply."""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError

from .models import Resource

EBML = b"\x1a\x45\xdf\xa3"
AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ")


@dataclass
class Sniffed:
    content_type: str
    duration: int = 0  # seconds, 0 when it cannot be told cheaply


def _err(message: str) -> DomainError:
    return DomainError(message, [{"field": "file", "message": message}])


def max_bytes() -> int:
    return int(settings.MAX_UPLOAD_MB) * 1024 * 1024


def _read(fh: IO[bytes], offset: int, n: int) -> bytes:
    fh.seek(offset)
    return fh.read(n)


def _mp4_duration(fh: IO[bytes], size: int) -> int:
    """Seconds from the movie header box (moov/mvhd), walking the top-level boxes by seeking."""
    offset = 0
    for _box in range(64):
        if offset + 8 > size:
            return 0
        head = _read(fh, offset, 16)
        length, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if length == 1 and len(head) >= 16:
            length, header = struct.unpack(">Q", head[8:16])[0], 16
        elif length == 0:
            length = size - offset
        if length < header:
            return 0
        if kind == b"moov":
            inner, end = offset + header, offset + length
            while inner + 8 <= end:
                ih = _read(fh, inner, 8)
                ilen, ikind = struct.unpack(">I4s", ih)
                if ilen < 8:
                    return 0
                if ikind == b"mvhd":
                    body = _read(fh, inner + 8, 32)
                    if body[:1] == b"\x01":
                        scale, dur = struct.unpack(">IQ", body[20:32])
                    else:
                        scale, dur = struct.unpack(">II", body[12:20])
                    return round(dur / scale) if scale else 0
                inner += ilen
            return 0
        offset += length
    return 0


_MP3_BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0]


def _mp3_duration(fh: IO[bytes], size: int) -> int:
    """Seconds for a constant-bit-rate MPEG-1 Layer III file, from the first frame header (0 otherwise)."""
    start = 0
    head = _read(fh, 0, 10)
    if head[:3] == b"ID3" and len(head) == 10:
        start = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
    frame = _read(fh, start, 4)
    if len(frame) < 4 or frame[0] != 0xFF or (frame[1] & 0xFE) != 0xFA:  # MPEG-1, Layer III
        return 0
    kbps = _MP3_BITRATES[frame[2] >> 4]
    return round((size - start) * 8 / (kbps * 1000)) if kbps else 0


def _wav_duration(fh: IO[bytes], size: int) -> int:
    """Seconds of a RIFF/WAVE file: the data chunk's size over the fmt chunk's byte rate."""
    offset, rate = 12, 0
    while offset + 8 <= size:
        kind, length = struct.unpack("<4sI", _read(fh, offset, 8))
        if kind == b"fmt ":
            rate = struct.unpack("<I", _read(fh, offset + 16, 4))[0]
        elif kind == b"data":
            return round(min(length, size - offset - 8) / rate) if rate else 0
        offset += 8 + length + (length & 1)
    return 0


def _pdf_pages(fh: IO[bytes], size: int) -> int:
    data = _read(fh, 0, min(size, 20 * 1024 * 1024))
    return max(
        data.count(b"/Type /Page") - data.count(b"/Type /Pages"), data.count(b"/Type/Page") - data.count(b"/Type/Pages")
    )


def sniff(upload: Any, kind: str) -> Sniffed:
    """What the file really is, refusing anything that is not the resource kind's format or is too large."""
    if upload is None:
        raise _err(_("Choose a file."))
    size = int(getattr(upload, "size", 0) or 0)
    if size > max_bytes():
        raise _err(_("The file is larger than %(mb)d MB.") % {"mb": settings.MAX_UPLOAD_MB})
    if size < 16:
        raise _err(_("The file is empty or damaged."))
    fh = upload.file if hasattr(upload, "file") else upload
    try:
        head = _read(fh, 0, 16)
        result = _sniff(fh, head, size, kind)
    finally:
        fh.seek(0)
    if result is None:
        formats = {
            "video": _("a video (MP4 or WebM)"),
            "audio": _("audio (MP3, M4A, WAV or WebM)"),
            "pdf": _("a PDF document"),
            "slides": _("slides (PPTX or PDF)"),
        }
        expected = formats.get(str(kind), _("no file for an article"))
        raise _err(_("This file is not %(what)s, or it is damaged.") % {"what": expected})
    return result


def _sniff(fh: IO[bytes], head: bytes, size: int, kind: str) -> Sniffed | None:
    is_mp4 = head[4:8] == b"ftyp"
    if kind == Resource.Kind.VIDEO:
        if is_mp4 and head[8:12] not in AUDIO_BRANDS:
            return Sniffed("video/mp4", _mp4_duration(fh, size))
        if head.startswith(EBML):
            return Sniffed("video/webm")
    elif kind == Resource.Kind.AUDIO:
        if head.startswith(b"ID3") or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
            return Sniffed("audio/mpeg", _mp3_duration(fh, size))
        if is_mp4:
            return Sniffed("audio/mp4", _mp4_duration(fh, size))
        if head.startswith(EBML):
            return Sniffed("audio/webm")
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return Sniffed("audio/wav", _wav_duration(fh, size))
    elif kind == Resource.Kind.PDF or (kind == Resource.Kind.SLIDES and head.startswith(b"%PDF-")):
        if head.startswith(b"%PDF-"):
            return Sniffed("application/pdf", 120 * max(_pdf_pages(fh, size), 1))  # about 2 minutes a page
    elif kind == Resource.Kind.SLIDES and head.startswith(b"PK\x03\x04"):
        try:
            fh.seek(0)
            with zipfile.ZipFile(fh if fh.seekable() else io.BytesIO(fh.read())) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "ppt/presentation.xml" not in names:
            return None
        slides = sum(1 for n in names if n.startswith("ppt/slides/slide") and n.endswith(".xml"))
        return Sniffed("application/vnd.openxmlformats-officedocument.presentationml.presentation", 60 * max(slides, 1))
    return None


def reading_seconds(text: str) -> int:
    """Estimated reading time of an article: about 400 Chinese characters a minute, at least a minute."""
    return max(60, round(len(text.strip()) * 60 / 400))
