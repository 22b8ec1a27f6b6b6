"""Web screens: the calculator, my dues (phone), the branch's month and recording a payment, receipts."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, members_visible_to, orgs_visible_to, scope_paths
from dangjian.orgs.models import Member, Org

from . import services
from .models import DuesBill, DuesPayment
from .periods import month_start, parse_period
from .rules import CATEGORIES, parse_money
from .selectors import bills_visible_to, month_totals, payments_visible_to


class CalculatorForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=list(CATEGORIES.items()))
    income = forms.CharField(
        label=gettext_lazy("Monthly base (yuan)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=gettext_lazy("After-tax monthly pay; pension for retirees. Not needed for fixed categories."),
    )


@login_required
def calculator(request: HttpRequest) -> HttpResponse:
    form = CalculatorForm(request.GET or None)
    result = None
    status = 200
    if request.GET and form.is_valid():
        category = form.cleaned_data["category"]
        try:
            base = parse_money(
                form.cleaned_data["income"],
                "income",
                allow_none=category in ("farmer", "student", "unemployed", "relief"),
            )
            result, _rs = services.dues_quote(category=category, base=base)
        except DomainError as exc:
            form.add_error("income", exc.message)
            status = 400
    elif request.GET:
        status = 400
    return render(request, "dues/calculator.html", {"form": form, "result": result}, status=status)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    member = Member.objects.filter(user_id=request.user.pk or 0).first()
    if member is None:
        raise Http404
    bills = DuesBill.objects.filter(member=member).select_related("payment").order_by("-period")[:24]
    unpaid = [b for b in bills if b.status == DuesBill.Status.UNPAID]
    payments = DuesPayment.objects.filter(member=member).order_by("-paid_on", "-id")[:12]
    return render(
        request,
        "dues/mine.html",
        {
            "member": member,
            "bills": bills,
            "unpaid_total": sum((b.amount for b in unpaid), Decimal("0.00")),
            "unpaid": unpaid,
            "payments": payments,
            "base": member.dues_bases.filter(state="confirmed").order_by("-year", "-from_month").first(),
        },
    )


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_or_404(payments_visible_to(request.user).select_related("member", "org", "recorded_by"), pk=pk)
    bills = payment.bills.order_by("period")
    return render(request, "dues/receipt.html", {"payment": payment, "bills": bills})


def _branch_orgs(request: HttpRequest) -> tuple[list[Org], Org]:
    orgs = list(orgs_visible_to(request.user, "members.manage").exclude(kind=Org.Kind.GROUP).order_by("path")[:500])
    if not orgs:
        raise Http404
    org_id = request.GET.get("org", "")
    org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=int(org_id)) if org_id.isdigit() else orgs[0]
    return orgs, org


@login_required
def branch(request: HttpRequest) -> HttpResponse:
    """A branch's (or committee's) month: totals, every bill, arrears; record payments from here."""
    orgs, org = _branch_orgs(request)
    period = parse_period(request.GET.get("period", "")) or month_start(timezone.localdate())
    bills = (
        bills_visible_to(request.user)
        .filter(org_path__startswith=org.path, period=period)
        .select_related("member", "payment")
        .order_by("status", "member__name")
    )
    page = Paginator(bills, 100).get_page(request.GET.get("page"))
    arrears = services.arrears_counts(as_of=timezone.localdate(), org_path=org.path)[:50]
    names = dict(Member.objects.filter(pk__in=[r["member_id"] for r in arrears]).values_list("pk", "name"))
    for r in arrears:
        r["name"] = names.get(r["member_id"], "")
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "dues/branch.html",
        {
            "orgs": orgs,
            "org": org,
            "period": period,
            "page_obj": page,
            "totals": month_totals(org_path=org.path, period=period),
            "arrears": arrears,
            "missing_base": services.members_missing_base(period=period, org_path=org.path),
            "querystring": querystring.urlencode(),
            "methods": DuesPayment.Method.choices,
        },
    )


@login_required
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    """Record a payment for one member's selected months (the branch's consent box covers several months)."""
    member_id = request.POST.get("member", "")
    if not member_id.isdigit():
        raise Http404
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org"), pk=int(member_id))
    ids = [int(i) for i in request.POST.getlist("bill") if i.isdigit()]
    bills = list(DuesBill.objects.filter(pk__in=ids, member=member))
    back = request.POST.get("next") or "dues:branch"
    try:
        paid_on = (
            timezone.localdate()
            if not request.POST.get("paid_on")
            else forms.DateField().clean(request.POST["paid_on"])
        )
        voluntary = parse_money(request.POST.get("voluntary_amount") or "0", "voluntary_amount") or Decimal("0.00")
        payment = services.payment_record(
            member=member,
            bills=bills,
            method=request.POST.get("method", ""),
            paid_on=paid_on,
            acting_user=request.user,
            external_ref=request.POST.get("external_ref", ""),
            voluntary_amount=voluntary,
            branch_consent=request.POST.get("branch_consent") == "on",
            paid_by_other=request.POST.get("paid_by_other", ""),
        )
    except (DomainError, forms.ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(back if back.startswith("/") else "dues:branch")
    messages.success(request, _("Payment recorded, receipt %(r)s.") % {"r": payment.receipt_no})
    return redirect(back if back.startswith("/") else "dues:branch")


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    """Create this month's bills for the chosen org now (the nightly job does the same for everyone)."""
    org_id = request.POST.get("org", "")
    if not org_id.isdigit() or (not scope_paths(request.user, "members.manage") and not request.user.is_superuser):
        raise Http404
    org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=int(org_id))
    period = parse_period(request.POST.get("period", "")) or month_start(timezone.localdate())
    if period > month_start(timezone.localdate()):
        messages.error(request, _("Bills cannot be created for a future month."))
    else:
        n = services.bills_generate(period=period, org_path=org.path)
        messages.success(request, _("%(n)d bills created.") % {"n": n})
    return redirect(f"/dues/branch/?org={org.pk}&period={period:%Y-%m}")
