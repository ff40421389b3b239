from celery import shared_task

from services.core import outbox


@shared_task(name="core.outbox_sweep", acks_late=True, ignore_result=True)
def outbox_sweep() -> int:
    return outbox.outbox_sweep()
