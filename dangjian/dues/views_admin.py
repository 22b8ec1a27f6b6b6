"""Branch and committee screens for dues: payroll bases, declarations, reductions, reconciliation, reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, members_visible_to, orgs_visible_to
from dangjian.core.tabular import XLSX_CONTENT_TYPE
from dangjian.orgs.models import Member, Org

from . import imports, reconcile, reports, services
from .models import DuesBase, DuesBill, DuesMonthClose, DuesReduction, StatementImport, StatementLine
from .periods import month_start, parse_period
from .rules import CATEGORIES, parse_money


def _manageable_org(request: HttpRequest, key: str = "org") -> tuple[list[Org], Org]:
    orgs = list(orgs_visible_to(request.user, "members.manage").exclude(kind=Org.Kind.GROUP).order_by("path")[:500])
    if not orgs:
        raise Http404
    raw = request.POST.get(key) or request.GET.get(key) or ""
    org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=int(raw)) if raw.isdigit() else orgs[0]
    return orgs, org


def _errors_to_messages(request: HttpRequest, exc: DomainError) -> list[dict[str, object]]:
    messages.error(request, exc.message)
    return exc.errors


@login_required
def bases(request: HttpRequest) -> HttpResponse:
    """Import payroll bases for a year; confirm members' own declarations."""
    orgs, org = _manageable_org(request)
    year = int(request.POST.get("year") or request.GET.get("year") or timezone.localdate().year)
    row_errors: list[dict[str, object]] = []
    status = 200
    if request.method == "POST":
        try:
            result = imports.bases_import(upload=request.FILES.get("file"), year=year, acting_user=request.user)
        except DomainError as exc:
            row_errors = _errors_to_messages(request, exc)
            status = 400
        else:
            messages.success(
                request, _("%(c)d bases created, %(u)d updated.") % {"c": result["created"], "u": result["updated"]}
            )
            return redirect(f"{request.path}?org={org.pk}&year={year}")
    pending = (
        DuesBase.objects.filter(
            member__in=members_visible_to(request.user, "members.manage").filter(org_path__startswith=org.path),
            state=DuesBase.State.PENDING,
        )
        .select_related("member")
        .order_by("member__name")[:200]
    )
    return render(
        request,
        "dues/bases.html",
        {"orgs": orgs, "org": org, "year": year, "pending": pending, "row_errors": row_errors},
        status=status,
    )


@login_required
def bases_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(imports.base_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="dues-bases-template.xlsx"'
    return response


@login_required
@require_POST
def base_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    base = get_or_404(
        DuesBase.objects.filter(member__in=members_visible_to(request.user, "members.manage")).select_related(
            "member__org"
        ),
        pk=pk,
    )
    try:
        services.base_confirm(base=base, acting_user=request.user)
        messages.success(request, _("Confirmed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("dues:bases")


class DeclareForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=list(CATEGORIES.items()))
    base = forms.CharField(
        label=gettext_lazy("Monthly base (yuan)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    from_month = forms.IntegerField(label=gettext_lazy("From month"), min_value=1, max_value=12, initial=1)


@login_required
def declare(request: HttpRequest) -> HttpResponse:
    """A member declares their monthly base; the branch confirms it."""
    member = Member.objects.filter(user_id=request.user.pk or 0).select_related("org").first()
    if member is None:
        raise Http404
    form = DeclareForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                base = parse_money(
                    form.cleaned_data["base"],
                    "base",
                    allow_none=form.cleaned_data["category"] not in ("in_service", "self_employed", "retired"),
                )
                services.base_declare(
                    member=member,
                    year=timezone.localdate().year,
                    from_month=form.cleaned_data["from_month"],
                    category=form.cleaned_data["category"],
                    base_amount=base,
                    acting_user=request.user,
                )
            except DomainError as exc:
                form.add_error("base", exc.message)
            else:
                messages.success(request, _("Declared: your branch will confirm it."))
                return redirect("dues:mine")
        status = 400
    return render(request, "dues/declare.html", {"form": form}, status=status)


class ReductionForm(forms.Form):
    member = forms.CharField(label=gettext_lazy("Employee number"), max_length=32)
    first_month = forms.CharField(label=gettext_lazy("First month (YYYY-MM)"), max_length=7)
    last_month = forms.CharField(label=gettext_lazy("Last month (YYYY-MM)"), max_length=7)
    monthly_amount = forms.DecimalField(
        label=gettext_lazy("Reduced monthly amount (0 = exempt)"),
        min_value=Decimal("0"),
        decimal_places=2,
        initial=Decimal("0"),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    decided_on = forms.DateField(
        label=gettext_lazy("Branch decision date"), widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
def reductions(request: HttpRequest) -> HttpResponse:
    """Branch decisions to reduce or exempt, and the next level's approvals."""
    orgs, org = _manageable_org(request)
    form = ReductionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            member = (
                members_visible_to(request.user, "members.manage")
                .filter(employee_no=form.cleaned_data["member"])
                .select_related("org")
                .first()
            )
            first, last = parse_period(form.cleaned_data["first_month"]), parse_period(form.cleaned_data["last_month"])
            if member is None:
                form.add_error("member", _("No member with this employee number in your organisations."))
            elif first is None or last is None:
                form.add_error("first_month" if first is None else "last_month", _("Use YYYY-MM."))
            else:
                try:
                    services.reduction_propose(
                        member=member,
                        first_month=first,
                        last_month=last,
                        monthly_amount=form.cleaned_data["monthly_amount"],
                        reason=form.cleaned_data["reason"],
                        decided_on=form.cleaned_data["decided_on"],
                        acting_user=request.user,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Recorded: waiting for the next level's approval."))
                    return redirect(f"{request.path}?org={org.pk}")
        status = 400
    items = (
        DuesReduction.objects.filter(member__org_path__startswith=org.path)
        .select_related("member", "member__org", "branch_decided_by", "approved_by")
        .order_by("state", "-first_month")[:200]
    )
    approvable = {o.path for o in orgs_visible_to(request.user, "orgs.manage")}
    return render(
        request,
        "dues/reductions.html",
        {"orgs": orgs, "org": org, "form": form, "items": items, "can_approve_paths": approvable},
        status=status,
    )


@login_required
@require_POST
def reduction_decide(request: HttpRequest, pk: int) -> HttpResponse:
    reduction = get_or_404(
        DuesReduction.objects.filter(member__in=members_visible_to(request.user)).select_related("member__org"), pk=pk
    )
    try:
        services.reduction_decide(
            reduction=reduction, approve=request.POST.get("approve") == "1", acting_user=request.user
        )
        messages.success(request, _("Decision recorded."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("dues:reductions")


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    orgs, org = _manageable_org(request)
    status = 200
    row_errors: list[dict[str, object]] = []
    if request.method == "POST":
        try:
            stmt = reconcile.statement_import(upload=request.FILES.get("file"), org=org, acting_user=request.user)
        except DomainError as exc:
            row_errors = _errors_to_messages(request, exc)
            status = 400
        else:
            counts = {s: stmt.lines.filter(status=s).count() for s in StatementLine.Status.values}
            messages.success(
                request,
                _("Statement read: %(m)d matched, %(u)d to resolve, %(d)d duplicates.")
                % {"m": counts["matched"], "u": counts["unmatched"], "d": counts["duplicate"]},
            )
            return redirect(f"{request.path}?org={org.pk}")
    lines = (
        StatementLine.objects.filter(org_path__startswith=org.path)
        .select_related("member", "payment", "statement")
        .order_by("status", "-statement__created_at", "row")[:300]
    )
    return render(
        request,
        "dues/reconciliation.html",
        {
            "orgs": orgs,
            "org": org,
            "lines": lines,
            "row_errors": row_errors,
            "statements": StatementImport.objects.filter(org_path__startswith=org.path)[:10],
        },
        status=status,
    )


@login_required
@require_POST
def line_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    paths = [o.path for o in orgs_visible_to(request.user, "members.manage")]
    line = get_or_404(StatementLine.objects.filter(org_path__in=paths).select_related("statement"), pk=pk)
    try:
        if request.POST.get("ignore"):
            reconcile.statement_line_resolve(
                line=line, acting_user=request.user, ignore_reason=request.POST.get("ignore", "")[:200]
            )
        else:
            member = (
                members_visible_to(request.user, "members.manage")
                .filter(employee_no=request.POST.get("member", "").strip())
                .first()
            )
            if member is None:
                raise DomainError(_("No member with this employee number in your organisations."))
            ids = [int(i) for i in request.POST.get("months", "").replace("，", ",").split(",") if i.strip().isdigit()]
            periods = [
                parse_period(p.strip())
                for p in request.POST.get("periods", "").replace("，", ",").split(",")
                if p.strip()
            ]
            bills = list(
                DuesBill.objects.filter(member=member, status=DuesBill.Status.UNPAID).filter(pk__in=ids)
            ) + list(
                DuesBill.objects.filter(
                    member=member, status=DuesBill.Status.UNPAID, period__in=[p for p in periods if p]
                )
            )
            reconcile.statement_line_resolve(line=line, acting_user=request.user, member=member, bills=bills)
        messages.success(request, _("Line resolved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("dues:reconciliation")


@login_required
def report(request: HttpRequest) -> HttpResponse:
    orgs = list(orgs_visible_to(request.user, "members.view").exclude(kind=Org.Kind.GROUP).order_by("path")[:500])
    if not orgs:
        raise Http404
    raw = request.GET.get("org", "")
    org = get_or_404(orgs_visible_to(request.user, "members.view"), pk=int(raw)) if raw.isdigit() else orgs[0]
    year_only = request.GET.get("scope") == "year"
    period = parse_period(request.GET.get("period", "")) or month_start(timezone.localdate())
    first, last = (dt.date(period.year, 1, 1), dt.date(period.year, 12, 1)) if year_only else (period, period)
    rows = reports.totals_by_child(org=org, first=first, last=last)
    if request.GET.get("format") == "xlsx":
        title = f"{org.name[:20]} {period:%Y}" if year_only else f"{org.name[:20]} {period:%Y-%m}"
        response = HttpResponse(reports.totals_xlsx(rows, title), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="dues-{period:%Y%m}.xlsx"'
        return response
    closed = DuesMonthClose.objects.filter(org=org, period=period).first()
    return render(
        request,
        "dues/report.html",
        {
            "orgs": orgs,
            "org": org,
            "period": period,
            "rows": rows,
            "year_only": year_only,
            "closed": closed,
            "querystring": request.GET.urlencode(),
        },
    )


@login_required
@require_POST
def close_month(request: HttpRequest) -> HttpResponse:
    org = get_or_404(orgs_visible_to(request.user, "orgs.manage"), pk=int(request.POST.get("org", "0") or 0))
    period = parse_period(request.POST.get("period", ""))
    if period is None or period >= month_start(timezone.localdate()):
        messages.error(request, _("Only a past month can be closed."))
    else:
        try:
            reports.month_close(org=org, period=period, acting_user=request.user)
            messages.success(request, _("Month closed and its totals recorded in the ledger."))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect(f"/dues/reports/?org={org.pk}&period={(period or month_start(timezone.localdate())):%Y-%m}")
