"""The analysis of an exam (PC screen) and its Excel export: distribution, pass rate by org, item statistics,
knowledge-point mastery per branch and per member."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dangjian.core.scoping import get_or_404, has_org_perm, is_global_admin, scope_paths
from dangjian.core.tabular import XLSX_CONTENT_TYPE

from . import analysis
from .models import Exam, QuestionType
from .selectors import exams_visible_to


def _scope(request: HttpRequest, pk: int) -> tuple[Exam, list[str] | None]:
    """The exam and the org subtrees whose attempts the caller may analyse (None: all of them)."""
    exam = get_or_404(exams_visible_to(request.user).select_related("org", "paper"), pk=pk)
    if has_org_perm(request.user, exam.org, "members.view"):
        return exam, None
    paths = scope_paths(request.user, "members.view")
    if not paths and not is_global_admin(request.user):
        raise Http404
    return exam, paths


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.1f}"


@login_required
def exam_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    exam, paths = _scope(request, pk)
    stats = analysis.exam_statistics(exam, paths)
    orgs = analysis.pass_rate_by_org(exam, paths)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(analysis_xlsx(exam, stats, orgs, paths), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="exam-{exam.pk}-analysis.xlsx"'
        return response
    kp_rows = analysis.mastery(exam, by="org", paths=paths)
    kps = sorted({r["kp"] for r in kp_rows})
    grid: dict[str, dict[str, Any]] = {}
    for r in kp_rows:
        grid.setdefault(r["group"], {})[r["kp"]] = r["mastery"]
    peak = max((c for _label, c in stats.distribution), default=0) or 1
    bars = [{"label": label, "count": c, "width": round(100 * c / peak)} for label, c in stats.distribution]
    weakest = sorted(
        (r for r in analysis.mastery(exam, by="all", paths=paths) if r["mastery"] is not None),
        key=lambda r: r["mastery"],
    )[:5]
    return render(
        request,
        "exams/analysis.html",
        {
            "exam": exam,
            "stats": stats,
            "orgs": orgs,
            "bars": bars,
            "kps": kps,
            "kp_grid": [{"org": org, "cells": [row.get(k) for k in kps]} for org, row in sorted(grid.items())],
            "weakest": weakest,
            "partial_scope": paths is not None,
        },
    )


def analysis_xlsx(exam: Exam, stats: analysis.ExamStats, orgs: list[analysis.OrgRow], paths: list[str] | None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Summary"))
    for label, value in [
        (_("Exam"), exam.title),
        (_("Attempts counted"), stats.n),
        (_("Maximum score"), stats.max_score),
        (_("Mean"), stats.mean),
        (_("Median"), stats.median),
        (_("Standard deviation"), stats.sd),
        (_("Skewness"), stats.skewness),
        (_("Kurtosis"), stats.kurtosis),
        (_("Pass rate %"), stats.pass_rate),
        (_("Coefficient of internal consistency %"), stats.cic),
        (_("Error ratio %"), stats.error_ratio),
        (_("Standard error"), stats.standard_error),
    ]:
        ws.append([label, value])
    ws.append([])
    ws.append([_("Score band"), _("Members")])
    for label, c in stats.distribution:
        ws.append([label, c])
    ws = wb.create_sheet(_("Questions"))
    ws.append(
        [
            _("Question"),
            _("Version"),
            _("Type"),
            _("Question text"),
            _("Attempts"),
            _("Facility %"),
            _("Standard deviation"),
            _("Discrimination index %"),
            _("Discriminative efficiency %"),
        ]
    )
    for i in stats.items:
        ws.append(
            [
                i.question_id,
                i.version_number,
                str(QuestionType(i.type).label) if i.type else "",
                i.stem[:200],
                i.s,
                i.facility,
                i.sd,
                i.discrimination,
                i.efficiency,
            ]
        )
    ws = wb.create_sheet(_("Organisations"))
    ws.append(
        [
            _("Organisation"),
            _("Audience"),
            _("Attempted"),
            _("Passed"),
            _("Pass rate %"),
            _("Participation %"),
            _("Mean score %"),
        ]
    )
    for o in orgs:
        ws.append([o.name, o.audience, o.attempted, o.passed, o.pass_rate, o.participation, o.mean_percent])
    for by, title, head in (
        ("org", _("Mastery by branch"), _("Organisation")),
        ("member", _("Mastery by member"), _("Member")),
    ):
        ws = wb.create_sheet(title)
        ws.append([head, _("Knowledge point"), _("Questions answered"), _("Mastery %")])
        for r in analysis.mastery(exam, by=by, paths=paths):
            ws.append([r["group"], r["kp"], r["n"], r["mastery"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
