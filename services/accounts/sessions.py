"""How long a signed-in session lasts: it ends after a while without a request (staff: 30
minutes, citizens: 2 hours) and, whatever happens, some hours after signing in (staff: 10,
citizens: 24); all set in settings (SESSION_IDLE_MINUTES_*, SESSION_MAX_HOURS_*).
`middleware.SessionLimits` asks `session_expiry` on every request."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# The time of the last request is written to the session at most this often (each write is a
# database write): the idle limit is kept to within it.
SEEN_EVERY_SECONDS = 60


def session_limits(user) -> tuple[timedelta, timedelta]:
    """(idle, absolute) for this account."""
    if user.is_portal_staff or user.is_staff:
        return timedelta(minutes=settings.SESSION_IDLE_MINUTES_STAFF), timedelta(hours=settings.SESSION_MAX_HOURS_STAFF)
    return (
        timedelta(minutes=settings.SESSION_IDLE_MINUTES_CITIZEN),
        timedelta(hours=settings.SESSION_MAX_HOURS_CITIZEN),
    )


@receiver(user_logged_in, dispatch_uid="accounts.session_start")
def session_start(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def session_expiry(request: HttpRequest) -> str | None:
    """ "idle" or "absolute" when the signed-in session has run out; otherwise None, and the
    request is noted as the latest sign of life."""
    session = request.session
    now = time.time()
    idle, absolute = session_limits(request.user)
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if signed_in_at is None or seen_at is None:
        # A session from before the limits existed starts counting now.
        session[SIGNED_IN_AT] = session[SEEN_AT] = now
        return None
    if now - signed_in_at > absolute.total_seconds():
        return "absolute"
    if now - seen_at > idle.total_seconds():
        return "idle"
    if now - seen_at > SEEN_EVERY_SECONDS:
        session[SEEN_AT] = now
    return None
