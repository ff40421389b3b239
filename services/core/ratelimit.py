"""Rate limits of the portal's own endpoints (django-ratelimit's counters, in the shared
cache): `rate_limit` counts one request and refuses past the rate, with the seconds to wait
(the Retry-After header of the answer). Counted per client address as `core.net` trusts it,
or per any other key (a mobile number, an account)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from services.core.errors import TooManyRequests
from services.core.net import client_address


def rate_limit(request: HttpRequest, *, group: str, rate: str, key: str | None = None) -> None:
    """Count this request in `group` for `key` (the client's address by default); raise
    TooManyRequests when more than `rate` ("5/h", "30/m") came in the current window."""
    value = key if key is not None else client_address(request)
    usage = get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        seconds = max(int(usage["time_left"]), 1)
        raise TooManyRequests(
            _("Too many requests. Wait %(seconds)d seconds and try again.") % {"seconds": seconds},
            retry_after=seconds,
        )
