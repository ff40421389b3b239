"""Prometheus metrics (prometheus-client). Two kinds:

- measured in the web process as requests pass: the latency of every request by view
  (`RequestMetrics`), labelled by the resolved URL name, never the path, so the number of
  series stays that of the views. Under gunicorn's several workers each keeps its own, and
  with PROMETHEUS_MULTIPROC_DIR set (portal.gunicorn_config cleans up after a worker that
  ends) the answer adds them up.
- read at scrape time (`PortalCollector`), from the database and the broker, in a handful of
  grouped queries whatever the number of cases: messages waiting per queue, the outbox's
  backlog and age, open steps by department and deadline state, notification deliveries
  that failed or wait for a retry, open security alerts, and which queues have a live worker.

The names are listed in docs/operations.md.
"""

import logging
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from portal.celery import app as celery_app
from services.accounts.selectors import queue_names_all
from services.casework.constants import DeadlineState
from services.casework.selectors import steps_open_by_deadline_state
from services.core.broker import queue_depths
from services.core.heartbeats import worker_heartbeats
from services.core.outbox import outbox_backlog
from services.core.queues import DEFAULT_QUEUE, DEPARTMENT_QUEUE_PREFIX
from services.monitoring.selectors import alerts_open_by_rule, rule_labels
from services.notifications.models import Channel
from services.notifications.selectors import deliveries_failing_by_channel

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request, by view (resolved URL name), method and status.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request: HttpRequest) -> str:
    """The view's URL name (with its namespace). A request that a middleware answered before
    the URL was resolved is resolved here; a path that names no view is "unresolved"."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        if request.path_info.startswith(settings.STATIC_URL):
            return "static"
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unresolved"
    return match.view_name or "unnamed"


class RequestMetrics:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        REQUEST_LATENCY.labels(view_label(request), method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


class PortalCollector:
    """The figures read at scrape time. A source that fails (the database, the broker) is
    reported by `portal_metrics_source_up` and leaves the others standing."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "portal_metrics_source_up", "Whether a source of these metrics answered.", labels=["source"]
        )
        try:
            queues = queue_names_all()
        except Exception:
            queues = [DEFAULT_QUEUE]  # the database is down: the default queue is still worth a look
        try:
            # Each figure is read whole before it is given, so a failure leaves out whole figures.
            figures = list(self._database(queues))
            up.add_metric(["database"], 1)
        except Exception as exc:
            logger.warning("metrics: the database did not answer: %r", exc)
            figures = []
            up.add_metric(["database"], 0)
        yield from figures
        if not celery_app.conf.task_always_eager:
            for source, read in (("broker", self._broker), ("heartbeats", self._heartbeats)):
                try:
                    figures = list(read(queues))
                    up.add_metric([source], 1)
                except Exception as exc:
                    logger.warning("metrics: %s did not answer: %r", source, exc)
                    figures = []
                    up.add_metric([source], 0)
                yield from figures
        yield up

    def _database(self, queues: list[str]) -> Iterator[Metric]:
        now = timezone.now()
        backlog = outbox_backlog()
        yield GaugeMetricFamily(
            "portal_outbox_pending_messages",
            "Outbox messages not done: waiting to be published, queued, or waiting for a retry.",
            value=backlog.pending,
        )
        yield GaugeMetricFamily(
            "portal_outbox_unpublished_messages",
            "Outbox messages not handed to the broker yet.",
            value=backlog.unpublished,
        )
        for name, oldest, what in (
            ("portal_outbox_oldest_pending_age_seconds", backlog.oldest_pending, "not done"),
            ("portal_outbox_oldest_unpublished_age_seconds", backlog.oldest_unpublished, "not published"),
        ):
            age = (now - oldest).total_seconds() if oldest else 0.0
            yield GaugeMetricFamily(
                name, f"Age of the oldest outbox message {what} (0 when none).", value=max(0.0, age)
            )

        steps = GaugeMetricFamily(
            "portal_steps_open", "Open steps by department and deadline state.", labels=["department", "deadline_state"]
        )
        counts = steps_open_by_deadline_state()
        departments = sorted(
            {
                queue.removeprefix(DEPARTMENT_QUEUE_PREFIX)
                for queue in queues
                if queue.startswith(DEPARTMENT_QUEUE_PREFIX)
            }
            | {department for department, _state in counts}
        )
        for department in departments:
            for state in DeadlineState.values:
                steps.add_metric([department, state], counts.get((department, state), 0))
        yield steps

        failing = deliveries_failing_by_channel()
        failed = GaugeMetricFamily(
            "portal_notification_deliveries_failed", "Deliveries that failed for good, by channel.", labels=["channel"]
        )
        retrying = GaugeMetricFamily(
            "portal_notification_deliveries_retrying",
            "Deliveries that failed and wait for another try, by channel.",
            labels=["channel"],
        )
        for channel in Channel.values:
            failed.add_metric([channel], failing.get(channel, {}).get("failed", 0))
            retrying.add_metric([channel], failing.get(channel, {}).get("retrying", 0))
        yield failed
        yield retrying

        alerts = GaugeMetricFamily("portal_security_alerts_open", "Open security alerts, by rule.", labels=["rule"])
        open_alerts = alerts_open_by_rule()
        for rule in sorted(set(rule_labels()) | set(open_alerts)):
            alerts.add_metric([rule], open_alerts.get(rule, 0))
        yield alerts

    def _broker(self, queues: list[str]) -> Iterator[Metric]:
        depths = queue_depths(url=celery_app.conf.broker_url, queues=queues, timeout=settings.HEALTH_CHECK_TIMEOUT)
        family = GaugeMetricFamily(
            "portal_queue_messages", "Messages waiting in each queue of the broker.", labels=["queue"]
        )
        for queue in queues:
            family.add_metric([queue], depths.get(queue, 0))
        yield family

    def _heartbeats(self, queues: list[str]) -> Iterator[Metric]:
        alive = worker_heartbeats(queues=queues, window=settings.HEALTH_WORKER_WINDOW_SECONDS)
        family = GaugeMetricFamily(
            "portal_queue_worker_up", "Whether a worker consuming the queue was seen lately.", labels=["queue"]
        )
        for queue in queues:
            family.add_metric([queue], 1 if alive.get(queue) else 0)
        yield family


# Read at scrape time only: no describe(), and not auto-described, so registering reads nothing.
PORTAL_REGISTRY = CollectorRegistry(auto_describe=False)
PORTAL_REGISTRY.register(PortalCollector())


def metrics_exposition() -> tuple[bytes, str]:
    """The text Prometheus reads: this process's measurements (or all gunicorn workers' with
    PROMETHEUS_MULTIPROC_DIR), then the figures read now."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        measured = CollectorRegistry()
        MultiProcessCollector(measured)
    else:
        measured = REGISTRY
    return generate_latest(measured) + generate_latest(PORTAL_REGISTRY), CONTENT_TYPE_LATEST
