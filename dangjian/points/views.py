"""Points screens: my points and where they came from (phone), the branch leaderboard, rules and the person-board switch."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.analytics.models import FactKind
from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, has_org_perm, orgs_visible_to, user_has_any_org_role
from dangjian.orgs.models import Org

from . import selectors, services
from .models import PointsEntry


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    this = timezone.localdate().year
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= this + 1 else this


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    year = _year(request)
    since, until = selectors.year_bounds(year)
    history = Paginator(selectors.member_history(member), 30).get_page(request.GET.get("page"))
    for e in history:
        e.label = selectors.kind_label(e.kind)  # type: ignore[attr-defined]
    return render(
        request,
        "points/mine.html",
        {
            "member": member,
            "year": year,
            "total": selectors.member_total(member),
            "year_total": selectors.member_total(member, since=since, until=until),
            "by_kind": selectors.member_by_kind(member, since=since, until=until),
            "page_obj": history,
            "querystring": f"year={year}",
            "rules": selectors.rules(),
        },
    )


@login_required
def entry_facts(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX partial: the facts behind one of my entries."""
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    entry = get_or_404(PointsEntry.objects.filter(member=member), pk=pk)
    return render(request, "points/_facts.html", {"entry": entry, "facts": selectors.entry_facts(entry)})


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Branches ranked by points per member. A member compares their branch with its sister branches; an organiser
    chooses any org they govern. Persons are listed only where an administrator turned that on."""
    member = getattr(request.user, "member", None)
    governed = (
        list(orgs_visible_to(request.user, "members.view").exclude(kind=Org.Kind.GROUP).order_by("path")[:500])
        if user_has_any_org_role(request.user)  # type: ignore[arg-type]
        else []
    )
    raw = request.GET.get("org", "")
    if raw.isdigit() and governed:
        root = get_or_404(orgs_visible_to(request.user, "members.view"), pk=int(raw))
    elif governed:
        root = governed[0]
    elif member is not None:
        root = selectors.board_root_for_member(member)
    else:
        raise Http404
    year = _year(request)
    since, until = selectors.year_bounds(year)
    branches = selectors.branch_board(root, since=since, until=until)
    persons_org = None
    if governed and has_org_perm(request.user, root, "members.view"):
        persons_org = root
    elif member is not None and selectors.persons_shown(Org.objects.get(pk=member.org_id)):
        persons_org = Org.objects.get(pk=member.org_id)
    persons = selectors.person_board(persons_org, since=since, until=until) if persons_org is not None else None
    shown_to_members = selectors.persons_shown(root)
    return render(
        request,
        "points/board.html",
        {
            "root": root,
            "orgs": governed,
            "year": year,
            "branches": branches,
            "persons": persons,
            "persons_org": persons_org,
            "my_org_id": member.org_id if member else None,
            "shown_to_members": shown_to_members,
            "can_toggle": has_org_perm(request.user, root, "members.manage"),
        },
    )


@login_required
@require_POST
def board_persons(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("org", "")
    if not raw.isdigit():
        raise Http404
    org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=int(raw))
    services.board_set_persons(org=org, show=request.POST.get("show") == "1", acting_user=request.user)
    messages.success(request, _("Saved."))
    return redirect(f"/points/board/?org={org.pk}")


def _decimal(raw: str, field: str, *, allow_empty: bool = False) -> Decimal | None:
    raw = (raw or "").strip()
    if not raw and allow_empty:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise DomainError(_("Enter a number."), [{"field": field, "message": _("Enter a number.")}]) from None


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    if not services.can_edit_rules(request.user):
        raise Http404
    status = 200
    if request.method == "POST":
        try:
            services.rule_save(
                kind=request.POST.get("kind", "").strip(),
                name=request.POST.get("name", ""),
                points_per_unit=_decimal(request.POST.get("points_per_unit", ""), "points_per_unit") or Decimal(0),
                unit_size=_decimal(request.POST.get("unit_size", "") or "1", "unit_size") or Decimal(0),
                daily_cap=_decimal(request.POST.get("daily_cap", ""), "daily_cap", allow_empty=True),
                is_active=request.POST.get("is_active") == "on",
                acting_user=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, _("Rule saved; it applies to facts converted from now on."))
            return redirect("points:rules")
    kinds = [(k, selectors.kind_label(k)) for k in FactKind.values]
    return render(request, "points/rules.html", {"rules": selectors.rules(), "kinds": kinds}, status=status)
