"""The Celery app. Queue names live in services.core.queues; the router sends a task that
names a department to that department's queue, everything else to the default queue.

Two things ride along with every worker: the request id of the request that queued a task
(services.core.tracing, bound while the task runs), and a heartbeat per queue it consumes
(services.core.heartbeats), which /readyz reads."""

import logging
import os
from typing import Any

from celery import Celery, bootsteps, signals
from celery.signals import before_task_publish, task_postrun, task_prerun

from services.core import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_default_queue = "default"
app.conf.task_routes = ("services.core.queues.route_task",)
app.autodiscover_tasks()


def _startup_check(role: str) -> None:
    """Celery logs and ignores what a signal's receiver raises: a wrong setting must stop it."""
    from django.core.exceptions import ImproperlyConfigured

    from services.core.startup import startup_check

    try:
        startup_check(role=role)
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from None


@signals.worker_init.connect
def _worker_starts(**kwargs) -> None:
    _startup_check("worker")


@signals.beat_init.connect
def _beat_starts(**kwargs) -> None:
    _startup_check("beat")


class QueueHeartbeat(bootsteps.StartStopStep):
    """Every HEALTH_WORKER_HEARTBEAT_SECONDS, while the consumer is connected: "a worker
    consumes these queues". It starts after the task consumer, so the queues are known, and
    stops with the connection (a worker that lost its broker consumes nothing)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None

    def start(self, parent) -> None:
        from django.conf import settings

        self.beat(parent)
        self.timer_entry = parent.timer.call_repeatedly(
            settings.HEALTH_WORKER_HEARTBEAT_SECONDS, self.beat, (parent,), priority=10
        )

    def stop(self, parent) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    shutdown = stop

    def beat(self, parent) -> None:
        from django.conf import settings

        from services.core.heartbeats import worker_heartbeat_record

        task_consumer = getattr(parent, "task_consumer", None)
        queues = [queue.name for queue in (task_consumer.queues if task_consumer else [])]
        try:
            worker_heartbeat_record(queues=queues, worker=parent.hostname, window=settings.HEALTH_WORKER_WINDOW_SECONDS)
        except Exception as exc:  # the cache is down: readiness says so; the worker works on
            logger.warning("worker heartbeat not written: %s", exc)


app.steps["consumer"].add(QueueHeartbeat)

before_task_publish.connect(tracing.task_headers_add_request_id, weak=False)
task_prerun.connect(tracing.task_request_id_bind, weak=False)
task_postrun.connect(tracing.task_request_id_unbind, weak=False)
