"""How sign-in is guarded, on every path that takes a password (the sign-in page, the token
API and the admin's login all call Django's `authenticate`):

- per account: after SIGN_IN_DELAY_AFTER wrong passwords, each further try waits, twice as
  long every time (SIGN_IN_DELAY_SECONDS, then double); after SIGN_IN_LOCK_AFTER the account
  is locked until someone lifts the lock: the owner through a verified channel, a department
  administrator (for their staff), or a system administrator (django-axes counts these);
- per address: after SIGN_IN_ADDRESS_FAILURES wrong passwords from one address within
  SIGN_IN_ADDRESS_WINDOW seconds, that address waits for the window's end. Sign-ins that
  succeed are never counted, so a service hall whose clerks share one address is not held up.

`sign_in_guard` is asked before any password is checked, so a try that must wait is not
counted as a failure (which would lock an account faster). The address is the client's as
`core.net` trusts it: a forged X-Forwarded-For changes
nothing. An unknown account is counted like a known one, so the answers tell nothing about
which accounts exist. Every failure and every lock is written to the security log (axes'
access failure log, and this module's logger)."""

import logging
import math
import time
from dataclasses import dataclass

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from services.audit.constants import Action
from services.audit.models import Outcome
from services.audit.trail import audit_record
from services.core.errors import TooManyRequests
from services.core.middleware import current_request
from services.core.net import client_address
from services.core.validators import MOBILE_RE, normalize_mobile

logger = logging.getLogger("services.security")

LONGEST_DELAY_SECONDS = 15 * 60


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in was not even tried, for the page or the API to say."""

    code: str
    message: str
    retry_after: int | None  # seconds; None: waiting does not help (the account is locked)
    status: int = 429


def account_key(identifier: str) -> str:
    """The account an identifier names, written one way: a mobile number without spaces, an
    email in lower case, a staff username as typed."""
    identifier = (identifier or "").strip()
    mobile = normalize_mobile(identifier)
    if MOBILE_RE.match(mobile):
        return mobile
    return identifier.lower() if "@" in identifier else identifier


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: axes counts failures per account, written as above. A sign-in
    that names no account (the identity provider's callback, accounts.oidc) tried no password
    here, so axes neither counts nor locks it: under a blank name, a few made-up callbacks
    would lock that way in for everyone."""
    credentials = credentials or {}
    if "username" not in credentials:
        return None
    return account_key(credentials["username"] or "")


def _address_window() -> tuple[int, int]:
    window = settings.SIGN_IN_ADDRESS_WINDOW
    start = int(time.time()) // window * window
    return start, start + window


def _address_failures_key(address: str) -> str:
    return f"sign-in:failures:{address}:{_address_window()[0]}"


def address_wait(address: str) -> int:
    """Seconds this address must wait before it may try again (0: it may)."""
    failures = cache.get(_address_failures_key(address), 0)
    if failures < settings.SIGN_IN_ADDRESS_FAILURES:
        return 0
    return max(_address_window()[1] - int(time.time()), 1)


def account_wait(identifier: str) -> int | None:
    """Seconds this account must wait before the next try (0: it may), or None when it is
    locked until someone lifts the lock."""
    attempt = AccessAttempt.objects.filter(username=account_key(identifier)).order_by("-attempt_time").first()
    if attempt is None:
        return 0
    failures = attempt.failures_since_start
    if failures >= settings.SIGN_IN_LOCK_AFTER:
        return None
    if failures < settings.SIGN_IN_DELAY_AFTER:
        return 0
    delay = min(settings.SIGN_IN_DELAY_SECONDS * 2 ** (failures - settings.SIGN_IN_DELAY_AFTER), LONGEST_DELAY_SECONDS)
    waited = (timezone.now() - attempt.attempt_time).total_seconds()
    return max(math.ceil(delay - waited), 0)


def locked_refusal() -> Refusal:
    return Refusal(
        code="account_locked",
        message=_(
            "This account is locked after too many wrong passwords. Reset the password with a code sent to the "
            "account's mobile number, or ask your department administrator to unlock it."
        ),
        retry_after=None,
        status=403,
    )


def sign_in_refusal(request: HttpRequest, identifier: str) -> Refusal | None:
    """Why this try must not go ahead, or None."""
    wait = address_wait(client_address(request))
    if wait:
        return Refusal(
            code="address_waiting",
            message=_("Too many wrong passwords from your network. Wait %(seconds)d seconds and try again.")
            % {"seconds": wait},
            retry_after=wait,
        )
    wait_or_locked = account_wait(identifier)
    if wait_or_locked is None:
        return locked_refusal()
    if wait_or_locked:
        return Refusal(
            code="account_waiting",
            message=_("Too many wrong passwords for this account. Wait %(seconds)d seconds before you try again.")
            % {"seconds": wait_or_locked},
            retry_after=wait_or_locked,
        )
    return None


def sign_in_guard(request: HttpRequest, identifier: str) -> None:
    """Call before the password is checked, on every path that checks one (the sign-in and
    admin login forms, the token API): raises TooManyRequests when this try must not go
    ahead, and leaves the refusal on the request for the page to show."""
    refusal = sign_in_refusal(request, identifier)
    if refusal is not None:
        request.sign_in_refusal = refusal  # type: ignore[attr-defined]
        raise TooManyRequests(
            refusal.message, retry_after=refusal.retry_after, code=refusal.code, status=refusal.status
        )


def refusal_of(request) -> Refusal | None:
    """What stopped a sign-in on this request: the guard's refusal, or axes' lock."""
    refusal = getattr(request, "sign_in_refusal", None)
    if refusal is not None:
        return refusal
    if getattr(request, "axes_locked_out", False):
        return locked_refusal()
    return None


@receiver(user_login_failed, dispatch_uid="sign-in-failure")
def _sign_in_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    if request is None or "username" not in credentials:
        return  # not a password (the identity provider's callback): nothing was guessed here
    address = client_address(request)
    key = _address_failures_key(address)
    cache.add(key, 0, settings.SIGN_IN_ADDRESS_WINDOW)
    cache.incr(key)
    account = account_key(credentials.get("username", ""))
    logger.warning("sign-in failed", extra={"account": account, "address": address})
    audit_record(Action.SIGN_IN_FAILED, request=request, actor_name=account, outcome=Outcome.FAILURE)


@receiver(user_locked_out, dispatch_uid="sign-in-lock")
def _account_locked(sender, request: HttpRequest | None = None, username: str = "", ip_address: str = "", **kwargs):
    logger.warning("account locked after repeated wrong passwords", extra={"account": username, "address": ip_address})
    audit_record(Action.ACCOUNT_LOCKED, request=request, actor_name=username, object_type="account", object_id=username)


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: what a locked account's try gets where no view of ours said it
    better (the admin's login): the sign-in page with the reason, or JSON for the API."""
    refusal = locked_refusal()
    if request.path.startswith("/api/"):
        return JsonResponse({"code": refusal.code, "detail": refusal.message}, status=refusal.status)
    from services.accounts.forms import SignInForm

    form = SignInForm(request)
    form.cleaned_data = {}  # an empty form, carrying only the reason
    form.add_error(None, refusal.message)
    return render(request, "accounts/signin.html", {"form": form}, status=refusal.status)


# Lifting a lock ---------------------------------------------------------------------------


def _keys_of(user) -> set[str]:
    """Every way of naming the account at sign-in (each is counted on its own)."""
    return {account_key(key) for key in (user.username, user.mobile, user.email) if key}


def locked_accounts(*, users) -> list[tuple]:
    """(user, the attempt that locked them) for the locked accounts among `users`, the latest
    lock first."""
    by_key = {key: user for user in users for key in _keys_of(user)}
    attempts = AccessAttempt.objects.filter(
        username__in=list(by_key), failures_since_start__gte=settings.SIGN_IN_LOCK_AFTER
    ).order_by("-attempt_time")
    locked: dict[int, tuple] = {}
    for attempt in attempts:
        user = by_key[attempt.username]
        locked.setdefault(user.pk, (user, attempt))
    return list(locked.values())


def account_unlock(*, user, by) -> int:
    """Lift the sign-in lock (and forget the wrong passwords) of an account, under every name
    it signs in with; written to the security log."""
    from axes.utils import reset

    removed = sum(reset(username=key) for key in _keys_of(user))
    logger.warning("account unlocked", extra={"account": user.username, "by": getattr(by, "username", "")})
    audit_record(
        Action.ACCOUNT_UNLOCKED, request=current_request(), actor=by, object_type="account", object_id=user.username
    )
    return removed
