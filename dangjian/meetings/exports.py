"""Word (.docx) minutes and the meeting record book (会议记录本), Excel compliance summaries."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from dangjian.core.tabular import write_xlsx

from .compliance import BranchRow, summary_rows, type_label
from .models import Attendance, Meeting, MeetingType


def _meeting_section(doc: Any, meeting: Meeting) -> None:
    title = doc.add_heading(f"{meeting.get_type_display()}：{meeting.topic}", level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    local = timezone.localtime(meeting.starts_at)
    attendances = list(meeting.attendances.select_related("member").order_by("member__name"))
    present = [a.member.name for a in attendances if a.status == Attendance.Status.PRESENT]
    away = [
        f"{a.member.name}（{a.get_status_display()}{'：' + a.reason if a.reason else ''}）"
        for a in attendances
        if a.status in (Attendance.Status.LEAVE, Attendance.Status.ABSENT, Attendance.Status.LEAVE_REQUESTED)
    ]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    rows = [
        (_("Organisation"), meeting.org.name),
        (_("Time"), local.strftime("%Y-%m-%d %H:%M")),
        (_("Place"), meeting.place or meeting.online_link or "—"),
        (_("Host"), meeting.host.name if meeting.host else "—"),
        (_("Recorder"), meeting.recorder.name if meeting.recorder else "—"),
        (_("Should attend"), str(len(attendances))),
        (_("Present"), f"{len(present)}：{'、'.join(present)}"),
        (_("Absent or on leave"), "、".join(away) or "—"),
    ]
    if meeting.type == MeetingType.LECTURE and meeting.lecturer:
        rows.insert(3, (_("Lecturer"), meeting.lecturer.name))
    for k, v in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(k), v
    doc.add_heading(str(_("Agenda")), level=2)
    doc.add_paragraph(meeting.agenda or "—")
    doc.add_heading(str(_("Minutes")), level=2)
    for para in (meeting.minutes or "—").splitlines() or ["—"]:
        doc.add_paragraph(para)
    motions = list(meeting.motions.all())
    if motions:
        doc.add_heading(str(_("Votes")), level=2)
        for m in motions:
            result = _("passed") if m.passed else _("not passed")
            doc.add_paragraph(
                f"{m.title}：{_('yes')} {m.yes}，{_('no')} {m.no}，{_('abstain')} {m.abstain}（{_('should attend')} {m.should_attend}，{_('present')} {m.present}）— {result}"
            )
    if meeting.decisions:
        doc.add_heading(str(_("Decisions")), level=2)
        doc.add_paragraph(meeting.decisions)


def _document() -> Any:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    style.font.name = "宋体"
    return doc


def minutes_docx(meeting: Meeting) -> bytes:
    doc = _document()
    _meeting_section(doc, meeting)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def record_book_docx(meetings: Iterable[Meeting], title: str) -> bytes:
    doc = _document()
    heading = doc.add_heading(title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, meeting in enumerate(meetings):
        if i:
            doc.add_page_break()
        _meeting_section(doc, meeting)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def compliance_xlsx(grid: list[BranchRow], title: str) -> bytes:
    from .models import MeetingType as MT

    headers = [str(_("Branch")), *[type_label(t) for t in MT.values], str(_("State"))]
    return write_xlsx(headers, summary_rows(grid), title=title)


DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
