"""Web screens for member development: the pipeline board, a person's timeline of the 25 steps with the form
for the next one, probation extension, stopping a case, evidence files."""

from __future__ import annotations

from typing import Any, cast

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
from dangjian.core.scoping import get_or_404, has_org_perm, members_visible_to, orgs_visible_to, user_has_any_org_role

from . import development
from .forms import DateInput
from .forms_work import member_ref_field
from .models import Member, MemberStatus, Org
from .models_development import STAGES, STEPS, DevelopmentCase, DevelopmentContact, DevelopmentStep
from .selectors_work import case_row, cases_visible_to, has_applicants_without_case, pipeline_rows, pipeline_summary
from .views import _apply_domain_error

PAGE_SIZE = 50


class StartForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Member.objects.none(), label=gettext_lazy("Applicant"))
    application_date = forms.DateField(label=gettext_lazy("Application date"), widget=DateInput())
    notes = forms.CharField(label=gettext_lazy("Notes"), max_length=2000, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        applicants = members_visible_to(user, "members.manage").filter(
            status=MemberStatus.APPLICANT, development_case__isnull=True
        )
        self.fields["member"] = member_ref_field(applicants.order_by("name", "id"), label=_("Applicant"))
        self.order_fields(["member", "application_date", "notes"])


class StepForm(forms.Form):
    """The next step. Only the inputs the step needs are shown; the service checks the rules."""

    done_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput(), required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )
    mentor_ids = forms.ModelMultipleChoiceField(
        queryset=Member.objects.none(), label=gettext_lazy("Two mentors"), required=False
    )
    sponsor_ids = forms.ModelMultipleChoiceField(
        queryset=Member.objects.none(), label=gettext_lazy("Two sponsors"), required=False
    )
    class_hours = forms.IntegerField(label=gettext_lazy("Class hours"), min_value=0, max_value=2000, required=False)
    training_days = forms.IntegerField(label=gettext_lazy("Training days"), min_value=0, max_value=365, required=False)
    meeting = forms.ModelChoiceField(
        queryset=Member.objects.none(), label=gettext_lazy("General meeting (recorded in Meetings)"), required=False
    )
    present = forms.IntegerField(
        label=gettext_lazy("Voting members present"), min_value=0, max_value=100000, required=False
    )
    yes = forms.IntegerField(label=gettext_lazy("Yes"), min_value=0, max_value=100000, required=False)
    no = forms.IntegerField(label=gettext_lazy("No"), min_value=0, max_value=100000, required=False)
    abstain = forms.IntegerField(label=gettext_lazy("Abstain"), min_value=0, max_value=100000, required=False)
    approver_org = forms.ModelChoiceField(
        queryset=Org.objects.none(), label=gettext_lazy("Approving Party committee"), required=False
    )
    notice_from = forms.DateField(label=gettext_lazy("Public notice from"), widget=DateInput(), required=False)
    notice_to = forms.DateField(label=gettext_lazy("Public notice to"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, case: DevelopmentCase, **kwargs: Any) -> None:
        from dangjian.meetings.models import Meeting, MeetingType

        super().__init__(*args, **kwargs)
        member = case.member
        branch = development._branch_path(member)
        full = (
            Member.objects.filter(org_path__startswith=branch, status=MemberStatus.FULL)
            .exclude(pk=member.pk)
            .order_by("name", "id")
        )
        cast(forms.ModelMultipleChoiceField, self.fields["mentor_ids"]).queryset = full
        cast(forms.ModelMultipleChoiceField, self.fields["sponsor_ids"]).queryset = full
        cast(forms.ModelChoiceField, self.fields["meeting"]).queryset = Meeting.objects.filter(
            org_path=branch, type=MeetingType.GENERAL, status=Meeting.Status.HELD
        ).order_by("-starts_at")
        cast(forms.ModelChoiceField, self.fields["approver_org"]).queryset = member.org.get_ancestors().filter(
            kind=Org.Kind.COMMITTEE
        )
        self.fields["done_on"].initial = timezone.localdate


class ExtendForm(forms.Form):
    months = forms.IntegerField(label=gettext_lazy("Months"), min_value=1, max_value=36)
    decided_on = forms.DateField(label=gettext_lazy("Decided on"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


def _require_board(request: HttpRequest) -> None:
    if not request.user.is_authenticated or not user_has_any_org_role(request.user):
        raise Http404


@login_required
def pipeline(request: HttpRequest, start_form: StartForm | None = None, status: int = 200) -> HttpResponse:
    """The board: people per stage and step with due and overdue counts, then the most urgent cases."""
    _require_board(request)
    today = timezone.localdate()
    cases = cases_visible_to(request.user)
    org = None
    org_id = request.GET.get("org", "")
    if org_id.isdigit():
        org = get_or_404(orgs_visible_to(request.user), pk=int(org_id))
        cases = cases.filter(member__org_path__startswith=org.path)
    stage = int(request.GET["stage"]) if request.GET.get("stage", "") in {"1", "2", "3", "4", "5"} else None
    overdue = request.GET.get("overdue") == "1"
    columns = pipeline_summary(cases, today=today)
    page = Paginator(pipeline_rows(cases, today=today, stage=stage, overdue=overdue), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    querystring = request.GET.copy()
    querystring.pop("page", None)
    can_start = orgs_visible_to(request.user, "members.manage").exists()
    return render(
        request,
        "orgs/development_board.html",
        {
            "columns": columns,
            "rows": [case_row(c, today) for c in page],
            "page_obj": page,
            "org": org,
            "stage": stage,
            "overdue": overdue,
            "querystring": querystring.urlencode(),
            "today": today,
            "totals": {
                "people": sum(c.people for c in columns),
                "overdue": sum(c.overdue for c in columns),
                "soon": sum(c.due_soon for c in columns),
            },
            "start_form": start_form or (StartForm(user=request.user) if can_start else None),
            "has_applicants": can_start and has_applicants_without_case(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def case_start(request: HttpRequest) -> HttpResponse:
    _require_board(request)
    form = StartForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            case = development.development_start(
                member=form.cleaned_data["member"],
                application_date=form.cleaned_data["application_date"],
                notes=form.cleaned_data.get("notes", ""),
                acting_user=request.user,
            )
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Development case opened."))
            return redirect("orgs:development_case", pk=case.pk)
    return pipeline(request, start_form=form, status=400)


def _timeline(case: DevelopmentCase, steps: list[DevelopmentStep], today: Any) -> list[dict[str, Any]]:
    by_number: dict[int, list[DevelopmentStep]] = {}
    for s in steps:
        by_number.setdefault(s.number, []).append(s)
    nxt = case.next_step
    earliest = development.earliest_date(case, {s.number: s for s in steps})
    stages = []
    for number, label, numbers in STAGES:
        items = []
        for n in numbers:
            state = "done" if n in by_number else ("current" if n == nxt else "ahead")
            due = case.due_on if case.due_step == n else None
            items.append(
                {
                    "number": n,
                    "label": STEPS[n],
                    "rows": by_number.get(n, []),
                    "state": state,
                    "due": due,
                    "overdue": bool(due and due < today and state != "done"),
                    "earliest": earliest if n == nxt else None,
                }
            )
        stages.append(
            {
                "number": number,
                "label": label,
                "items": items,
                "state": "done"
                if all(i["state"] == "done" for i in items)
                else ("current" if any(i["state"] == "current" for i in items) else "ahead"),
            }
        )
    return stages


def _case_response(
    request: HttpRequest,
    case: DevelopmentCase,
    *,
    step_form: StepForm | None = None,
    extend_form: ExtendForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    steps = list(
        case.steps.select_related("approver_org", "meeting")
        .prefetch_related("evidence")
        .order_by("number", "done_on", "id")
    )
    contacts = list(case.contacts.select_related("member").order_by("role", "id"))
    can_manage = has_org_perm(request.user, case.member.org, "members.manage")
    step_map = {s.number: s for s in steps}
    return render(
        request,
        "orgs/development_case.html",
        {
            "case": case,
            "member": case.member,
            "stages": _timeline(case, steps, today),
            "can_manage": can_manage,
            "mentors": [c.member for c in contacts if c.role == DevelopmentContact.Role.MENTOR],
            "sponsors": [c.member for c in contacts if c.role == DevelopmentContact.Role.SPONSOR],
            "next_step": case.next_step,
            "next_label": STEPS.get(case.next_step or 0, ""),
            "step_form": step_form or (StepForm(case=case) if can_manage and case.next_step else None),
            "extend_form": extend_form
            or (
                ExtendForm()
                if can_manage
                and case.status == "open"
                and 17 <= case.current_step <= 21
                and not case.probation_extension_months
                else None
            ),
            "probation_end": development.probation_end(case, step_map),
            "repeat_assessment": case.current_step == 6,
            "error": error,
            "today": today,
        },
        status=status,
    )


def _case(request: HttpRequest, pk: int) -> DevelopmentCase:
    return cast(
        DevelopmentCase, get_or_404(cases_visible_to(request.user).select_related("member", "member__org"), pk=pk)
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_response(request, _case(request, pk))


@login_required
def my_case(request: HttpRequest) -> HttpResponse:
    case = (
        DevelopmentCase.objects.filter(member__user_id=request.user.pk or 0)
        .select_related("member", "member__org")
        .first()
    )
    if case is None:
        raise Http404
    return _case_response(request, case)


@login_required
@require_POST
def step_record(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    number = request.POST.get("number", "")
    form = StepForm(request.POST, case=case)
    if not number.isdigit():
        form.add_error(None, _("Steps are numbered 1 to 25."))
    elif form.is_valid():
        d = form.cleaned_data
        try:
            step = development.development_record_step(
                case=case,
                number=int(number),
                done_on=d.get("done_on"),
                acting_user=request.user,
                notes=d.get("notes", ""),
                mentor_ids=[m.pk for m in d.get("mentor_ids") or []],
                sponsor_ids=[m.pk for m in d.get("sponsor_ids") or []],
                class_hours=d.get("class_hours"),
                training_days=d.get("training_days"),
                meeting=d.get("meeting"),
                present=d.get("present"),
                yes=d.get("yes"),
                no=d.get("no"),
                abstain=d.get("abstain"),
                approver_org=d.get("approver_org"),
                notice_from=d.get("notice_from"),
                notice_to=d.get("notice_to"),
            )
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            for w in step.warnings:
                messages.warning(request, w)
            messages.success(request, _("Step %(n)d recorded.") % {"n": step.number})
            return redirect("orgs:development_case", pk=case.pk)
    return _case_response(
        request,
        DevelopmentCase.objects.select_related("member", "member__org").get(pk=case.pk),
        step_form=form,
        status=400,
    )


@login_required
@require_POST
def case_extend(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            development.development_extend_probation(case=case, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Probation extended."))
            return redirect("orgs:development_case", pk=case.pk)
    return _case_response(request, case, extend_form=form, status=400)


@login_required
@require_POST
def case_stop(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        development.development_stop(case=case, reason=request.POST.get("reason", ""), acting_user=request.user)
    except DomainError as exc:
        return _case_response(request, case, error=exc.message, status=400)
    messages.success(request, _("Case closed."))
    return redirect("orgs:development_case", pk=case.pk)


@login_required
@require_POST
def step_attach(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    case = _case(request, pk)
    step = get_or_404(DevelopmentStep.objects.filter(case=case).select_related("case__member__org"), pk=step_pk)
    try:
        development.development_attach(step=step, upload=request.FILES.get("file"), acting_user=request.user)
    except DomainError as exc:
        return _case_response(request, case, error=exc.message, status=400)
    messages.success(request, _("File attached."))
    return redirect("orgs:development_case", pk=case.pk)
