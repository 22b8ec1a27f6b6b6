"""Login (password, then TOTP when enrolled), logout, password change, 2FA set-up, profile and tokens."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from dangjian.core.audit import audit
from dangjian.core.scoping import can_admin_users, get_or_404

from . import services
from .forms import LoginForm, OtpForm, PasswordChangeForm, TokenForm
from .middleware import IDLE_LOGOUT
from .models import ApiToken, User

PENDING_2FA = "pending_2fa_user"


def _safe_next(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return reverse("core:workbench")


def _finish_login(request: HttpRequest, user: User) -> HttpResponse:
    login(request, user, backend="dangjian.accounts.backends.MultiIdentifierBackend")
    audit(user, "auth.login", user)
    return HttpResponseRedirect(_safe_next(request))


@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    idle_minutes = request.session.pop(IDLE_LOGOUT, None)
    if idle_minutes:
        messages.info(request, _("You were logged out after %(m)d minutes without activity.") % {"m": idle_minutes})
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.user_authenticate(
                    identifier=form.cleaned_data["identifier"], password=form.cleaned_data["password"]
                )
            except services.AuthError as exc:
                form.add_error(None, exc.message)
                status = 400
            else:
                if user.has_2fa:
                    request.session[PENDING_2FA] = user.pk
                    return redirect(f"{reverse('accounts:login_otp')}?{urlencode({'next': _safe_next(request)})}")
                return _finish_login(request, user)
        else:
            status = 400
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status)


def login_otp_view(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(PENDING_2FA)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        return redirect("accounts:login")
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.user_verify_otp(user=user, code=form.cleaned_data["code"])
            except services.AuthError as exc:
                if exc.code in {"locked", "inactive"}:
                    # Start again from the password once the lock has run out.
                    request.session.pop(PENDING_2FA, None)
                form.add_error("code", exc.message)
            else:
                del request.session[PENDING_2FA]
                return _finish_login(request, user)
        status = 400
    return render(
        request, "accounts/login_otp.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit(request.user, "auth.logout", request.user)
    logout(request)
    return redirect("accounts:login")


@login_required
@sensitive_post_parameters()
def password_change_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(user=user, new_password=form.cleaned_data["new_password1"])
        login(request, user, backend="dangjian.accounts.backends.MultiIdentifierBackend")  # keep the session
        messages.success(request, _("Your password was changed."))
        return redirect("core:workbench")
    status = 400 if request.method == "POST" else 200
    forced = user.must_change_password or services.password_expired(user)
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced}, status=status)


@login_required
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.has_2fa:
        messages.info(request, _("Two-factor authentication is already on."))
        return redirect("accounts:profile")
    form = OtpForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and services.totp_confirm_enrolment(user=user, code=form.cleaned_data["code"]):
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("core:workbench")
        form.add_error("code", _("The code is wrong or has expired."))
    if request.method == "GET" or not user.totp_secret:
        services.totp_begin_enrolment(user=user)
    uri = services.totp_provisioning_uri(user)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/totp_setup.html",
        {"form": form, "secret": user.totp_secret, "qr_svg": qr_svg, "required": user.requires_2fa},
        status=status,
    )


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    new_token = None
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            issued = services.api_token_issue(user=user, name=form.cleaned_data["name"])
            new_token = issued.plaintext
            form = TokenForm()
        else:
            return render(request, "accounts/profile.html", {"form": form, "tokens": user.api_tokens.all()}, status=400)
    return render(
        request, "accounts/profile.html", {"form": form, "tokens": user.api_tokens.all(), "new_token": new_token}
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_or_404(ApiToken.objects.filter(user=request.user), pk=pk)  # type: ignore[misc]
    services.api_token_revoke(token=token, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:profile")


def _require_user_admin(request: HttpRequest) -> None:
    if not can_admin_users(request.user):
        raise Http404


@login_required
def user_admin_view(request: HttpRequest) -> HttpResponse:
    """Accounts for the system and security administrators: lock state, 2FA, roles."""
    _require_user_admin(request)
    q = request.GET.get("q", "").strip()
    qs = User.objects.order_by("username")
    if q:
        qs = qs.filter(username__icontains=q) | qs.filter(name__icontains=q) | qs.filter(employee_no__iexact=q)
    page = Paginator(
        qs.only(
            "id",
            "username",
            "name",
            "employee_no",
            "admin_role",
            "is_active",
            "locked_until",
            "totp_confirmed_at",
            "last_login",
        ),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request, "accounts/user_admin.html", {"page_obj": page, "q": q, "querystring": urlencode({"q": q}) if q else ""}
    )


@login_required
@require_POST
def user_unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_user_admin(request)
    target = get_or_404(User.objects.all(), pk=pk)
    services.user_unlock(user=target, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("%(u)s was unlocked.") % {"u": target.display_name})
    return redirect("accounts:user_admin")


@login_required
@require_POST
def user_reset_2fa_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_user_admin(request)
    target = get_or_404(User.objects.all(), pk=pk)
    services.totp_reset(user=target, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Two-factor authentication of %(u)s was reset.") % {"u": target.display_name})
    return redirect("accounts:user_admin")
