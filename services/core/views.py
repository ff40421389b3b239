"""Helpers shared by the HTML views of every context."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from services.core.errors import NotFound


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


def or_404(fetch, **kwargs):
    """Call a permission-checked selector; its NotFound becomes the 404 page."""
    try:
        return fetch(**kwargs)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
