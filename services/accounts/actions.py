"""Writes of the accounts context: registering a citizen, changing a mobile number and
resetting a password, each proven with a code sent to the mobile (accounts.verification)."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.constants import UserKind
from services.accounts.models import CodePurpose, User
from services.accounts.signin import account_unlock
from services.accounts.verification import code_check, code_send, notice_send, sending_counted
from services.audit.constants import Action
from services.audit.trail import audit_record
from services.core.errors import PortalError

logger = logging.getLogger("services.security")

PENDING_REGISTRATION = "pending-registration"
PENDING_MOBILE = "pending-mobile"
PENDING_RESET = "pending-reset"


# Registration ------------------------------------------------------------------------------


def registration_start(request: HttpRequest, *, full_name: str, mobile: str, email: str, password: str) -> None:
    """Keep the citizen's details (the password hashed) until the code comes back, and send
    the code. A number that already has an account gets a text saying so instead of a code,
    and the page says the same as for any number."""
    email = (email or "").strip().lower()
    request.session[PENDING_REGISTRATION] = {
        "full_name": full_name,
        "mobile": mobile,
        "email": email,
        "password": make_password(password),
    }
    if get_user_model().objects.filter(mobile=mobile).exists():
        _taken_notice(request, mobile=mobile)
        return
    code_send(request, mobile=mobile, purpose=CodePurpose.REGISTER)


def _taken_notice(request: HttpRequest, *, mobile: str) -> None:
    notice_send(
        request,
        mobile=mobile,
        purpose=CodePurpose.REGISTER,
        body=_(
            "[One-stop government services] Someone tried to register an account with this number. "
            "It already has one: if that was you, sign in, or reset your password."
        ),
    )


def registration_resend(request: HttpRequest) -> None:
    """Another code for the registration under way (within the same limits)."""
    pending = registration_pending(request)
    if pending is None:
        raise PortalError(_("Start the registration again: it has expired."), code="no_registration")
    if get_user_model().objects.filter(mobile=pending["mobile"]).exists():
        _taken_notice(request, mobile=pending["mobile"])
        return
    code_send(request, mobile=pending["mobile"], purpose=CodePurpose.REGISTER)


def registration_pending(request: HttpRequest) -> dict | None:
    return request.session.get(PENDING_REGISTRATION)


def registration_confirm(request: HttpRequest, *, code: str) -> User:
    """The code that proves the number: the account is made, its mobile confirmed."""
    pending = registration_pending(request)
    if pending is None:
        raise PortalError(_("Start the registration again: it has expired."), code="no_registration")
    code_check(mobile=pending["mobile"], purpose=CodePurpose.REGISTER, code=code)
    users = get_user_model().objects
    if pending["email"] and users.filter(email__iexact=pending["email"]).exists():
        raise PortalError(_("An account with this email address already exists."), code="duplicate")
    user = users.model(
        username=pending["mobile"],
        mobile=pending["mobile"],
        mobile_confirmed_at=timezone.now(),
        email=pending["email"] or None,  # NULL, not "": a unique column
        full_name=pending["full_name"],
        kind=UserKind.CITIZEN,
        password=pending["password"],
    )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration took the same number or email
        raise PortalError(_("An account with these details already exists."), code="duplicate") from exc
    del request.session[PENDING_REGISTRATION]
    return user


# Change of mobile number -------------------------------------------------------------------


def mobile_change_start(request: HttpRequest, *, user: User, mobile: str) -> None:
    """Send a code to the new number (a number another account has gets a notice instead)."""
    request.session[PENDING_MOBILE] = mobile
    if get_user_model().objects.filter(mobile=mobile).exclude(pk=user.pk).exists():
        notice_send(
            request,
            mobile=mobile,
            purpose=CodePurpose.MOBILE_CHANGE,
            body=_(
                "[One-stop government services] Someone tried to move another account to this number. "
                "Nothing was changed: your account keeps it."
            ),
        )
        return
    code_send(request, mobile=mobile, purpose=CodePurpose.MOBILE_CHANGE, user=user)


def mobile_change_confirm(request: HttpRequest, *, user: User, code: str) -> User:
    mobile = request.session.get(PENDING_MOBILE)
    if not mobile:
        raise PortalError(_("Enter the new number again: the change has expired."), code="no_change")
    code_check(mobile=mobile, purpose=CodePurpose.MOBILE_CHANGE, code=code, user=user)
    try:
        with transaction.atomic():
            get_user_model().objects.filter(pk=user.pk).update(mobile=mobile, mobile_confirmed_at=timezone.now())
    except IntegrityError as exc:
        raise PortalError(_("Another account has this number."), code="duplicate") from exc
    user.refresh_from_db()
    del request.session[PENDING_MOBILE]
    logger.warning("mobile number changed", extra={"account": user.username})
    audit_record(Action.MOBILE_CHANGED, request=request, actor=user, object_type="account", object_id=user.username)
    return user


# Password reset ----------------------------------------------------------------------------


def password_reset_start(request: HttpRequest, *, mobile: str) -> None:
    """A code to the number, if an active account has it; the page says the same either way."""
    request.session[PENDING_RESET] = mobile
    user = get_user_model().objects.filter(mobile=mobile, is_active=True).first()
    if user is None:
        sending_counted(request, mobile=mobile, purpose=CodePurpose.PASSWORD_RESET)  # as if a text went
        return
    code_send(request, mobile=mobile, purpose=CodePurpose.PASSWORD_RESET, user=user)


def password_reset_pending(request: HttpRequest) -> str | None:
    return request.session.get(PENDING_RESET)


def password_reset_confirm(request: HttpRequest, *, code: str, password: str) -> User:
    """The code proves the number: the new password is set, the mobile counts as confirmed,
    and a sign-in lock of the account is lifted (its owner has proven who they are)."""
    mobile = password_reset_pending(request)
    if not mobile:
        raise PortalError(_("Enter your mobile number again: the reset has expired."), code="no_reset")
    phone_code = code_check(mobile=mobile, purpose=CodePurpose.PASSWORD_RESET, code=code)
    user = phone_code.user
    if user is None:  # a reset code is only ever sent for an account
        raise PortalError(_("Enter your mobile number again: the reset has expired."), code="no_reset")
    user.set_password(password)
    user.mobile_confirmed_at = user.mobile_confirmed_at or timezone.now()
    user.save(update_fields=["password", "mobile_confirmed_at"])
    account_unlock(user=user, by=user)
    del request.session[PENDING_RESET]
    logger.warning("password reset with a code sent to the mobile", extra={"account": user.username})
    audit_record(Action.PASSWORD_RESET, request=request, actor=user, object_type="account", object_id=user.username)
    return user
