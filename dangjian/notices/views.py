"""The notification inbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .selectors import inbox_for
from .services import notification_mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notices/inbox.html", {"page_obj": page, "querystring": ""})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    # No "id" at all means "mark all read"; ids that are not numbers mark nothing (never all by accident).
    raw = request.POST.getlist("id")
    ids = [int(i) for i in raw if i.isascii() and i.isdigit() and len(i) <= 18] if raw else None
    notification_mark_read(user=request.user, ids=ids)
    return redirect("notices:inbox")
