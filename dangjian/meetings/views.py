"""Web screens of organisational life: my meetings, planning, the live meeting (QR, quorum, attendance,
votes, minutes), sign-in from a phone, the compliance grid, exports."""

from __future__ import annotations

import datetime as dt

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError, form_add_domain_error
from dangjian.core.scoping import get_or_404, has_org_perm, orgs_visible_to
from dangjian.core.tabular import XLSX_CONTENT_TYPE
from dangjian.orgs.models import Member, Org

from . import compliance, exports, services
from .models import Attendance, Meeting, MeetingType
from .selectors import meetings_managed_by, meetings_visible_to, my_attendance


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = [
            "org",
            "type",
            "topic",
            "agenda",
            "starts_at",
            "ends_at",
            "place",
            "online_link",
            "audience",
            "audience_group",
            "host",
            "recorder",
            "lecturer",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "agenda": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        orgs = orgs_visible_to(user, "members.manage")
        self.fields["org"].queryset = orgs.exclude(kind=Org.Kind.COMMITTEE).order_by("path")  # type: ignore[attr-defined]
        self.fields["org"].label = gettext_lazy("Organisation")
        self.fields["audience_group"].queryset = orgs.filter(kind=Org.Kind.GROUP).order_by("path")  # type: ignore[attr-defined]
        people = Member.objects.filter(org_path__in=[]).none()
        for name in ("host", "recorder", "lecturer"):
            self.fields[name].queryset = people  # type: ignore[attr-defined]
            self.fields[name].required = False
        if self.data.get("org", "").isdigit():
            org = orgs.filter(pk=int(self.data["org"])).first()
            if org is not None:
                scoped = Member.objects.filter(org_path__startswith=org.path, status__in=["full", "probationary"])
                for name in ("host", "recorder", "lecturer"):
                    self.fields[name].queryset = scoped  # type: ignore[attr-defined]


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    member = getattr(request.user, "member", None)
    mine = []
    if member is not None:
        mine = list(
            Attendance.objects.filter(member=member)
            .select_related("meeting", "meeting__org")
            .exclude(meeting__status=Meeting.Status.CANCELLED)
            .order_by("-meeting__starts_at")[:30]
        )
    managed = meetings_managed_by(request.user).select_related("org").order_by("-starts_at")
    page = Paginator(managed, 30).get_page(request.GET.get("page"))
    can_plan = orgs_visible_to(request.user, "members.manage").exists()
    if not mine and not can_plan and member is None:
        raise Http404
    return render(
        request,
        "meetings/list.html",
        {"mine": mine, "page_obj": page, "can_plan": can_plan, "now": timezone.now(), "querystring": ""},
    )


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    if not orgs_visible_to(request.user, "members.manage").exists():
        raise Http404
    form = MeetingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {
            k: v
            for k, v in form.cleaned_data.items()
            if k not in ("org", "type", "topic", "starts_at", "audience", "audience_group") and v not in (None, "")
        }
        try:
            meeting = services.meeting_plan(
                org=form.cleaned_data["org"],
                acting_user=request.user,
                type=form.cleaned_data["type"],
                topic=form.cleaned_data["topic"],
                starts_at=form.cleaned_data["starts_at"],
                audience=form.cleaned_data["audience"],
                audience_group=form.cleaned_data.get("audience_group"),
                **data,
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Meeting planned and invitations sent."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/form.html", {"form": form}, status=400 if request.method == "POST" else 200)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_or_404(meetings_visible_to(request.user).select_related("org", "host", "recorder", "lecturer"), pk=pk)
    manage = has_org_perm(request.user, meeting.org, "members.manage")
    mine = my_attendance(request.user, meeting)
    attended = mine is not None and mine.status == Attendance.Status.PRESENT
    context = {
        "meeting": meeting,
        "manage": manage,
        "mine": mine,
        "now": timezone.now(),
        "show_minutes": manage or attended,
        "files": meeting.files.all() if (manage or attended) else [],
    }
    if manage:
        context.update(
            {
                "attendances": meeting.attendances.select_related("member").order_by("status", "member__name"),
                "quorum": services.quorum(meeting) if meeting.votes else None,
                "motions": meeting.motions.all(),
                "statuses": [(v, label) for v, label in Attendance.Status.choices if v != Attendance.Status.INVITED],
            }
        )
    return render(request, "meetings/detail.html", context)


def _managed(request: HttpRequest, pk: int) -> Meeting:
    return get_or_404(meetings_managed_by(request.user).select_related("org"), pk=pk)


@login_required
def meeting_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX partial, polled every 10 s: the rotating sign-in QR code and the live quorum."""
    meeting = _managed(request, pk)
    url = (
        request.build_absolute_uri(reverse("meetings:sign_in", args=[meeting.pk]))
        + f"?t={services.sign_in_token(meeting)}"
    )
    qr = segno.make(url, error="m").svg_inline(scale=6)
    counts = dict.fromkeys(Attendance.Status.values, 0)
    for status in meeting.attendances.values_list("status", flat=True):
        counts[status] += 1
    return render(
        request,
        "meetings/_qr.html",
        {
            "meeting": meeting,
            "qr": qr,
            "url": url,
            "counts": counts,
            "quorum": services.quorum(meeting) if meeting.votes else None,
        },
    )


@login_required
def sign_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Opened from the QR code on a phone: one tap signs the member in."""
    meeting = get_or_404(meetings_visible_to(request.user), pk=pk)
    member = getattr(request.user, "member", None)
    token = request.POST.get("t") or request.GET.get("t", "")
    error = None
    if request.method == "POST":
        if member is None:
            error = _("Only Party members sign in to meetings.")
        else:
            try:
                services.attendance_sign_in(meeting=meeting, member=member, token=token)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, _("Signed in. Welcome!"))
                return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/sign_in.html",
        {"meeting": meeting, "token": token, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_or_404(meetings_visible_to(request.user), pk=pk)
    member = getattr(request.user, "member", None)
    try:
        if member is None:
            raise DomainError(_("You are not invited to this meeting."))
        services.leave_request(meeting=meeting, member=member, reason=request.POST.get("reason", ""))
        messages.success(request, _("Leave requested."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    ids = [int(i) for i in request.POST.getlist("member") if i.isdigit()]
    try:
        services.attendance_mark(
            meeting=meeting,
            member_ids=ids,
            status=request.POST.get("status", ""),
            acting_user=request.user,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    try:
        nums = [int(request.POST.get(k, "0") or 0) for k in ("yes", "no", "abstain")]
        motion = services.motion_record(
            meeting=meeting,
            title=request.POST.get("title", ""),
            yes=nums[0],
            no=nums[1],
            abstain=nums[2],
            acting_user=request.user,
        )
        messages.success(request, _("Passed.") if motion.passed else _("Not passed."))
    except ValueError:
        messages.error(request, _("Votes must be whole numbers."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    try:
        services.meeting_record_minutes(
            meeting=meeting,
            minutes=request.POST.get("minutes", ""),
            decisions=request.POST.get("decisions", ""),
            acting_user=request.user,
            held=request.POST.get("held") == "on",
        )
        messages.success(request, _("Minutes saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    try:
        services.meeting_attach(meeting=meeting, upload=request.FILES.get("file"), acting_user=request.user)
        messages.success(request, _("File attached."))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("meetings:detail", pk=meeting.pk)
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
def minutes_docx(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_or_404(meetings_visible_to(request.user).select_related("org", "host", "recorder", "lecturer"), pk=pk)
    mine = my_attendance(request.user, meeting)
    if not (
        has_org_perm(request.user, meeting.org, "members.manage") or (mine and mine.status == Attendance.Status.PRESENT)
    ):
        raise Http404
    response = HttpResponse(exports.minutes_docx(meeting), content_type=exports.DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting.pk}.docx"'
    return response


def _period(request: HttpRequest) -> compliance.Period:
    kind = request.GET.get("kind", "quarter")
    kind = kind if kind in compliance.PERIOD_KINDS else "quarter"
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    return compliance.period_of(kind, day)


@login_required
def compliance_view(request: HttpRequest) -> HttpResponse:
    """Red/yellow/green grid of the branches under an org for a month, quarter or year; Excel export."""
    orgs = list(orgs_visible_to(request.user, "members.view").exclude(kind=Org.Kind.GROUP).order_by("path")[:500])
    if not orgs:
        raise Http404
    raw = request.GET.get("org", "")
    root = get_or_404(orgs_visible_to(request.user, "members.view"), pk=int(raw)) if raw.isdigit() else orgs[0]
    period = _period(request)
    grid = compliance.compliance_grid(root=root, period=period)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(exports.compliance_xlsx(grid, f"{period.label}"), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="compliance-{period.label}.xlsx"'
        return response
    return render(
        request,
        "meetings/compliance.html",
        {
            "orgs": orgs,
            "root": root,
            "period": period,
            "grid": grid,
            "types": [(t, compliance.type_label(t)) for t in MeetingType.values],
            "querystring": request.GET.urlencode(),
        },
    )


@login_required
def record_book(request: HttpRequest) -> HttpResponse:
    """The meeting record book (会议记录本) of a branch for a period, as one Word document."""
    raw = request.GET.get("org", "")
    if not raw.isdigit():
        raise Http404
    org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=int(raw))
    period = _period(request)
    start, end = period.bounds()
    meetings = (
        Meeting.objects.filter(
            org_path__startswith=org.path, starts_at__gte=start, starts_at__lt=end, status=Meeting.Status.HELD
        )
        .select_related("org", "host", "recorder", "lecturer")
        .prefetch_related("motions")
        .order_by("starts_at")
    )
    data = exports.record_book_docx(meetings, f"{org.name} {period.label} {_('meeting record book')}")
    response = HttpResponse(data, content_type=exports.DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="record-book-{period.label}.docx"'
    return response
