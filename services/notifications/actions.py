"""Messages to people: an in-app notification, stored with a kind and parameters and written
out in the reader's language when shown, and an email and a text message to those who gave an
address, sent by the worker through the backends in settings.NOTIFICATION_BACKENDS. Other apps
send through `notify`."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from services.core.errors import NotFound
from services.core.outbox import outbox_enqueue
from services.notifications import messages
from services.notifications.backends import backend_for
from services.notifications.models import Channel, Delivery, DeliveryStatus, Notification

logger = logging.getLogger(__name__)

DELIVER_TASK = "notifications.deliver"


def _outside_channels(user) -> list[tuple[str, str]]:
    """(channel, address) for every channel outside the portal this person can be reached on."""
    if not user.is_active:
        return []
    channels: list[tuple[str, str]] = []
    if user.email:
        channels.append((Channel.EMAIL, user.email))
    if user.mobile:
        channels.append((Channel.SMS, user.mobile))
    return channels


def notify(*, recipients, kind: str, params: dict | None = None, link: str = "") -> int:
    """An in-app notification to each recipient (deduplicated), and a delivery per outside
    channel they have (email, text message). The deliveries are sent by the worker once the
    caller's transaction commits, never before. Returns how many notifications were made."""
    unique = {r.pk: r for r in recipients if r is not None}
    if not unique:
        return 0
    with transaction.atomic():
        notifications = Notification.objects.bulk_create(
            [Notification(recipient=r, kind=kind, params=params or {}, link=link) for r in unique.values()]
        )
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(notification=n, channel=channel, address=address)
                for n in notifications
                for channel, address in _outside_channels(n.recipient)
            ]
        )
        for delivery in deliveries:
            outbox_enqueue(task_name=DELIVER_TASK, kwargs={"delivery_id": delivery.pk})
    return len(unique)


# Reading -------------------------------------------------------------------------------


def notification_open(*, user, notification_id: int) -> Notification:
    """The recipient opens a notification: it is read from now on. Anyone else's is 'not found'."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotFound(_("This notification was not found in your inbox."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Every unread notification of the user is read now. Returns how many changed."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


# Sending -------------------------------------------------------------------------------


class DeliveryRetry(Exception):
    """The attempt failed and attempts remain: try again in `countdown` seconds."""

    def __init__(self, message: str, *, countdown: int):
        super().__init__(message)
        self.countdown = countdown


def delivery_retry_countdown(attempts: int) -> int:
    """Seconds to wait after the given number of failed attempts: 30, 60, 120 … at most 10 minutes."""
    return min(30 * 2 ** max(attempts - 1, 0), 600)


def _compose(delivery: Delivery) -> tuple[str, str]:
    """(subject, body) in the recipient's language."""
    notification = delivery.notification
    with translation.override(messages.RECIPIENT_LANGUAGE):
        if delivery.channel == Channel.SMS:
            return "", messages.sms_body(notification)
        return messages.email_subject(notification), messages.email_body(notification)


def delivery_send(*, delivery_id: int) -> str:
    """Send one delivery through its channel's backend, once.

    Returns "sent"; "failed" when this was the last allowed attempt
    (settings.NOTIFICATION_MAX_ATTEMPTS) and the delivery is now FAILED; or, when there is
    nothing to do, "already_sent", "already_failed" or "missing". Raises DeliveryRetry when the
    attempt failed and another is allowed; the attempt and its error are recorded first.

    The row stays locked while the backend sends, so two workers given the same delivery (a
    redelivered or re-published message) send it once. A worker that dies after the provider
    accepted the message but before the commit leaves it pending, so it may be sent again:
    delivery is at least once."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("notification").filter(pk=delivery_id).first()
        if delivery is None:
            return "missing"
        if delivery.status != DeliveryStatus.PENDING:
            return f"already_{delivery.status}"
        delivery.attempts += 1
        try:
            subject, body = _compose(delivery)
            provider_id = backend_for(delivery.channel).send(to=delivery.address, subject=subject, body=body)
        except Exception as exc:  # any failure of the backend is an attempt that failed
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
            delivery.save(update_fields=["attempts", "last_error", "status"])
            logger.warning(
                "delivery %s (%s) attempt %s failed: %s", delivery.pk, delivery.channel, delivery.attempts, exc
            )
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.provider_id = str(provider_id or "")[:100]
            delivery.sent_at = timezone.now()
            delivery.save(update_fields=["attempts", "status", "provider_id", "sent_at"])
            return "sent"
    if delivery.status == DeliveryStatus.FAILED:
        return "failed"
    raise DeliveryRetry(delivery.last_error, countdown=delivery_retry_countdown(delivery.attempts))


def sms_send(*, to: str, body: str) -> str:
    """Send one text message now, to a number that may belong to no account yet (a code to
    prove it is one's own): through the SMS backend, which retries a provider that fails for
    a moment; returns the provider's id or raises. Every other message goes through `notify`."""
    message_id = backend_for("sms").send(to=to, subject="", body=body)
    logger.info("text message %s sent", message_id)
    return message_id


def delivery_receipt(*, provider_id: str, delivered: bool, error: str = "") -> bool:
    """The SMS gateway says what became of a message: delivered to the phone, or not. A sent
    delivery becomes delivered or failed (what its recipient sees in the inbox). Returns
    whether a delivery of the portal's had that id (a code sent to prove a number has none)."""
    updated = (
        Delivery.objects.filter(provider_id=provider_id, channel=Channel.SMS, status=DeliveryStatus.SENT).update(
            status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
            last_error="" if delivered else f"the gateway could not deliver it: {error}"[:2000],
        )
        > 0
    )
    logger.info("receipt for text message %s: %s", provider_id, "delivered" if delivered else "not delivered")
    return updated
