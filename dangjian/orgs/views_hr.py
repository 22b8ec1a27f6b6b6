"""HR screens: import with preview and progress, roster export, statistics."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.models import BackgroundJob
from dangjian.core.scoping import get_or_404, orgs_visible_to
from dangjian.core.tabular import XLSX_CONTENT_TYPE

from . import import_jobs
from .imports import template_xlsx


def _require_manager(request: HttpRequest) -> None:
    if not orgs_visible_to(request.user, "members.manage").exists():
        raise Http404


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to upload."))
        else:
            job = import_jobs.job_start(upload=upload, acting_user=request.user)
            return redirect("orgs:import_job", pk=job.pk)
    jobs = BackgroundJob.objects.filter(kind=import_jobs.KIND, created_by_id=request.user.pk)[:10]
    return render(request, "orgs/import_start.html", {"jobs": jobs}, status=400 if request.method == "POST" else 200)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="member-import-template.xlsx"'
    return response


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's state; polled by HTMX while it runs."""
    job = get_or_404(BackgroundJob.objects.filter(kind=import_jobs.KIND, created_by_id=request.user.pk), pk=pk)
    template = "orgs/_import_job.html" if request.headers.get("HX-Request") else "orgs/import_job.html"
    return render(request, template, {"job": job})


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_or_404(BackgroundJob.objects.filter(kind=import_jobs.KIND, created_by_id=request.user.pk), pk=pk)
    try:
        import_jobs.job_confirm(job=job, acting_user=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("orgs:import_job", pk=job.pk)


@login_required
def statistics_view(request: HttpRequest) -> HttpResponse:
    """Counts by status, gender, age band, education and Party age for the scope (or one org), charts and Excel."""
    from dangjian.core.scoping import members_visible_to
    from dangjian.core.tabular import write_xlsx

    from .stats import statistics

    orgs = orgs_visible_to(request.user, "members.view")
    if not orgs.exists():
        raise Http404
    raw = request.GET.get("org", "")
    org = get_or_404(orgs, pk=int(raw)) if raw.isdigit() else None
    qs = members_visible_to(request.user)
    if org is not None:
        qs = qs.filter(org_path__startswith=org.path)
    breakdowns = statistics(qs)
    if request.GET.get("format") == "xlsx":
        rows = [[b.title, label, n] for b in breakdowns for label, n in b.rows]
        response = HttpResponse(
            write_xlsx([_("Dimension"), _("Category"), _("Members")], rows, title=str(_("Statistics"))),
            content_type=XLSX_CONTENT_TYPE,
        )
        response["Content-Disposition"] = 'attachment; filename="member-statistics.xlsx"'
        return response
    charts = [
        {"title": b.title, "labels": [label for label, _n in b.rows], "values": [n for _label, n in b.rows]}
        for b in breakdowns
    ]
    return render(
        request,
        "orgs/statistics.html",
        {
            "org": org,
            "breakdowns": breakdowns,
            "charts": charts,
            "orgs": orgs.exclude(kind="group").order_by("path")[:300],
        },
    )
