"""API conventions shared by every context: PortalError becomes a JSON error with a stable
code and a message in the caller's language."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from services.core.errors import InvalidInput, PortalError


def exception_handler(exc, context):
    if isinstance(exc, PortalError):
        body = {"code": exc.code, "detail": str(exc.message)}
        if isinstance(exc, InvalidInput):
            body["errors"] = exc.errors
        return Response(body, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", getattr(response.data["detail"], "code", "error"))
    return response
