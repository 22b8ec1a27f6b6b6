"""Roster export to Excel: the requester's scope, sensitive values masked, the export audited."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import crypto
from dangjian.core.audit import audit
from dangjian.core.tabular import XLSX_CONTENT_TYPE, write_xlsx

from .models import Member

MAX_EXPORT_ROWS = 200_000


def roster_rows(qs: QuerySet[Member]) -> Any:
    for m in (
        qs.select_related("org")
        .only(
            "employee_no",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number",
            "phone",
            "education",
            "department",
            "job_title",
            "org__name",
            "status",
            "application_date",
            "probationary_date",
            "full_date",
            "is_mobile",
        )
        .iterator(chunk_size=2000)
    ):
        yield [
            m.employee_no or "",
            m.name,
            m.get_gender_display(),
            m.ethnicity,
            m.birth_date,
            crypto.mask(m.id_number, "id_number"),
            crypto.mask(m.phone, "phone"),
            m.get_education_display(),
            m.department,
            m.job_title,
            m.org.name,
            m.get_status_display(),
            m.application_date,
            m.probationary_date,
            m.full_date,
            _("Yes") if m.is_mobile else "",
        ]


def roster_response(request: HttpRequest, qs: QuerySet[Member]) -> HttpResponse:
    count = qs.count()
    headers = [
        _("Employee number"),
        _("Name"),
        _("Gender"),
        _("Ethnicity"),
        _("Birth date"),
        _("ID number"),
        _("Phone"),
        _("Education"),
        _("Department"),
        _("Post"),
        _("Branch"),
        _("Party status"),
        _("Application date"),
        _("Admission date"),
        _("Full membership date"),
        _("Mobile member"),
    ]
    data = write_xlsx([str(h) for h in headers], roster_rows(qs[:MAX_EXPORT_ROWS]), title=str(_("Roster")))
    audit(
        request.user,
        "member.export",
        None,
        after={"rows": min(count, MAX_EXPORT_ROWS), "query": request.GET.urlencode()},
    )
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="roster-{timezone.localdate():%Y%m%d}.xlsx"'
    return response
