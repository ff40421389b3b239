"""The second factor that every staff member and every administrator signs in with
(django-otp): a time-based code from an authenticator app (TOTP), with ten one-time
recovery codes for a lost phone. Citizens never need one.

Until the second factor is given in a session, a staff member reaches no staff page and no
staff API (`middleware.SecondFactorRequired`); the first sign-in enrols it. A token for the
API is issued to staff only with a code (`api.views.TokenObtainApi`). A department
administrator resets the second factor of their staff who lost their phone, a system
administrator anyone's (in the admin); every enrolment, failure and reset is in the
security log.

A sign-in through the government's identity provider whose ID token says it used a second
factor there (accounts.oidc, OIDC_MFA_AMR) counts as given for that session."""

import base64
import logging
import math
from typing import NoReturn

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from services.accounts.models import User
from services.audit.constants import Action
from services.audit.models import Outcome
from services.audit.trail import audit_record
from services.core.errors import Forbidden, PortalError, TooManyRequests
from services.core.middleware import current_request

logger = logging.getLogger("services.security")

RECOVERY_CODES = 10
# The user whose second factor the identity provider vouched for in this session (a sign-in
# through it, accounts.oidc); it goes with the session, at sign-out or another sign-in.
PROVIDER_SECOND_FACTOR_KEY = "accounts.second_factor_by_provider"


def needs_second_factor(user) -> bool:
    """Staff, and whoever may open the admin: everyone but citizens."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_portal_staff", False) or user.is_staff or user.is_superuser)
    )


def second_factor_given(request: HttpRequest) -> bool:
    """Whether this session's user gave their second factor: a code here (django-otp
    verified the session), or at the identity provider."""
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return True
    return user.pk is not None and request.session.get(PROVIDER_SECOND_FACTOR_KEY) == user.pk


def second_factor_by_provider(request: HttpRequest, *, user: User) -> None:
    """The identity provider says it asked for a second factor (its ID token's amr): this
    session needs no code of the portal's."""
    request.session[PROVIDER_SECOND_FACTOR_KEY] = user.pk


def has_second_factor(user) -> bool:
    return user_has_device(user, confirmed=True)


def enrolment_device(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled: made once, confirmed by its first right code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def enrolment_qr(device: TOTPDevice) -> str:
    """The authenticator's set-up address as an SVG image in a data: URL (the page's
    Content-Security-Policy allows images so, and nothing inline)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)


def enrolment_key(device: TOTPDevice) -> str:
    """The key to type into an authenticator app that cannot read the picture."""
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def enrolment_confirm(request: HttpRequest, *, user: User, code: str) -> list[str]:
    """The first right code from the app: the authenticator is confirmed, the session
    verified, and the ten recovery codes made (returned to be shown once)."""
    with transaction.atomic():
        device, waits = _matching(user, code, confirmed=False)
        if device is not None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            recovery = StaticDevice.objects.create(user=user, name=_("Recovery codes"), confirmed=True)
            codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
            StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    if device is None:
        _refuse(
            user,
            "enrolment",
            waits,
            PortalError(_("That code is not right. Type the six digits the app shows now."), code="wrong_code"),
        )
    otp_login(request, device)
    logger.warning("second factor enrolled", extra={"account": user.username})
    audit_record(
        Action.SECOND_FACTOR_ENROLLED, request=request, actor=user, object_type="account", object_id=user.username
    )
    return codes


def second_factor_verify(request: HttpRequest, *, user: User, code: str) -> None:
    """A code from the authenticator app, or one of the recovery codes (used up by it)."""
    with transaction.atomic():
        device, waits = _matching(user, code)
    if device is None:
        wrong = _("That code is not right. Type the six digits the app shows now, or one of your recovery codes.")
        _refuse(user, "sign-in", waits, PortalError(wrong, code="wrong_code"))
    otp_login(request, device)
    if isinstance(device, StaticDevice):
        logger.warning("recovery code used", extra={"account": user.username})
        audit_record(
            Action.RECOVERY_CODE_USED, request=request, actor=user, object_type="account", object_id=user.username
        )


def second_factor_check(*, user: User, code: str) -> None:
    """For the token API: the code must be right (nothing is kept in a session)."""
    with transaction.atomic():
        device, waits = _matching(user, code)
    if device is None:
        _refuse(
            user,
            "token API",
            waits,
            Forbidden(_("Staff need the code of their authenticator app (otp) for a token."), code="wrong_code"),
        )


def _matching(user: User, code: str, *, confirmed: bool = True) -> tuple[Device | None, list[float]]:
    """The device the code belongs to (or None), and how long each device that was not even
    asked must still wait. Called in a transaction, which locks the account's devices: a code
    is taken once, even by two requests at the same moment. Wrong codes make the next try
    wait, twice as long each time (django-otp's throttling); the count of a wrong code is saved
    with the transaction, so the refusal is raised after it."""
    code = "".join(str(code or "").split()).lower()
    if confirmed:
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
    else:
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False))
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            if data and data.get("locked_until"):
                waits.append((data["locked_until"] - timezone.now()).total_seconds())
            continue
        if isinstance(device, TOTPDevice) != _looks_like_app_code(code, device):
            continue  # a recovery code is not counted as a wrong app code, nor the other way
        if device.verify_token(code):
            return device, []
    return None, waits


def _refuse(user: User, where: str, waits: list[float], wrong: PortalError) -> NoReturn:
    """The code was wrong; if a device had to wait and was not asked, say how long."""
    logger.warning("second factor code wrong (%s)", where, extra={"account": user.username})
    audit_record(
        Action.SECOND_FACTOR_FAILED,
        request=current_request(),
        actor=user,
        outcome=Outcome.FAILURE,
        detail={"where": where, "waiting": bool(waits)},
    )
    if waits:
        seconds = max(1, math.ceil(max(waits)))
        raise TooManyRequests(
            _("Too many wrong codes. Wait %(seconds)s seconds before the next try.") % {"seconds": seconds},
            retry_after=seconds,
            code="wrong_code",
        )
    raise wrong


def second_factor_reset(*, user: User, by: User) -> None:
    """The phone is lost: the authenticator and the recovery codes go; the next sign-in
    enrols a new one."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    logger.warning("second factor reset", extra={"account": user.username, "by": by.username})
    audit_record(
        Action.SECOND_FACTOR_RESET, request=current_request(), actor=by, object_type="account", object_id=user.username
    )


def _looks_like_app_code(code: str, device) -> bool:
    return code.isdigit() and len(code) == getattr(device, "digits", 6)
