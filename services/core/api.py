"""API conventions shared by every context: PortalError becomes a JSON error with a stable
code and a message in the caller's language."""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
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


class ErrorOut(serializers.Serializer):
    """The body of every refusal the API gives, whatever its status."""

    code = serializers.CharField(
        help_text="Stable, for programs: invalid_input, not_authenticated, session_expired, forbidden, "
        "second_factor_required, not_found, conflict, too_many_requests, unsupported_media_type, …"
    )
    detail = serializers.CharField(help_text="For people, in the caller's language (Accept-Language).")
    # DRF's metaclass takes declared fields off the class; the stubs read this as overriding Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input only: the messages per field (__all__ for the whole).",
    )


ERROR_DESCRIPTIONS = {
    400: "The input is not valid (the body, a parameter, or a JSON body that is not an object).",
    401: "Not signed in, or the token or session is no longer valid.",
    403: "Not allowed to the caller (or a staff session still needs its second factor).",
    404: "Not found, or not the caller's to see.",
    409: "The state of the object does not allow it (already done, or done by someone else).",
    415: "The body's media type is not one the API reads: send JSON.",
    429: "Too many requests: try again after Retry-After seconds.",
}


def error_responses(*statuses: int) -> dict:
    """Responses for extend_schema: the error body under each status an operation answers
    besides the ones every operation documents (`ContractAutoSchema`)."""
    return {status: OpenApiResponse(ErrorOut, description=ERROR_DESCRIPTIONS[status]) for status in statuses}


def json_object(data) -> dict:
    """The request's body as an object: anything else (a list, a number, a string) is refused
    with 400 before a serializer or a form looks at it."""
    if isinstance(data, Mapping):
        return data  # type: ignore[return-value]
    raise InvalidInput(_("Send a JSON object."), errors={"__all__": [_("Send a JSON object.")]})


class QuerySerializer(serializers.Serializer):
    """Query parameters checked as the schema describes them. A parameter sent empty is
    refused, not taken as left out (DRF's reading of forms would skip it)."""

    def validate(self, attrs):
        empty = [name for name, value in self.initial_data.items() if name in self.fields and value == ""]
        if empty:
            message = _("Leave out a parameter you do not use: it cannot be empty.")
            raise ValidationError({name: [message] for name in empty})
        return attrs


class PortalPagination(PageNumberPagination):
    """Pages of lists: `?page=` is a whole number from 1; anything else is refused (400), a
    page past the last is "not found" (404)."""

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            message = _("A page is a whole number from 1.")
            raise InvalidInput(message, errors={self.page_query_param: [message]})
        return raw

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters


class IdConverter:
    """A row id in an API path: at most 18 digits, so that no number the database cannot hold
    reaches a query (it is "not found" like any other)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class ReferenceConverter:
    """A case's reference number in an API path (YYYYMMDD-NNNN)."""

    regex = "[0-9]{8}-[0-9]{4,11}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def api_not_found(request, exception):
    """Django's 404 for an address no view answers: under /api/ the error body, elsewhere the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": str(_("Not found."))}, status=404)
    return page_not_found(request, exception)
