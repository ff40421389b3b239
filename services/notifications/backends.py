"""Backends that carry a message outside the portal: one per channel, named in
settings.NOTIFICATION_BACKENDS. A backend sends one message and returns the provider's id for
it, or raises: the caller (`actions.delivery_send`) counts the attempt and retries."""

import hashlib
import hmac
import json
import logging
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.urls import reverse
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


class SmsGatewayRefused(RuntimeError):
    """The gateway refused the message for good (a bad number, a refused text): no retry."""


def gateway_signature(*, secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """HMAC-SHA256 of `timestamp`, `nonce` and the body, hex: both directions sign so."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class HttpSmsBackend:
    """Text messages through a commercial SMS gateway's HTTP API (SMS_GATEWAY_URL).

    Each request is a JSON POST signed with the shared secret: `X-Key-Id`, `X-Timestamp`,
    `X-Nonce` and `X-Signature` (gateway_signature). A timeout, a connection error or a 5xx is
    tried again, up to SMS_GATEWAY_ATTEMPTS times with a short pause; a 4xx is final
    (SmsGatewayRefused). The gateway answers {"message_id": ...}, and later posts the message's
    fate, signed the same way, to the portal's receipt address (`views.sms_receipt`)."""

    def __init__(self) -> None:
        self.url = settings.SMS_GATEWAY_URL
        self.key_id = settings.SMS_GATEWAY_KEY_ID
        self.secret = settings.SMS_GATEWAY_SECRET
        if not (self.url and self.key_id and self.secret):
            raise ImproperlyConfigured(
                "HttpSmsBackend needs SMS_GATEWAY_URL, SMS_GATEWAY_KEY_ID and SMS_GATEWAY_SECRET."
            )

    def send(self, *, to: str, subject: str, body: str) -> str:
        payload = json.dumps(
            {
                "to": to,
                "text": body,
                "sign_name": settings.SMS_GATEWAY_SIGN_NAME,
                "receipt_url": settings.PORTAL_PUBLIC_URL.rstrip("/") + reverse("sms-receipt"),
            },
            ensure_ascii=False,
        ).encode()
        last_error: Exception | None = None
        for attempt in range(1, settings.SMS_GATEWAY_ATTEMPTS + 1):
            try:
                return self._post(payload)
            except SmsGatewayRefused:
                raise
            except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as exc:
                last_error = exc
                logger.warning("SMS gateway attempt %s to %s failed: %s", attempt, mask_mobile(to), exc)
                if attempt < settings.SMS_GATEWAY_ATTEMPTS:
                    time.sleep(settings.SMS_GATEWAY_RETRY_PAUSE * attempt)
        raise RuntimeError(f"the SMS gateway did not take the message: {last_error}")

    def _post(self, payload: bytes) -> str:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's gateway setting
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Key-Id": self.key_id,
                "X-Timestamp": timestamp,
                "X-Nonce": nonce,
                "X-Signature": gateway_signature(secret=self.secret, timestamp=timestamp, nonce=nonce, body=payload),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:  # noqa: S310
                answer = json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                raise SmsGatewayRefused(f"the gateway refused the message ({exc.code})") from exc
            raise
        message_id = answer.get("message_id") if isinstance(answer, dict) else None
        if not message_id:
            raise ValueError("the gateway's answer has no message_id")
        return str(message_id)


def backend_for(channel: str) -> NotificationBackend:
    """A new instance of the backend configured for `channel` ("email", "sms")."""
    try:
        path = settings.NOTIFICATION_BACKENDS[channel]
    except KeyError:
        raise LookupError(f"no notification backend is configured for the channel {channel!r}") from None
    return import_string(path)()
