from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.accounts import actions, oidc, second_factor, selectors, signin, tokens
from services.accounts.forms import CodeForm, MobileForm, PasswordResetForm, RegisterForm, SignInForm
from services.core.errors import PortalError, TooManyRequests
from services.core.masking import mask_mobile
from services.core.views import citizen_required, staff_required, with_retry_after


class SignInView(LoginView):
    """Sign in with a mobile number, email or staff username. A try the guard refused (too
    many wrong passwords) is answered 429 with Retry-After, or 403 for a locked account
    (accounts.middleware.SignInRefusalStatus)."""

    template_name = "accounts/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # Staff of the departments may sign in with their government account instead.
        return super().get_context_data(**kwargs) | {"identity_provider": oidc.identity_provider_enabled()}


class SignOutView(LogoutView):
    """Sign out (a POST). A session that came through the government's identity provider is
    ended there too: the answer sends the browser to the provider's sign-out, which sends it
    back to the home page."""

    def post(self, request, *args, **kwargs):
        home = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
        at_provider = oidc.provider_sign_out_url(request, after=home)  # read before the session goes
        response = super().post(request, *args, **kwargs)
        return redirect(at_provider) if at_provider else response


@login_required
def second_factor_page(request):
    """The second factor, between the password and any staff page: enrolled on the first
    sign-in (a picture for the authenticator app, then its first code), given on the later
    ones (a code from the app, or a recovery code)."""
    user = request.user
    target = _safe_next(request)
    if not second_factor.needs_second_factor(user) or second_factor.second_factor_given(request):
        return redirect(target)
    enrolling = not second_factor.has_second_factor(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    form.fields["code"].label = _("Code from your authenticator app") if enrolling else _("Code")
    if not enrolling:
        # A recovery code has letters: the phone must offer its whole keyboard.
        form.fields["code"].widget.attrs["inputmode"] = "text"
    refusal: PortalError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            if enrolling:
                codes = second_factor.enrolment_confirm(request, user=user, code=form.cleaned_data["code"])
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": target})
            second_factor.second_factor_verify(request, user=user, code=form.cleaned_data["code"])
        except PortalError as exc:
            form.add_error("code", exc.message)
            refusal = exc
        else:
            return redirect(target)
    context = {"form": form, "enrolling": enrolling, "next": target}
    if enrolling:
        device = second_factor.enrolment_device(user=user)
        context |= {"qr": second_factor.enrolment_qr(device), "key": second_factor.enrolment_key(device)}
    response = render(request, "accounts/second_factor.html", context, status=400 if form.errors else 200)
    if refusal is not None:
        # A wrong code is a 400 like any wrong answer; waiting after several says for how long.
        response.status_code = 429 if isinstance(refusal, TooManyRequests) else 400
        return with_retry_after(response, refusal)
    return response


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("home")


@login_required
def devices(request):
    """My devices: the API tokens of the account (apps signed in with it), each revocable, or
    all at once."""
    if request.method == "POST":
        if request.POST.get("all"):
            tokens.tokens_revoke_all(user=request.user)
            messages.success(request, _("Every device is signed out."))
        elif tokens.token_revoke(user=request.user, token_key=request.POST.get("token", "")):
            messages.success(request, _("The device is signed out."))
        else:
            messages.error(request, _("That device was already signed out."))
        return redirect("accounts:devices")
    return render(request, "accounts/devices.html", {"tokens": tokens.tokens_of(user=request.user)})


@staff_required
def staff_locks(request):
    """A department administrator lifts the sign-in lock of their own staff (after too many
    wrong passwords); anyone else's account is not theirs to unlock."""
    staff = {user.username: user for user in selectors.staff_administered_by(user=request.user)}
    if not staff:
        raise PermissionDenied
    if request.method == "POST":
        username = request.POST.get("username", "")
        if username not in staff:
            raise Http404(_("This account is not one of your department's staff."))
        signin.account_unlock(user=staff[username], by=request.user)
        messages.success(request, _("%(who)s can sign in again.") % {"who": staff[username]})
        return redirect("accounts:staff-locks")
    locks = signin.locked_accounts(users=staff.values())
    return render(request, "accounts/staff_locks.html", {"locks": locks, "staff": staff.values()})


@staff_required
@require_POST
def staff_second_factor_reset(request):
    """A staff member lost the phone with their authenticator: their department
    administrator clears it, and the next sign-in enrols a new one (logged)."""
    staff = {user.username: user for user in selectors.staff_administered_by(user=request.user)}
    if not staff:
        raise PermissionDenied
    person = staff.get(request.POST.get("username", ""))
    if person is None:
        raise Http404(_("This account is not one of your department's staff."))
    second_factor.second_factor_reset(user=person, by=request.user)
    messages.success(request, _("%(who)s will set up a new second factor at the next sign-in.") % {"who": person})
    return redirect("accounts:staff-locks")


def _with_refusal(request, template: str, context: dict, form, exc: PortalError):
    """Show the form again with why it was refused; a rate limit says when to come back."""
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}  # a form not sent (asking for a new code) carries only the reason
    form.add_error(None, exc.message)
    return with_retry_after(render(request, template, {**context, "form": form}, status=exc.status), exc)


def register(request):
    """Registration, step one: the details, and a code sent to the mobile number."""
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.registration_start(
                request,
                full_name=form.cleaned_data["full_name"],
                mobile=form.cleaned_data["mobile"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except PortalError as exc:
            return _with_refusal(request, "accounts/register.html", {}, form, exc)
        return redirect("accounts:register-confirm")
    return render(request, "accounts/register.html", {"form": form}, status=400 if form.errors else 200)


def register_confirm(request):
    """Registration, step two: the code proves the number is the citizen's; the account is made."""
    pending = actions.registration_pending(request)
    if pending is None:
        return redirect("accounts:register")
    context = {"mobile": mask_mobile(pending["mobile"]), "step": "register"}
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            actions.registration_resend(request)
        except PortalError as exc:
            return _with_refusal(request, "accounts/code.html", context, CodeForm(), exc)
        messages.success(request, _("A new code is on its way."))
        return redirect("accounts:register-confirm")
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.registration_confirm(request, code=form.cleaned_data["code"])
        except PortalError as exc:
            return _with_refusal(request, "accounts/code.html", context, form, exc)
        login(request, user, backend="services.accounts.backends.MobileOrEmailBackend")
        return redirect("applications:mine")
    return render(request, "accounts/code.html", {**context, "form": form}, status=400 if form.errors else 200)


def password_reset(request):
    """A forgotten password (or a locked account), step one: the mobile number."""
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.password_reset_start(request, mobile=form.cleaned_data["mobile"])
        except PortalError as exc:
            return _with_refusal(request, "accounts/password_reset.html", {}, form, exc)
        return redirect("accounts:password-reset-confirm")
    return render(request, "accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200)


def password_reset_confirm(request):
    """Step two: the code from the text message and the new password."""
    mobile = actions.password_reset_pending(request)
    if mobile is None:
        return redirect("accounts:password-reset")
    context = {"mobile": mask_mobile(mobile), "step": "reset"}
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.password_reset_confirm(
                request, code=form.cleaned_data["code"], password=form.cleaned_data["password"]
            )
        except PortalError as exc:
            return _with_refusal(request, "accounts/code.html", context, form, exc)
        messages.success(request, _("Your password is changed. Sign in with it."))
        return redirect("accounts:login")
    return render(request, "accounts/code.html", {**context, "form": form}, status=400 if form.errors else 200)


@citizen_required
def mobile_change(request):
    """A citizen's mobile number, and a new one (proven with a code sent there)."""
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.mobile_change_start(request, user=request.user, mobile=form.cleaned_data["mobile"])
        except PortalError as exc:
            return _with_refusal(request, "accounts/mobile.html", {}, form, exc)
        return redirect("accounts:mobile-confirm")
    return render(request, "accounts/mobile.html", {"form": form}, status=400 if form.errors else 200)


@citizen_required
def mobile_change_confirm(request):
    mobile = request.session.get(actions.PENDING_MOBILE)
    if not mobile:
        return redirect("accounts:mobile")
    context = {"mobile": mask_mobile(mobile), "step": "mobile"}
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.mobile_change_confirm(request, user=request.user, code=form.cleaned_data["code"])
        except PortalError as exc:
            return _with_refusal(request, "accounts/code.html", context, form, exc)
        messages.success(request, _("Your mobile number is changed and confirmed."))
        return redirect("accounts:mobile")
    return render(request, "accounts/code.html", {**context, "form": form}, status=400 if form.errors else 200)
