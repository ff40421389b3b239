"""API tokens (django-rest-knox): issued by `POST /api/v1/auth/token/`, kept as a digest only,
expiring (a citizen's after API_TOKEN_DAYS_CITIZEN days, a staff member's after
API_TOKEN_HOURS_STAFF hours, never prolonged by use), listed on the owner's devices page, and
revoked there or by `POST /api/v1/auth/logout/`. An expired or revoked token answers 401."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from services.accounts.models import ApiToken, User
from services.audit.constants import Action
from services.audit.trail import audit_record
from services.core.middleware import current_request

logger = logging.getLogger("services.security")

# How often a token's "last used" is written: not on every request.
LAST_USED_EVERY = timedelta(minutes=5)


def token_lifetime(*, user: User) -> timedelta:
    if user.is_portal_staff or user.is_staff:
        return timedelta(hours=settings.API_TOKEN_HOURS_STAFF)
    return timedelta(days=settings.API_TOKEN_DAYS_CITIZEN)


def token_issue(*, user: User, device: str = "") -> tuple[ApiToken, str]:
    """A new token for one device; beyond API_TOKENS_PER_ACCOUNT the oldest are revoked.
    Returns the token and its secret, which is shown this once and never kept."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per account
        token, secret = ApiToken.objects.create(user=user, expiry=token_lifetime(user=user), device=device[:100])
        surplus = tokens_of(user=user)[settings.API_TOKENS_PER_ACCOUNT :]
        if surplus:
            ApiToken.objects.filter(digest__in=[old.digest for old in surplus]).delete()
    logger.info("API token issued", extra={"account": user.username, "token": token.token_key[:8]})
    audit_record(
        Action.TOKEN_ISSUED,
        request=current_request(),
        actor=user,
        object_type="token",
        object_id=token.token_key[:8],
        detail={"device": token.device, "expiry": token.expiry.isoformat()},
    )
    return token, secret


def tokens_of(*, user: User) -> list[ApiToken]:
    """The account's tokens still in force, newest first (expired ones are deleted)."""
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return list(ApiToken.objects.filter(user=user).order_by("-created"))


def token_revoke(*, user: User, token_key: str) -> bool:
    """Revoke one of the account's own tokens (by the first characters the devices page shows)."""
    deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    if deleted:
        logger.warning("API token revoked", extra={"account": user.username, "token": token_key[:8]})
        audit_record(
            Action.TOKEN_REVOKED, request=current_request(), actor=user, object_type="token", object_id=token_key[:8]
        )
    return bool(deleted)


def tokens_revoke_all(*, user: User) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    logger.warning("all API tokens revoked", extra={"account": user.username, "count": deleted})
    audit_record(
        Action.TOKEN_REVOKED, request=current_request(), actor=user, object_type="token", detail={"all": deleted}
    )
    return deleted


class PortalTokenAuthentication(TokenAuthentication):
    """knox's token check, saying in the user's language why a token is refused, and noting
    (now and then) when the token was last used, for the devices page."""

    def authenticate(self, request):
        # The rate limits (portal.ratelimits) may have checked this request's token already.
        checked = getattr(getattr(request, "_request", request), "_token_checked", None)
        if checked:
            return checked
        return super().authenticate(request)

    def authenticate_credentials(self, token: bytes):
        try:
            user, auth_token = super().authenticate_credentials(token)
        except exceptions.AuthenticationFailed as exc:
            raise exceptions.AuthenticationFailed(
                _("This token is not valid: it has expired or was revoked. Ask for a new one by signing in.")
            ) from exc
        now = timezone.now()
        if auth_token.last_used_at is None or now - auth_token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(digest=auth_token.digest).update(last_used_at=now)
        return user, auth_token

    def _cleanup_token(self, auth_token) -> bool:
        """Refuse (and delete) this token if it has expired. knox would also read every other
        token of the account on every request to delete the expired ones: a second query per
        API call. Those are deleted when the account's tokens are listed or issued, and by the
        daily `accounts.prune`."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


def tokens_prune() -> int:
    """Delete every expired token (they are refused anyway: this keeps the table small)."""
    deleted, _ = ApiToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


def token_owner(request) -> User | None:
    """The owner of the valid API token a request carries (None without one, or with one that
    is refused: the API answers that itself). Checked once per request."""
    if not hasattr(request, "_token_checked"):
        checked = None
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token "):
            try:
                checked = PortalTokenAuthentication().authenticate(request)
            except exceptions.AuthenticationFailed:
                checked = None
        request._token_checked = checked
    return request._token_checked[0] if request._token_checked else None
