"""Backends that carry a message outside the portal: one per channel, named in
settings.NOTIFICATION_BACKENDS. A backend sends one message and returns the provider's id for
it, or raises: the caller (`actions.delivery_send`) counts the attempt and retries."""

import logging
import sys
import uuid
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from services.core.masking import mask_mobile

logger = logging.getLogger(__name__)


class NotificationBackend(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> str:
        """Send one message to `to`; return the provider's message id. Raise on failure."""
        ...


class DjangoEmailBackend:
    """Email through Django's mail (settings.EMAIL_BACKEND: the console by default, SMTP in production)."""

    def send(self, *, to: str, subject: str, body: str) -> str:
        message_id = f"email-{uuid.uuid4().hex}"
        sent = send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
        if sent != 1:
            raise RuntimeError(f"the mail backend accepted {sent} messages instead of 1")
        return message_id


class ConsoleSmsBackend:
    """Writes the text message to standard output and the log, as Django's console email
    backend does with email. For development and demonstrations; no message leaves the machine."""

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, *, to: str, subject: str, body: str) -> str:
        message_id = f"sms-{uuid.uuid4().hex}"
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {mask_mobile(to)} ({message_id}):\n{body}\n{'-' * 79}\n")
        stream.flush()
        logger.info("SMS %s to %s written to the console", message_id, mask_mobile(to))
        return message_id


def backend_for(channel: str) -> NotificationBackend:
    """A new instance of the backend configured for `channel` ("email", "sms")."""
    try:
        path = settings.NOTIFICATION_BACKENDS[channel]
    except KeyError:
        raise LookupError(f"no notification backend is configured for the channel {channel!r}") from None
    return import_string(path)()
