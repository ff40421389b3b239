"""The Celery app. Queue names live in services.core.queues; the router sends a task that
names a department to that department's queue, everything else to the default queue."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

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
