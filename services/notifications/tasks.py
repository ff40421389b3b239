from celery import shared_task
from django.db import OperationalError

from services.core.outbox import outbox_mark_done
from services.notifications import actions


@shared_task(
    name="notifications.deliver",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
    # Failed sends are counted on the Delivery row, which decides when to give up
    # (settings.NOTIFICATION_MAX_ATTEMPTS), so a re-published message cannot reset the count.
    max_retries=None,
    ignore_result=True,
)
def deliver(self, delivery_id: int, outbox_id: int | None = None) -> str:
    """Send one email or text message. The outbox message stays open until the delivery is sent
    or has failed for good, so the outbox sweep re-publishes it if the retry is lost."""
    try:
        result = actions.delivery_send(delivery_id=delivery_id)
    except actions.DeliveryRetry as exc:
        raise self.retry(exc=exc, countdown=exc.countdown) from exc
    outbox_mark_done(outbox_id=outbox_id)
    return result
