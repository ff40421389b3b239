"""Staff sign-in through the government's identity provider (OpenID Connect, the
authorization-code flow with PKCE, through mozilla-django-oidc). Off unless
OIDC_RP_CLIENT_ID is set.

- The provider is named by its issuer; its endpoints and keys come from its discovery
  document, kept an hour in the cache. The ID token must come from that issuer, for this
  client, and the userinfo must be of the same subject.
- An account is found by the provider's issuer and subject (`ProviderAccount`), never by an
  email or a name, which can be changed or made up. The first sign-in makes a staff account
  (never a citizen's, and never one linked to a citizen: that is refused).
- The provider's groups claim (OIDC_GROUPS_CLAIM) gives the roles, through the groups a
  system administrator maps in the admin (`ProviderGroup`). The roles that came from the
  provider are synced at each sign-in, added and removed; roles given in the portal itself
  are left alone.
- Whoever's groups give no role gets no account and no session, but a page that says so
  (`SignInRefused`); the refusal is in the security log.
- An ID token whose `amr` names one of OIDC_MFA_AMR counts as the second factor for the
  session (`second_factor.second_factor_by_provider`); any other sign-in is asked for the
  portal's own (an authenticator app), as after a password."""

import hashlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from services.accounts.constants import UserKind
from services.accounts.models import Membership, ProviderAccount, ProviderGroup, User
from services.audit.constants import Action
from services.audit.models import Outcome
from services.audit.trail import audit_record
from services.core.errors import Forbidden, PortalError
from services.core.middleware import current_request

logger = logging.getLogger("services.security")

DISCOVERY_SECONDS = 3600
DISCOVERY_REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
# The ID token of a session that came through the provider: the hint its sign-out page needs.
PROVIDER_SESSION_HINT = "accounts.provider_id_token"


def identity_provider_enabled() -> bool:
    """Whether staff may sign in through the identity provider (settings check the rest)."""
    return bool(settings.OIDC_RP_CLIENT_ID and settings.OIDC_OP_ISSUER)


class ProviderUnavailable(PortalError):
    code = "identity_provider_unavailable"
    status = 503


class SignInRefused(Forbidden):
    """The provider knows the person, but the portal lets them in as nobody."""

    def __init__(self, message, *, code: str, groups: list[str] | None = None):
        super().__init__(message, code=code)
        self.groups = groups or []


@dataclass(frozen=True)
class ProviderConfiguration:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""  # none: the provider offers no sign-out for the portal to send people to


def provider_configuration() -> ProviderConfiguration:
    """The provider's endpoints, from its discovery document (ISSUER/.well-known/openid-configuration)."""
    issuer = settings.OIDC_OP_ISSUER
    key = f"accounts:oidc-discovery:{issuer}"
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            logger.error("identity provider discovery failed", extra={"issuer": issuer, "error": str(exc)})
            raise ProviderUnavailable(_unavailable()) from exc
        missing = [name for name in DISCOVERY_REQUIRED if not isinstance(document.get(name), str)]
        # The document must be the issuer's own (OpenID Connect Discovery 1.0, section 4.3).
        if missing or document["issuer"].rstrip("/") != issuer:
            logger.error(
                "identity provider discovery document refused",
                extra={"issuer": issuer, "named": document.get("issuer"), "missing": missing},
            )
            raise ProviderUnavailable(_unavailable())
        cache.set(key, document, DISCOVERY_SECONDS)
    return ProviderConfiguration(
        **{name: document[name] for name in DISCOVERY_REQUIRED},
        end_session_endpoint=document.get("end_session_endpoint") or "",
    )


def _unavailable() -> str:
    return _("The government account service cannot be reached now. Try again later, or sign in with your password.")


@dataclass
class ProviderSignIn:
    """What the callback keeps in the session once the person is signed in."""

    id_token: str
    second_factor: bool
    amr: list[str] = field(default_factory=list)


class GovernmentAccountBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, with the provider found by discovery, the ID token
    checked for its issuer and audience, accounts found by subject, and roles from groups."""

    def __init__(self, *args, **kwargs) -> None:
        # Django makes a backend for every sign-in, password ones too: the provider is asked
        # nothing (and its settings are not read) until its own callback calls.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not identity_provider_enabled():
            return None  # not the provider's callback (a password, a token), or the provider is off
        self.provider = provider_configuration()
        self.OIDC_OP_TOKEN_ENDPOINT = self.provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.provider.jwks_uri
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            # The code was refused (used twice, too old) or the provider did not answer.
            logger.warning("identity provider sign-in failed", extra={"error": str(exc)})
            return None

    def store_tokens(self, access_token, id_token) -> None:
        """Nothing is kept before the sign-in is done (the callback keeps the ID token)."""

    def get_or_create_user(self, access_token, id_token, payload):
        self._check_id_token(payload)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload["sub"]:
            raise SuspiciousOperation("the userinfo is of another subject than the ID token")
        methods = payload.get("amr")
        amr = [method for method in methods if isinstance(method, str)] if isinstance(methods, list) else []
        user = provider_sign_in(issuer=self.provider.issuer, claims={**payload, **userinfo})
        second_factor = bool(set(amr) & set(settings.OIDC_MFA_AMR))
        self.request.identity_provider_sign_in = ProviderSignIn(id_token=id_token, second_factor=second_factor, amr=amr)
        logger.info(
            "signed in through the identity provider",
            extra={"account": user.username, "amr": amr, "second_factor": "provider" if second_factor else "portal"},
        )
        return user

    def _check_id_token(self, payload: dict) -> None:
        """What mozilla-django-oidc leaves to us (it checks the signature, expiry and nonce):
        the token is the configured issuer's, for this client, about someone."""
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        problems = []
        if payload.get("iss") != self.provider.issuer:
            problems.append("issuer")
        if self.OIDC_RP_CLIENT_ID not in audiences:
            problems.append("audience")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            problems.append("authorized party")
        if not isinstance(payload.get("sub"), str) or not payload["sub"] or "exp" not in payload:
            problems.append("subject or expiry")
        if problems:
            logger.warning("identity provider ID token refused", extra={"problems": problems})
            raise SuspiciousOperation(f"ID token refused: {', '.join(problems)}")


# Accounts and roles ------------------------------------------------------------------------


def provider_groups(claims: dict) -> list[str]:
    """The groups the provider says the person is in (OIDC_GROUPS_CLAIM: a list, or one name)."""
    value = claims.get(settings.OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return sorted({group for group in value if isinstance(group, str) and group})


def roles_of_groups(groups: list[str]) -> set[tuple[int | None, str]]:
    """(department id or None for a city-wide role, role) for each role the groups give."""
    return set(ProviderGroup.objects.filter(group__in=groups).values_list("department_id", "role"))


def provider_sign_in(*, issuer: str, claims: dict) -> User:
    """The staff account the provider's subject signs in as, made at the first sign-in, with
    the roles its groups give now. Refused (SignInRefused) when the groups give no role, or
    when the subject is linked to an account that is not staff."""
    subject = claims["sub"]
    groups = provider_groups(claims)
    roles = roles_of_groups(groups)
    account = ProviderAccount.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    seen = {"issuer": issuer, "subject": subject, "groups": groups}
    if account is not None and not account.user.is_portal_staff:
        logger.warning("identity provider sign-in refused: linked to an account that is not staff", extra=seen)
        _refused_audit(issuer, subject, "not_staff", groups)
        raise SignInRefused(
            _("This government account is linked to an account that is not a staff account, so it cannot sign in."),
            code="not_staff",
            groups=groups,
        )
    if not roles:
        if account is not None:
            memberships_sync(user=account.user, roles=set())  # what the provider took away goes
        logger.warning("identity provider sign-in refused: no group maps to a role", extra=seen)
        _refused_audit(issuer, subject, "no_role", groups)
        raise SignInRefused(
            _("Your groups at the government's identity provider give you no role in this portal."),
            code="no_role",
            groups=groups,
        )
    with transaction.atomic():
        if account is None:
            user = get_user_model()(
                username=_new_username(claims, digest=_digest(issuer, subject)),
                kind=UserKind.STAFF,
                full_name=_name(claims),
            )
            user.set_unusable_password()  # it signs in through the provider only
            user.save()
            account = ProviderAccount.objects.create(user=user, issuer=issuer, subject=subject)
            logger.warning("staff account made at its first sign-in through the identity provider", extra=seen)
        user = account.user
        if _name(claims) and user.full_name != _name(claims):
            user.full_name = _name(claims)
            user.save(update_fields=["full_name"])
        account.last_sign_in_at = timezone.now()
        account.save(update_fields=["last_sign_in_at"])
        memberships_sync(user=user, roles=roles)
    return user


def memberships_sync(*, user: User, roles: set[tuple[int | None, str]]) -> None:
    """The user's roles from the provider become `roles`: the ones it no longer gives go, the
    new ones come. Roles given in the portal itself are neither removed nor duplicated."""
    from_provider = {(m.department_id, m.role): m.pk for m in user.memberships.filter(from_provider=True)}
    own = set(user.memberships.filter(from_provider=False).values_list("department_id", "role"))
    gone = [pk for role, pk in from_provider.items() if role not in roles]
    new = roles - from_provider.keys() - own
    if gone:
        Membership.objects.filter(pk__in=gone).delete()
    Membership.objects.bulk_create(
        [Membership(user=user, department_id=department, role=role, from_provider=True) for department, role in new]
    )
    for department, role in sorted(new, key=str):
        audit_record(
            Action.MEMBERSHIP_ADDED,
            request=current_request(),
            object_type="account",
            object_id=user.username,
            detail={"role": role, "department_id": department, "from": "identity provider"},
        )
    if gone or new:
        logger.warning(
            "staff roles synced from the identity provider",
            extra={"account": user.username, "added": sorted(map(str, new)), "removed": len(gone)},
        )


def _refused_audit(issuer: str, subject: str, reason: str, groups: list[str]) -> None:
    audit_record(
        Action.SIGN_IN_FAILED,
        request=current_request(),
        actor_name=f"oidc:{_digest(issuer, subject)}",
        outcome=Outcome.REFUSED,
        detail={"via": "identity provider", "reason": reason, "groups": groups[:20]},
    )


def _digest(issuer: str, subject: str) -> str:
    return hashlib.sha256(f"{issuer} {subject}".encode()).hexdigest()[:10]


def _name(claims: dict) -> str:
    name = claims.get("name")
    return name.strip()[:100] if isinstance(name, str) else ""


def _new_username(claims: dict, *, digest: str) -> str:
    """The provider's user name when it is free, starts with a letter and has no "@" (so it
    is never a mobile number or an email, which citizens sign in with); otherwise one made
    from the subject. Nothing is matched by it: it is only a name to show."""
    users = get_user_model().objects
    wanted = claims.get("preferred_username")
    candidates = [f"gov.{digest}"]
    if isinstance(wanted, str) and wanted[:1].isalpha() and "@" not in wanted:
        wanted = "".join(ch for ch in wanted if ch.isalnum() or ch in "._+-")[:120]
        candidates = [wanted, f"{wanted}.{digest}", *candidates]
    for candidate in candidates:
        if not users.filter(username=candidate).exists():
            return candidate
    return f"gov.{digest}.{timezone.now():%Y%m%d%H%M%S%f}"


def provider_sign_out_url(request, *, after: str) -> str | None:
    """Where to send someone signing out of a session that came through the provider, so that
    the provider's session ends too (a shared computer keeps nobody signed in there): its
    end-session endpoint, back to `after`. None when there is nothing to end there."""
    id_token = request.session.get(PROVIDER_SESSION_HINT)
    if not id_token or not identity_provider_enabled():
        return None
    try:
        endpoint = provider_configuration().end_session_endpoint
    except ProviderUnavailable:
        return None  # signed out of the portal all the same
    if not endpoint:
        return None
    query = urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": after, "client_id": settings.OIDC_RP_CLIENT_ID}
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
