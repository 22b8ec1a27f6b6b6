"""Excel/CSV import and export helpers: content checks, streaming reads, row-numbered errors.

Imports are all-or-nothing: a caller validates every row first (collecting `RowError`s), writes nothing
if any row is bad, and reports every bad row by its row number in the file (the header is row 1).
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError

MAX_IMPORT_BYTES = 20 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
BAD_MAGIC = (b"MZ", b"\x7fELF", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0")


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class ImportRejected(DomainError):
    """The whole file is refused; ``errors`` lists every bad row."""

    def __init__(self, errors: list[RowError] | list[dict[str, Any]], message: str | None = None) -> None:
        rows = [e.as_dict() if isinstance(e, RowError) else e for e in errors]
        n = len({r.get("row") for r in rows})
        super().__init__(message or _("Nothing was imported: %(n)d rows have errors.") % {"n": n}, rows)


def _file_error(message: str) -> DomainError:
    return DomainError(message, [{"row": 0, "field": "file", "message": message}])


def sniff_kind(head: bytes, filename: str = "") -> str:
    """'xlsx' or 'csv' judged by content (never by name alone); raise for anything else."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if any(head.startswith(m) for m in BAD_MAGIC) or b"\x00" in head[:4096]:
        raise _file_error(_("The file is not an Excel (.xlsx) or CSV file."))
    return "csv"


def open_upload(upload: Any, *, max_bytes: int | None = None) -> tuple[str, IO[bytes]]:
    """Check an uploaded file's size and content; return its kind and a binary stream at position 0."""
    limit: int = max_bytes if max_bytes is not None else int(getattr(settings, "MAX_IMPORT_BYTES", MAX_IMPORT_BYTES))
    if upload is None:
        raise _file_error(_("Choose a file to upload."))
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    if size == 0:
        raise _file_error(_("The file is empty."))
    stream = upload.file if hasattr(upload, "file") else upload
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    kind = sniff_kind(head, getattr(upload, "name", ""))
    if kind == "xlsx":
        try:
            with zipfile.ZipFile(stream) as zf:
                if "[Content_Types].xml" not in zf.namelist():
                    raise _file_error(_("The file is not an Excel (.xlsx) file."))
        except zipfile.BadZipFile:
            raise _file_error(_("The Excel file is damaged.")) from None
        stream.seek(0)
    return kind, stream


def _decode_csv(stream: IO[bytes]) -> io.TextIOBase:
    head = stream.read(65536)
    stream.seek(0)
    for encoding in ("utf-8-sig", "gb18030"):
        # The sample may end inside a multi-byte character: a decode error in its last 3 bytes is no verdict.
        if any(_decodes(head[: len(head) - cut], encoding) for cut in range(4 if len(head) == 65536 else 1)):
            return io.TextIOWrapper(stream, encoding=encoding, newline="")
    raise _file_error(_("The CSV file is not in UTF-8 or GBK encoding."))


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().replace("\u3000", " ").strip()
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def iter_rows(kind: str, stream: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) for every non-empty row, streaming (openpyxl read-only / csv reader)."""
    if kind == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(stream, read_only=True, data_only=True)
        except Exception:
            raise _file_error(_("The Excel file could not be read.")) from None
        try:
            ws = wb.worksheets[0]
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_clean(c) for c in row]
                if any(c not in (None, "") for c in cells):
                    yield number, cells
        finally:
            wb.close()
    else:
        text = _decode_csv(stream)
        try:
            for number, row in enumerate(csv.reader(text), start=1):
                cells = [_clean(c) for c in row]
                if any(c not in (None, "") for c in cells):
                    yield number, cells
        except (csv.Error, UnicodeDecodeError):
            raise _file_error(_("The CSV file could not be read.")) from None
        finally:
            with contextlib.suppress(ValueError):  # the upload may already be closed when a generator is dropped
                text.detach()


def read_table(
    kind: str, stream: IO[bytes], columns: dict[str, str], required: Iterable[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows as dicts keyed by field name. ``columns`` maps header text (Chinese or English) → field.

    The first non-empty row is the header; a missing required column rejects the file at once.
    """
    rows = iter_rows(kind, stream)
    try:
        header_no, header = next(rows)
    except StopIteration:
        raise _file_error(_("The file has no rows.")) from None
    lookup = {k.strip().lower(): v for k, v in columns.items()}
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        field = lookup.get(str(cell or "").strip().lower())
        if field and field not in index:
            index[field] = i
    missing = [f for f in required if f not in index]
    if missing:
        names = {v: k for k, v in columns.items()}
        raise DomainError(
            _("The file lacks the columns: %(c)s. Download the template.")
            % {"c": ", ".join(names.get(f, f) for f in missing)},
            [{"row": header_no, "field": f, "message": _("Missing column")} for f in missing],
        )
    for number, cells in rows:
        yield number, {f: (cells[i] if i < len(cells) else None) for f, i in index.items()}


def write_xlsx(headers: list[str], rows: Iterable[Iterable[Any]], *, title: str = "Sheet1") -> bytes:
    """A workbook with one sheet, written in streaming (write-only) mode."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append(headers)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
