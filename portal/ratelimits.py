"""Rate limits of the portal's endpoints, in one table: which views are limited, counted per
client address or per account, at the rate RATE_LIMITS names (settings, from the environment).
The sign-in paths have their own guard (accounts.signin); the codes sent by text message and
the identity binding count per number as well (accounts.verification, records.actions).

`RateLimits` asks the table before a view runs: past the rate, a page answers 429 with the
429 page and a Retry-After header, the API its error body with the same header."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from services.accounts.tokens import token_owner
from services.core.errors import TooManyRequests
from services.core.ratelimit import rate_limit

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANY_METHOD = frozenset({"GET", "HEAD", "OPTIONS", *UNSAFE})


@dataclass(frozen=True)
class Limit:
    group: str  # a key of settings.RATE_LIMITS
    views: frozenset[str]  # URL names ("namespace:name")
    methods: frozenset[str] = ANY_METHOD
    per: str = "address"  # or "account"
    kwargs: dict = field(default_factory=dict)  # URL arguments the limit is for (all, if empty)

    def applies(self, request: HttpRequest, view_name: str, view_kwargs: dict) -> bool:
        return (
            view_name in self.views
            and request.method in self.methods
            and all(view_kwargs.get(name) == value for name, value in self.kwargs.items())
        )


LIMITS = [
    # Public: anyone may check a licence or read the open data, but not by the thousand.
    Limit("verify", frozenset({"records:verify", "records:verify-code", "api:licence-verify"})),
    Limit("open-data", frozenset({"analytics:open-data", "api:open-statistics"})),
    # A submission makes a case that departments work on.
    Limit(
        "submit",
        frozenset({"applications:apply-page"}),
        methods=frozenset({"POST"}),
        per="account",
        kwargs={"page": "check"},
    ),
    Limit("submit", frozenset({"api:application-list"}), methods=frozenset({"POST"}), per="account"),
    # Each reveal shows a resident's personal data in full.
    Limit("reveal", frozenset({"casework:reveal", "api:task-reveal"}), methods=frozenset({"POST"}), per="account"),
]

# Every other change (a form sent, an API write) counts towards a general limit, per account or,
# for someone not signed in, per address; signing in has its own guard and is not counted.
SIGN_IN_VIEWS = frozenset({"accounts:login", "admin:login", "api:auth-token"})


def limits_for(request: HttpRequest, view_name: str, view_kwargs: dict) -> list[tuple[str, str | None]]:
    """(group, key) of each limit this request counts towards; key None is the address."""
    applying = [limit for limit in LIMITS if limit.applies(request, view_name, view_kwargs)]
    writes = request.method in UNSAFE and view_name not in SIGN_IN_VIEWS
    if not applying and not writes:
        return []
    account = _account(request)
    found: list[tuple[str, str | None]] = [
        (limit.group, f"user:{account}" if limit.per == "account" and account else None) for limit in applying
    ]
    if writes:
        found.append(("writes", f"user:{account}") if account else ("writes-anonymous", None))
    return found


def _account(request: HttpRequest) -> str | None:
    """The account a request counts for: signed in, or the owner of a valid API token (checked
    here once: DRF's authentication takes the same answer). A request with no valid token counts
    for its address."""
    if request.user.is_authenticated:
        return str(request.user.pk)
    owner = token_owner(request)
    return str(owner.pk) if owner else None


def limited(view_name: str, method: str) -> bool:
    """Whether any limit counts a request of this method to this view (the API schema
    documents its 429)."""
    return (method in UNSAFE and view_name not in SIGN_IN_VIEWS) or any(
        view_name in limit.views and method in limit.methods for limit in LIMITS
    )


class RateLimits:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match is None:
            return None
        try:
            for group, key in limits_for(request, match.view_name, view_kwargs):
                rate_limit(request, group=group, key=key, rate=settings.RATE_LIMITS[group])
        except TooManyRequests as refusal:
            return _refused(request, refusal)
        return None


def _refused(request: HttpRequest, refusal: TooManyRequests) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"code": refusal.code, "detail": str(refusal.message)}, status=429)
    else:
        response = render(request, "429.html", {"message": refusal.message}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response
