"""Web screens: the org tree, an org's page, the member list, a member record, create and edit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core import crypto
from dangjian.core.errors import DomainError
from dangjian.core.errors import form_add_domain_error as _apply_domain_error
from dangjian.core.pagination import CappedPaginator
from dangjian.core.scoping import get_or_404, has_org_perm, members_visible_to, orgs_visible_to

from . import selectors, services
from .forms import MemberCreateForm, MemberForm, OrgForm, StatusChangeForm
from .models import Member, MemberStatus, Org, OrgPost

PAGE_SIZE = 50


OPEN_LEVELS = 2  # the tree opens its top two levels; deeper branches unfold on demand


def _tree_layout(rows: list[Org]) -> list[Org]:
    """Mark path-ordered rows for a nested ``<details>`` tree: whether a row has visible children, and how
    many open levels close after it. Visible rows need not be contiguous (roles in unrelated subtrees)."""
    stack: list[Org] = []
    for i, o in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        o.tree_level = len(stack)  # type: ignore[attr-defined]
        o.tree_open = len(stack) < OPEN_LEVELS  # type: ignore[attr-defined]
        o.tree_has_children = nxt is not None and nxt.path.startswith(o.path)  # type: ignore[attr-defined]
        if o.tree_has_children:  # type: ignore[attr-defined]
            stack.append(o)
        closes = 0
        while stack and (nxt is None or not nxt.path.startswith(stack[-1].path)):
            stack.pop()
            closes += 1
        o.tree_closes = range(closes)  # type: ignore[attr-defined]
    return rows


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    rows = selectors.org_tree_rows(request.user, max_depth=None)
    if not rows:
        raise Http404
    warnings = selectors.branch_warnings(orgs_visible_to(request.user))
    warn_ids = {w.org.pk for w in warnings}
    return render(
        request, "orgs/tree.html", {"rows": _tree_layout(rows), "warn_ids": warn_ids, "warning_count": len(warnings)}
    )


@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_or_404(orgs_visible_to(request.user), pk=pk)
    children = list(selectors.org_children(request.user, org))
    warnings = selectors.branch_warnings(Org.objects.filter(pk=org.pk))
    rank = {value: i for i, value in enumerate(OrgPost.Post.values)}  # secretary first, then deputy, then members
    posts = sorted(
        org.posts.filter(ended_on__isnull=True).select_related("member"), key=lambda p: (rank.get(p.post, 99), p.pk)
    )
    counts = dict.fromkeys(MemberStatus.values, 0)
    from django.db.models import Count

    for row in (
        members_visible_to(request.user).filter(org_path__startswith=org.path).values("status").annotate(n=Count("id"))
    ):
        counts[row["status"]] = row["n"]
    ancestors = list(org.get_ancestors().filter(pk__in=orgs_visible_to(request.user).values("pk")))
    return render(
        request,
        "orgs/org_detail.html",
        {
            "org": org,
            "children": children,
            "warnings": warnings,
            "posts": posts,
            "ancestors": ancestors,
            "status_counts": [(MemberStatus(s).label, n, s) for s, n in counts.items() if n],
            "can_manage": has_org_perm(request.user, org, "orgs.manage"),
        },
    )


@login_required
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_or_404(orgs_visible_to(request.user, "orgs.manage"), pk=pk)
    form = OrgForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in services.ORG_EDITABLE if f in form.cleaned_data}
        try:
            services.org_update(org=Org.objects.get(pk=org.pk), acting_user=request.user, **changes)
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:org_detail", pk=org.pk)
    return render(
        request, "orgs/org_form.html", {"form": form, "org": org}, status=400 if request.method == "POST" else 200
    )


def _list_filters(params: Any) -> dict[str, Any]:
    """The member-list filters from a query string; unknown values are ignored, never an error."""
    from .stats import AGE_BANDS

    status = params.get("status", "")
    year = params.get("join_year", "")
    return {
        "q": params.get("q", "").strip()[:64],
        "status": status if status in MemberStatus.values else "",
        "gender": params.get("gender", "") if params.get("gender", "") in Member.Gender.values else "",
        "age": params.get("age", "") if params.get("age", "") in {b[0] for b in AGE_BANDS} else "",
        "education": params.get("education", "") if params.get("education", "") in Member.Education.values else "",
        "join_year": int(year) if year.isdigit() and 1921 <= int(year) <= 2100 else None,
    }


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    from .stats import AGE_BANDS

    filters = _list_filters(request.GET)
    org = None
    org_id = request.GET.get("org", "")
    if org_id.isdigit():
        org = get_or_404(orgs_visible_to(request.user), pk=int(org_id))
    qs = selectors.member_list(request.user, org=org, **filters)
    if request.GET.get("format") == "xlsx":
        from .export import roster_response

        return roster_response(request, qs)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "orgs/member_list.html",
        {
            "page_obj": page,
            "org": org,
            "statuses": MemberStatus.choices,
            "genders": Member.Gender.choices,
            "educations": Member.Education.choices,
            "ages": [(k, label) for k, label, *_r in AGE_BANDS],
            **filters,
            "querystring": querystring.urlencode(),
            "can_create": bool(orgs_visible_to(request.user, "members.manage").exists()),
        },
    )


def _masked(member: Member) -> dict[str, str]:
    return {
        "id_number": crypto.mask(member.id_number, "id_number"),
        "phone": crypto.mask(member.phone, "phone"),
        "address": crypto.mask(member.address, "address"),
    }


def _member_detail_response(
    request: HttpRequest, member: Member, status_form: StatusChangeForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "orgs/member_detail.html",
        {
            "member": member,
            "masked": _masked(member),
            "status_changes": member.status_changes.select_related("recorded_by").order_by("-effective_on", "-id"),
            # The primary branch first, then current extra memberships, then ended ones (newest first).
            "memberships": sorted(
                member.memberships.select_related("org"),
                key=lambda ms: (ms.ended_on is not None, ms.kind != ms.Kind.PRIMARY, -ms.started_on.toordinal()),
            ),
            "rewards": member.rewards.all(),
            "posts": member.posts.select_related("org").filter(ended_on__isnull=True),
            "can_manage": has_org_perm(request.user, member.org, "members.manage"),
            "can_reveal": services.member_may_reveal(member=member, user=request.user),
            "status_form": status_form or StatusChangeForm(member=member),
        },
        status=status,
    )


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_or_404(members_visible_to(request.user).select_related("org", "user"), pk=pk)
    return _member_detail_response(request, member)


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    member = Member.objects.filter(user_id=request.user.pk or 0).first()
    if member is None:
        raise Http404
    return member_detail(request, member.pk)


@login_required
@require_POST
def member_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """HTMX: swap a masked value for the clear one (audited)."""
    member = get_or_404(members_visible_to(request.user).select_related("org"), pk=pk)
    try:
        value = services.member_reveal(member=member, field=field, acting_user=request.user)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status)
    return render(request, "orgs/_revealed.html", {"value": value})


@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org"), pk=pk)
    form = MemberForm(request.POST or None, instance=Member.objects.get(pk=member.pk))
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            if changes:
                services.member_update(member=member, acting_user=request.user, **changes)
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:member_detail", pk=member.pk)
    return render(
        request,
        "orgs/member_form.html",
        {"form": form, "member": member},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def member_create(request: HttpRequest) -> HttpResponse:
    orgs = orgs_visible_to(request.user, "members.manage")
    if not orgs.exists():
        raise Http404
    form = MemberCreateForm(request.POST or None, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in MemberForm.Meta.fields}
        try:
            member = services.member_create(
                org=form.cleaned_data["org"], status=form.cleaned_data["status"], acting_user=request.user, **data
            )
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Member record created."))
            return redirect("orgs:member_detail", pk=member.pk)
    return render(
        request,
        "orgs/member_form.html",
        {"form": form, "member": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def member_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the Party status from the record page; a refused change re-renders the page with 400."""
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org", "user"), pk=pk)
    form = StatusChangeForm(request.POST, member=member)
    if form.is_valid():
        try:
            services.member_change_status(member=member, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("orgs:member_detail", pk=member.pk)
    return _member_detail_response(request, member, status_form=form, status=400)
