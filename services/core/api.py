"""API conventions shared by every context: PortalError becomes a JSON error with a stable
code and a message in the caller's language."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from services.core.errors import InvalidInput, PortalError, TooManyRequests
from services.core.net import client_address


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        # Serializer errors in the same shape as every other refusal.
        detail = exc.detail if isinstance(exc.detail, dict) else {"__all__": exc.detail}
        errors = {
            ("__all__" if name == "non_field_errors" else name): _messages(value) for name, value in detail.items()
        }
        messages = [m for field in errors.values() for m in field]
        summary = messages[0] if len(messages) == 1 else _("Some of the input needs your attention.")
        return Response({"code": "invalid_input", "detail": summary, "errors": errors}, status=400)
    if isinstance(exc, ParseError):
        # The parser's own words (a JSON decoder's position, in English) help nobody reading
        # the refusal in Chinese.
        return Response(
            {
                "code": "parse_error",
                "detail": _(
                    "The request could not be read: check that it is well-formed JSON (or a form, for a file)."
                ),
            },
            status=400,
        )
    if isinstance(exc, RequestDataTooBig):
        # Django would answer with its bare HTML page; an API client reads JSON.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024 // 1024
        return Response(
            {
                "code": "too_large",
                "detail": _("The request is too large: send at most %(limit)d MB.") % {"limit": limit},
            },
            status=413,
        )
    if isinstance(exc, PortalError):
        body: dict[str, object] = {"code": exc.code, "detail": str(exc.message)}
        if isinstance(exc, InvalidInput):
            body["errors"] = exc.errors
        refusal = Response(body, status=exc.status)
        if isinstance(exc, TooManyRequests) and exc.retry_after:
            refusal["Retry-After"] = str(exc.retry_after)
        return refusal
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", getattr(response.data["detail"], "code", "error"))
    return response


class AddressRateThrottle(ScopedRateThrottle):
    """DRF's scoped rate limit, counted per client address as `core.net` trusts it (DRF's
    own reading of X-Forwarded-For would believe any client)."""

    def get_ident(self, request) -> str:
        return client_address(request)
