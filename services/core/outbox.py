"""The transactional outbox: `outbox_enqueue` inside the transaction that changes state,
publication after commit, a sweep for what got stuck."""

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from celery.exceptions import Retry
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from services.core.models import OutboxMessage
from services.core.queues import DEFAULT_QUEUE, department_queue
from services.core.tracing import TASK_HEADER, request_id_get

logger = logging.getLogger(__name__)


def outbox_enqueue(*, task_name: str, kwargs: dict, department_code: str | None = None) -> OutboxMessage:
    """Record that `task_name(**kwargs, outbox_id=…)` must run; publish it once the current
    transaction commits. Must be called inside that transaction."""
    queue = department_queue(department_code) if department_code else DEFAULT_QUEUE
    message = OutboxMessage.objects.create(
        task_name=task_name, kwargs=kwargs, queue=queue, request_id=request_id_get() or ""
    )
    transaction.on_commit(lambda: outbox_publish(message_ids=[message.pk]))
    return message


def outbox_publish(*, message_ids: list[int]) -> int:
    """Send the given messages to the broker. A broker that is down leaves them for the sweep."""
    # The project's Celery app (portal.celery makes itself the current one when Django starts).
    app = current_app
    published = 0
    for message in OutboxMessage.objects.filter(pk__in=message_ids, done_at__isnull=True):
        OutboxMessage.objects.filter(pk=message.pk).update(
            publish_attempts=message.publish_attempts + 1, published_at=timezone.now()
        )
        if app.conf.task_always_eager:
            # No broker to fail: a task that fails here is a bug, and must show. A task that
            # asks to run again later is left to the sweep, as a lost message would be.
            with contextlib.suppress(Retry):
                _send(app, message)
            published += 1
            continue
        try:
            _send(app, message)
        except Exception as exc:  # the broker is down or refused: the sweep will try again
            logger.warning("outbox %s not published: %s", message.pk, exc)
            OutboxMessage.objects.filter(pk=message.pk).update(published_at=None, last_error=str(exc)[:2000])
            continue
        published += 1
    return published


def _send(app, message: OutboxMessage) -> None:
    kwargs = {**message.kwargs, "outbox_id": message.pk}
    headers = {TASK_HEADER: message.request_id} if message.request_id else {}
    if app.conf.task_always_eager:
        # No broker (tests, or a run without Redis): run the task here and now.
        app.loader.import_default_modules()
        app.tasks[message.task_name].apply_async(kwargs=kwargs, queue=message.queue, headers=headers)
    else:
        # By name: the publisher need not import the task's code.
        app.send_task(message.task_name, kwargs=kwargs, queue=message.queue, headers=headers)


def outbox_mark_done(*, outbox_id: int | None) -> None:
    if outbox_id:
        OutboxMessage.objects.filter(pk=outbox_id, done_at__isnull=True).update(done_at=timezone.now())


def outbox_sweep() -> int:
    """Re-publish messages never published (their after-commit publish failed or the process
    died), or published long ago and still not done (the broker lost them)."""
    now = timezone.now()
    # A message a few seconds old is most likely being published by its own transaction.
    unpublished = Q(published_at__isnull=True, created_at__lt=now - timedelta(seconds=5))
    lost = Q(published_at__lt=now - timedelta(seconds=settings.OUTBOX_STALE_SECONDS))
    ids = list(
        OutboxMessage.objects.filter(done_at__isnull=True)
        .filter(unpublished | lost)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    return outbox_publish(message_ids=ids) if ids else 0


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int  # not done: waiting to be published, in a queue, or waiting for a retry
    unpublished: int  # not handed to the broker yet
    oldest_pending: datetime | None
    oldest_unpublished: datetime | None


def outbox_backlog() -> OutboxBacklog:
    """What the outbox holds, in one query over its partial index of unfinished messages."""
    unpublished = Q(published_at__isnull=True)
    row = OutboxMessage.objects.filter(done_at__isnull=True).aggregate(
        pending=Count("pk"),
        unpublished=Count("pk", filter=unpublished),
        oldest_pending=Min("created_at"),
        oldest_unpublished=Min("created_at", filter=unpublished),
    )
    return OutboxBacklog(**row)
