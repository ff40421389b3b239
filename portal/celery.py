"""The Celery app. Queue names live in services.core.queues; the router sends a task that
names a department to that department's queue, everything else to the default queue."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_default_queue = "default"
app.conf.task_routes = ("services.core.queues.route_task",)
app.autodiscover_tasks()
