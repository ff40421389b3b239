"""The sign-in guard's answer, on whichever page asked for a password."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from services.accounts.second_factor import needs_second_factor, second_factor_given
from services.accounts.sessions import session_expiry, session_limits
from services.accounts.signin import refusal_of


class SignInRefusalStatus:
    """A sign-in form that the guard refused (accounts.signin) is shown again with its reason:
    this gives the answer the status that says so (429 with Retry-After, or 403 for a locked
    account), on the sign-in page and the admin's login alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        refusal = getattr(request, "sign_in_refusal", None) and refusal_of(request)
        if refusal is not None and response.status_code == 200:
            response.status_code = refusal.status
            if refusal.retry_after:
                response["Retry-After"] = str(refusal.retry_after)
        return response


class SecondFactorRequired:
    """Staff and administrators signed in with a password only reach nothing but the page that
    asks for (or enrols) their second factor, and signing out: no staff page, no staff API, no
    admin. Pages are sent to that page; the API answers 403. A second factor given at the
    government's identity provider counts (second_factor.second_factor_given)."""

    # Where someone between the password and the second factor may go.
    OPEN_PREFIXES = (
        "/accounts/second-factor/",
        "/accounts/signout/",
        "/accounts/oidc/",  # signing in again, through the identity provider
        "/static/",
        "/i18n/",
        "/preferences/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            needs_second_factor(user)
            and not request.path.startswith(self.OPEN_PREFIXES)
            and not second_factor_given(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "second_factor_required",
                        "detail": str(_("Sign in with your second factor first.")),
                    },
                    status=403,
                )
            return redirect_to_login(request.get_full_path(), reverse("accounts:second-factor"), "next")
        return self.get_response(request)


class SessionLimits:
    """A session that has run out (too long idle, or too long since signing in:
    `accounts.sessions`) is signed out before anything else happens. A page is sent to the
    sign-in page with why; htmx is told to go there; the API answers 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and (reason := session_expiry(request)) is not None:
            idle, absolute = session_limits(user)
            if reason == "idle":
                why = _("For your safety you were signed out after %(minutes)s minutes without activity.") % {
                    "minutes": int(idle.total_seconds() // 60)
                }
            else:
                why = _("For your safety you were signed out %(hours)s hours after signing in.") % {
                    "hours": int(absolute.total_seconds() // 3600)
                }
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "session_expired", "detail": str(why)}, status=401)
            messages.info(request, why)
            login = redirect_to_login(request.get_full_path(), reverse("accounts:login"), "next")
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login["Location"]
                return response
            return login
        return self.get_response(request)
