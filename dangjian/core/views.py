"""The role-aware workbench and the auditor's screen."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from dangjian.notices.selectors import inbox_for

from .audit import audit
from .models import AuditEvent
from .scoping import can_read_audit
from .workbench import collect


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    section = collect(request.user)
    notices = list(inbox_for(request.user).filter(read_at__isnull=True)[:5])
    return render(request, "core/workbench.html", {"section": section, "notices": notices})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Audit events filtered by person, action, outcome and date; for the audit administrator (审计管理员)."""
    if not can_read_audit(request.user):
        raise Http404
    qs = AuditEvent.objects.all()
    person = request.GET.get("person", "").strip()[:150]
    action = request.GET.get("action", "").strip()[:64]
    outcome = request.GET.get("outcome", "").strip()
    date_from = _parse_day(request.GET.get("from"))
    date_to = _parse_day(request.GET.get("to"))
    if person:
        qs = qs.filter(Q(actor_name__icontains=person) | Q(actor__name__icontains=person))
    if action:
        qs = qs.filter(action__startswith=action)
    if outcome in AuditEvent.Outcome.values:
        qs = qs.filter(outcome=outcome)
    # Whole local days as a range on the indexed column (a __date lookup cannot use the index).
    if date_from:
        qs = qs.filter(created_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    if request.GET.get("page") in (None, "1"):
        # Logged before the page is read, so the count and the rows shown agree.
        audit(
            request.user,
            "audit.view",
            after={
                "person": person,
                "action": action,
                "outcome": outcome,
                "from": str(date_from or ""),
                "to": str(date_to or ""),
            },
        )
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()[:200]
    return render(
        request,
        "core/audit_list.html",
        {
            "page_obj": page,
            "querystring": querystring.urlencode(),
            "person": person,
            "action": action,
            "outcome": outcome,
            "date_from": request.GET.get("from", ""),
            "date_to": request.GET.get("to", ""),
            "actions": list(actions),
            "outcomes": AuditEvent.Outcome.choices,
        },
    )


def _parse_day(value: str | None) -> dt.date | None:
    """A YYYY-MM-DD filter value, or None when empty, malformed or outside what a timestamp can hold."""
    if not value:
        return None
    try:
        day = parse_date(value.strip())
    except ValueError:
        return None
    if day is None or not (1900 <= day.year <= 9000):
        return None
    return day


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the load balancer: the database answers."""
    AuditEvent.objects.exists()
    return HttpResponse("ok", content_type="text/plain")
