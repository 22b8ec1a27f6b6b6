"""Serving uploaded media with HTTP Range support, so a phone can seek in a video."""

from __future__ import annotations

import mimetypes
import os
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils._os import safe_join

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def _file_iter(path: Path, start: int, length: int):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            data = fh.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def ranged_file_response(request: HttpRequest, path: Path, content_type: str | None = None) -> HttpResponseBase:
    """A file answer that honours a single ``Range: bytes=a-b`` header (206), else the whole file (200)."""
    size = path.stat().st_size
    content_type = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    header = request.headers.get("Range", "").strip()
    match = RANGE_RE.match(header) if header else None
    response: HttpResponseBase
    if match and (match.group(1) or match.group(2)):
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:  # suffix range: the last N bytes
            start = max(size - int(last), 0)
            end = size - 1
        if start >= size or start > end:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        length = end - start + 1
        response = StreamingHttpResponse(_file_iter(path, start, length), status=206, content_type=content_type)
        response["Content-Length"] = str(length)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(path.open("rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def serve_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Media for logged-in users; in production nginx serves /media/ directly (docs/deployment.md)."""
    try:
        full = Path(safe_join(os.fspath(settings.MEDIA_ROOT), path))
    except Exception:
        raise Http404 from None
    if not full.is_file():
        raise Http404
    return ranged_file_response(request, full)
