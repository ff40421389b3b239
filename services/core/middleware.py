"""Middleware of the portal's own."""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from services.core.tracing import REQUEST_ID_HEADER, request_id_bind, request_id_from_caller


class PersonalPagesNotStored:
    """Whatever is answered to someone signed in (their cases, their documents, a step with a
    citizen's data, an API answer for a token) is kept by no browser and no proxy: a shared
    computer in a service hall shows nobody the last person's data with the Back button."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "Authorization" in request.headers:
            patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response


_current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being answered in this thread, for records that a signal writes far from
    the view (an admin change): who asked and from where. None outside a request."""
    return _current_request.get()


class RequestInContext:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


class RequestId:
    """Every request gets an id (the caller's, when a proxy in front made a sane one): in its
    log lines, in the tasks it queues, in the audit trail (`request.request_id`), and in the
    answer's X-Request-ID, so that a person reporting a problem can quote it.

    The id stays bound until the answer is closed (`tracing.request_id_unbind_at_finish`, on
    request_finished): Django logs a 4xx or 5xx after the middleware has answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from_caller(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        request_id_bind(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
