"""Management screens on the org tree and member records: sub-organisations, committee posts,
commendations and discipline, extra (cloud / temporary) memberships."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.core.errors import DomainError
from dangjian.core.errors import form_add_domain_error as _apply
from dangjian.core.scoping import get_or_404, members_visible_to, orgs_visible_to

from . import services
from .forms import DateInput
from .models import Org, OrgPost, RewardDiscipline


class SubOrgForm(forms.ModelForm):
    class Meta:
        model = Org
        fields = [
            "name",
            "short_name",
            "kind",
            "unit",
            "founded_on",
            "is_cloud",
            "is_temporary",
            "ends_on",
            "term_start",
            "term_end",
        ]
        widgets = {f: DateInput() for f in ["founded_on", "ends_on", "term_start", "term_end"]}


class PostForm(forms.Form):
    employee_no = forms.CharField(label=gettext_lazy("Employee number"), max_length=32)
    post = forms.ChoiceField(label=gettext_lazy("Post"), choices=OrgPost.Post.choices)
    started_on = forms.DateField(label=gettext_lazy("Started on"), widget=DateInput())


class RewardForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RewardDiscipline.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=128)
    issued_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    issued_by = forms.CharField(label=gettext_lazy("Issued by"), max_length=128, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ExtraMembershipForm(forms.Form):
    org = forms.ModelChoiceField(label=gettext_lazy("Cloud or temporary branch"), queryset=Org.objects.none())


@login_required
def org_add_child(request: HttpRequest, pk: int) -> HttpResponse:
    parent = get_or_404(orgs_visible_to(request.user, "orgs.manage"), pk=pk)
    form = SubOrgForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.org_create(parent=parent, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Organisation created."))
            return redirect("orgs:org_detail", pk=org.pk)
    return render(
        request,
        "orgs/manage_form.html",
        {"form": form, "title": _("Add a subordinate organisation"), "back": parent},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def org_add_post(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_or_404(orgs_visible_to(request.user, "orgs.manage"), pk=pk)
    form = PostForm(request.POST or None, initial={"started_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        member = (
            members_visible_to(request.user)
            .filter(employee_no=form.cleaned_data["employee_no"].strip(), org_path__startswith=org.path)
            .first()
        )
        if member is None:
            form.add_error("employee_no", _("No member of this organisation has that employee number."))
        else:
            try:
                services.org_post_assign(
                    org=org,
                    member=member,
                    post=form.cleaned_data["post"],
                    started_on=form.cleaned_data["started_on"],
                    acting_user=request.user,
                )
            except DomainError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("Post assigned."))
                return redirect("orgs:org_detail", pk=org.pk)
    return render(
        request,
        "orgs/manage_form.html",
        {"form": form, "title": _("Assign a committee post"), "back": org},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def member_add_reward(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org"), pk=pk)
    form = RewardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reward_add(member=member, acting_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("orgs:member_detail", pk=member.pk)
    return render(
        request,
        "orgs/manage_form.html",
        {"form": form, "title": _("Commendation or discipline"), "member": member},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def member_add_extra(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org"), pk=pk)
    form = ExtraMembershipForm(request.POST or None)
    form.fields["org"].queryset = orgs_visible_to(request.user, "members.manage").filter(ended_at__isnull=True).filter(  # type: ignore[attr-defined]
        is_cloud=True
    ) | orgs_visible_to(request.user, "members.manage").filter(ended_at__isnull=True, is_temporary=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add_extra(member=member, org=form.cleaned_data["org"], acting_user=request.user)
        except DomainError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Added to the branch."))
            return redirect("orgs:member_detail", pk=member.pk)
    return render(
        request,
        "orgs/manage_form.html",
        {"form": form, "title": _("Join a cloud or temporary branch"), "member": member},
        status=400 if request.method == "POST" else 200,
    )
