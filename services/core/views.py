"""Helpers shared by the HTML views of every context."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from services.core.errors import NotFound, PortalError, TooManyRequests


def citizen_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_citizen:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_portal_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def with_retry_after(response, refusal: PortalError | None):
    """A page that shows a refusal: a rate limit's says when to come back (Retry-After)."""
    if isinstance(refusal, TooManyRequests) and refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def or_404(fetch, **kwargs):
    """Call a permission-checked selector; its NotFound becomes the 404 page."""
    try:
        return fetch(**kwargs)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


ELDER_COOKIE = "elder"


@require_POST
def elder_mode(request):
    """Turn the elder mode (适老化: larger text and buttons) on or off. A cookie, so that it
    works before signing in and without JavaScript."""
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    if request.POST.get("on") == "1":
        response.set_cookie(ELDER_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure())
    else:
        response.delete_cookie(ELDER_COOKIE)
    return response


def elder_mode_context(request) -> dict:
    """Template context: whether the elder mode is on."""
    return {"elder_mode": request.COOKIES.get(ELDER_COOKIE) == "1"}
