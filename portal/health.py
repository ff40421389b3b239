"""Health for load balancers and metrics for Prometheus, answered first in the middleware
chain: a probe from a balancer names no allowed host, carries no session and speaks plain
http to the backend, so the host check, the https redirect, sessions, the second factor and
the rate limits must not stand in its way (and nothing of theirs is needed).

- `/healthz`: the process is alive and answers (touches nothing else).
- `/readyz`: ready for traffic. The database answers, the broker answers, every queue has a
  live worker (services.core.heartbeats), and no outbox message has waited longer than
  HEALTH_OUTBOX_LAG_SECONDS to be handed to the broker. 200 when all hold, 503 otherwise;
  JSON with each check's state, and no personal data nor any address or error text.
- `/metrics`: Prometheus's text format (portal.metrics), for a bearer token or an allowed
  address only.
"""

import hmac
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from portal.celery import app as celery_app
from services.accounts.selectors import queue_names_all
from services.core.broker import broker_check
from services.core.heartbeats import worker_heartbeats
from services.core.net import client_address
from services.core.outbox import outbox_backlog
from services.core.queues import DEFAULT_QUEUE

logger = logging.getLogger(__name__)

OK, FAILING, SKIPPED = "ok", "failing", "skipped"


def _failure(exc: Exception) -> dict[str, Any]:
    # The kind of error only: its text may name hosts, ports or users.
    logger.warning("readiness check failed: %r", exc)
    return {"state": FAILING, "error": type(exc).__name__}


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        # A connection broken by a restart is dropped now, so the next probe opens a new one.
        connection.close()
        return _failure(exc)
    return {"state": OK}


def _broker_in_use() -> bool:
    # Without a broker (tests, a run without Redis) tasks run in the process that queues them.
    return not celery_app.conf.task_always_eager


def check_broker() -> dict[str, Any]:
    if not _broker_in_use():
        return {"state": SKIPPED}
    try:
        broker_check(url=celery_app.conf.broker_url, timeout=settings.HEALTH_CHECK_TIMEOUT)
    except Exception as exc:
        return _failure(exc)
    return {"state": OK}


def check_workers() -> dict[str, Any]:
    if not _broker_in_use():
        return {"state": SKIPPED}
    try:
        queues = queue_names_all()
    except Exception:
        queues = [DEFAULT_QUEUE]  # the database is down (its own check says so); still look at the default
    try:
        alive = worker_heartbeats(queues=queues, window=settings.HEALTH_WORKER_WINDOW_SECONDS)
    except Exception as exc:
        return _failure(exc)
    without = sorted(queue for queue, worker in alive.items() if worker is None)
    if without:
        return {"state": FAILING, "queues_without_worker": without}
    return {"state": OK, "queues": len(queues)}


def check_outbox() -> dict[str, Any]:
    try:
        backlog = outbox_backlog()
    except Exception as exc:
        return _failure(exc)
    oldest = backlog.oldest_unpublished
    lag = max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0
    state = OK if lag <= settings.HEALTH_OUTBOX_LAG_SECONDS else FAILING
    return {"state": state, "unpublished": backlog.unpublished, "lag_seconds": round(lag, 1)}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "broker": check_broker,
    "workers": check_workers,
    "outbox": check_outbox,
}


def readiness() -> tuple[bool, dict[str, Any]]:
    started = time.monotonic()
    checks = {name: check() for name, check in CHECKS.items()}
    ready = all(check["state"] != FAILING for check in checks.values())
    seconds = round(time.monotonic() - started, 3)
    return ready, {"status": "ready" if ready else "unready", "checks": checks, "seconds": seconds}


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "alive"})


def readyz(request: HttpRequest) -> HttpResponse:
    ready, body = readiness()
    return JsonResponse(body, status=200 if ready else 503)


def _address_allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_ADDRESSES:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_given(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), expected)


def metrics(request: HttpRequest) -> HttpResponse:
    from portal.metrics import metrics_exposition

    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_ADDRESSES:
        return _plain(_("The metrics are not switched on here."), status=404)
    if not (_token_given(request) or _address_allowed(request)):
        response = _plain(_("The metrics need a valid token."), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)


def _plain(message: str, *, status: int) -> HttpResponse:
    return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})


ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics,
}


class OperationalEndpoints:
    """Answers /healthz, /readyz and /metrics (with or without a trailing slash) before the
    rest of the middleware; passes every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if endpoint is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
            return response
        # In the caller's language, as LocaleMiddleware (not reached) would have chosen.
        with translation.override(translation.get_language_from_request(request)):
            response = endpoint(request)
        add_never_cache_headers(response)
        return response
