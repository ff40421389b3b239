"""Proving a mobile number is one's own: a six-digit code sent by text message, for a
registration, a change of number and a password reset.

Only a keyed digest of the code is stored. A code lasts PHONE_CODE_SECONDS and allows
PHONE_CODE_TRIES wrong guesses; a new one can be asked for after PHONE_CODE_RESEND_SECONDS,
at most PHONE_CODES_PER_NUMBER an hour per number and PHONE_CODES_PER_ADDRESS an hour per
client address (beyond that: 429 with Retry-After). Nothing said on the way tells whether a
number has an account: a registration with a number that has one is told a code was sent,
and the number's owner gets a text saying someone tried instead of a code."""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.models import PhoneCode, User
from services.core.errors import PortalError, TooManyRequests
from services.core.ratelimit import rate_limit
from services.notifications.actions import sms_send

logger = logging.getLogger("services.security")


def _digest(*, mobile: str, purpose: str, code: str) -> str:
    message = f"phone-code:{mobile}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def sending_counted(request: HttpRequest, *, mobile: str, purpose: str) -> None:
    """The limits on texts: one per number and purpose every few seconds, a few an hour per
    number and per address. Raises TooManyRequests."""
    latest = PhoneCode.objects.filter(mobile=mobile, purpose=purpose).order_by("-created_at").first()
    if latest is not None:
        since = (timezone.now() - latest.created_at).total_seconds()
        if since < settings.PHONE_CODE_RESEND_SECONDS:
            wait = int(settings.PHONE_CODE_RESEND_SECONDS - since) + 1
            raise TooManyRequests(
                _("A code was sent a moment ago. Wait %(seconds)d seconds before you ask for another.")
                % {"seconds": wait},
                retry_after=wait,
            )
    rate_limit(request, group="phone-code-number", key=mobile, rate=f"{settings.PHONE_CODES_PER_NUMBER}/h")
    rate_limit(request, group="phone-code-address", rate=f"{settings.PHONE_CODES_PER_ADDRESS}/h")


def code_send(request: HttpRequest, *, mobile: str, purpose: str, user: User | None = None) -> None:
    """Send a new code to `mobile` for `purpose` (an earlier one stops counting)."""
    sending_counted(request, mobile=mobile, purpose=purpose)
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = settings.PHONE_CODE_SECONDS // 60
    with transaction.atomic():
        PhoneCode.objects.filter(mobile=mobile, purpose=purpose, used_at=None).update(used_at=timezone.now())
        PhoneCode.objects.create(
            mobile=mobile,
            purpose=purpose,
            user=user,
            digest=_digest(mobile=mobile, purpose=purpose, code=code),
            expires_at=timezone.now() + timedelta(seconds=settings.PHONE_CODE_SECONDS),
        )
    sms_send(
        to=mobile,
        body=_(
            "[One-stop government services] Your code is %(code)s. It is valid for %(minutes)d minutes. "
            "Never tell it to anyone, staff included."
        )
        % {"code": code, "minutes": minutes},
    )


def notice_send(request: HttpRequest, *, mobile: str, purpose: str, body: str) -> None:
    """Send `body` instead of a code (the number is taken), within the same limits, and in
    the same time: the answer tells nothing."""
    sending_counted(request, mobile=mobile, purpose=purpose)
    PhoneCode.objects.create(
        mobile=mobile,
        purpose=purpose,
        digest="",  # no code matches it
        expires_at=timezone.now() + timedelta(seconds=settings.PHONE_CODE_SECONDS),
    )
    sms_send(to=mobile, body=body)


def _wrong_code() -> PortalError:
    return PortalError(
        _("The code is not right, or it has expired. Check it, or ask for a new one."), code="wrong_code"
    )


def code_check(*, mobile: str, purpose: str, code: str, user: User | None = None) -> PhoneCode:
    """Spend one try of the latest code for `mobile` and `purpose`: the code, used up, when
    it is right; PortalError when it is wrong, expired or out of tries."""
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    with transaction.atomic():
        phone_code = (
            PhoneCode.objects.select_for_update()
            .filter(mobile=mobile, purpose=purpose, used_at=None, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if phone_code is None or (user is not None and phone_code.user_id != user.pk):
            raise _wrong_code()
        if phone_code.attempts >= settings.PHONE_CODE_TRIES:
            raise PortalError(_("Too many wrong codes. Ask for a new one."), code="code_exhausted")
        phone_code.attempts += 1
        right = bool(phone_code.digest) and hmac.compare_digest(
            phone_code.digest, _digest(mobile=mobile, purpose=purpose, code=code)
        )
        if right:
            phone_code.used_at = timezone.now()
        phone_code.save(update_fields=["attempts", "used_at"])
    if not right:
        logger.warning("wrong phone code", extra={"purpose": purpose, "account": getattr(user, "username", "")})
        raise _wrong_code()
    return phone_code
