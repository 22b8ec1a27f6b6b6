"""The role-aware workbench and the auditor's screen."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from dangjian.notices.selectors import inbox_for

from .audit import audit
from .models import AuditEvent
from .workbench import collect


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    section = collect(request.user)
    notices = list(inbox_for(request.user).filter(read_at__isnull=True)[:5])
    return render(request, "core/workbench.html", {"section": section, "notices": notices})


def _can_read_audit(user: object) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "admin_role", "") == "auditor")


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Audit events filtered by person, action and date; for the audit administrator (审计管理员)."""
    if not _can_read_audit(request.user):
        raise Http404
    qs = AuditEvent.objects.all()
    person = request.GET.get("person", "").strip()
    action = request.GET.get("action", "").strip()
    outcome = request.GET.get("outcome", "").strip()
    date_from = parse_date(request.GET.get("from", "") or "") if _valid_date(request.GET.get("from")) else None
    date_to = parse_date(request.GET.get("to", "") or "") if _valid_date(request.GET.get("to")) else None
    if person:
        qs = qs.filter(actor_name__icontains=person)
    if action:
        qs = qs.filter(action__startswith=action)
    if outcome in AuditEvent.Outcome.values:
        qs = qs.filter(outcome=outcome)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    if request.GET.get("page") in (None, "1"):
        audit(request.user, "audit.view", after={"person": person, "action": action, "from": str(date_from or ""), "to": str(date_to or "")})
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()[:200]
    return render(request, "core/audit_list.html", {
        "page_obj": page, "querystring": querystring.urlencode(), "person": person, "action": action, "outcome": outcome,
        "date_from": request.GET.get("from", ""), "date_to": request.GET.get("to", ""), "actions": list(actions),
        "outcomes": AuditEvent.Outcome.choices,
    })


def _valid_date(value: str | None) -> bool:
    if not value:
        return False
    try:
        return parse_date(value) is not None
    except ValueError:
        return False


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the load balancer: the database answers."""
    AuditEvent.objects.exists()
    return HttpResponse("ok", content_type="text/plain")

