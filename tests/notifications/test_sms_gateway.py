"""The HTTP backend of a commercial SMS gateway, against a gateway started here as a real
HTTP server: signed requests, a moment's failure tried again, a refusal not retried, and
the delivery receipts it posts back, which are refused unless signed, fresh and new."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from services.notifications.backends import HttpSmsBackend, SmsGatewayRefused, gateway_signature
from services.notifications.constants import NotificationKind
from services.notifications.models import Delivery, DeliveryStatus
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db

SECRET = "gateway-shared-secret-for-the-tests"


class Gateway(ThreadingHTTPServer):
    """Answers as an SMS gateway: checks the signature, keeps each message; `failures` makes
    the next requests answer 503, `refuse` answers 400."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.received: list[dict] = []
        self.bad_signatures = 0
        self.failures = 0
        self.refuse = False


class GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        gateway: Gateway = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = gateway_signature(
            secret=SECRET, timestamp=self.headers["X-Timestamp"], nonce=self.headers["X-Nonce"], body=body
        )
        if self.headers["X-Signature"] != expected or self.headers["X-Key-Id"] != "portal":
            gateway.bad_signatures += 1
            return self._answer(401, {"error": "bad signature"})
        if gateway.failures:
            gateway.failures -= 1
            return self._answer(503, {"error": "busy"})
        if gateway.refuse:
            return self._answer(400, {"error": "number refused"})
        message = json.loads(body)
        gateway.received.append(message)
        return self._answer(200, {"message_id": f"gw-{len(gateway.received)}"})

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_address[1]}/send"
    settings.SMS_GATEWAY_KEY_ID = "portal"
    settings.SMS_GATEWAY_SECRET = SECRET
    settings.SMS_GATEWAY_RETRY_PAUSE = 0.01
    settings.PORTAL_PUBLIC_URL = "https://zwfw.example.gov.cn"
    yield server
    server.shutdown()


def test_a_text_goes_out_signed_with_the_receipt_address(gateway):
    message_id = HttpSmsBackend().send(to="13800000701", subject="", body="您的验证码为 123456")
    assert message_id == "gw-1"
    (message,) = gateway.received
    assert message["to"] == "13800000701" and message["text"] == "您的验证码为 123456"
    assert message["receipt_url"] == "https://zwfw.example.gov.cn/notifications/sms/receipt/"
    assert gateway.bad_signatures == 0


def test_a_gateway_that_fails_for_a_moment_is_tried_again(gateway):
    gateway.failures = 2
    assert HttpSmsBackend().send(to="13800000702", subject="", body="x") == "gw-1"


def test_a_gateway_that_keeps_failing_is_given_up_after_the_set_tries(gateway, settings):
    gateway.failures = settings.SMS_GATEWAY_ATTEMPTS
    with pytest.raises(RuntimeError):
        HttpSmsBackend().send(to="13800000703", subject="", body="x")
    assert gateway.received == []


def test_a_refusal_is_final_and_not_tried_again(gateway):
    gateway.refuse = True
    with pytest.raises(SmsGatewayRefused):
        HttpSmsBackend().send(to="13800000704", subject="", body="x")
    gateway.refuse = False
    assert gateway.received == []


def test_a_wrong_secret_is_refused_by_the_gateway(gateway, settings):
    settings.SMS_GATEWAY_SECRET = "not-the-shared-one"
    with pytest.raises(SmsGatewayRefused):
        HttpSmsBackend().send(to="13800000705", subject="", body="x")
    assert gateway.bad_signatures == 1


def _receipt(body: dict, *, secret=SECRET, timestamp=None, nonce="n-1"):
    raw = json.dumps(body).encode()
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    return Client().post(
        "/notifications/sms/receipt/",
        raw,
        content_type="application/json",
        HTTP_X_KEY_ID="portal",
        HTTP_X_TIMESTAMP=timestamp,
        HTTP_X_NONCE=nonce,
        HTTP_X_SIGNATURE=gateway_signature(secret=secret, timestamp=timestamp, nonce=nonce, body=raw),
    )


def test_a_notification_sent_by_text_is_marked_delivered_by_the_gateways_receipt(
    gateway, settings, django_capture_on_commit_callbacks
):
    from services.notifications.actions import notify

    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "services.notifications.backends.HttpSmsBackend",
    }
    citizen = CitizenFactory(mobile="13800000706")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[citizen], kind=NotificationKind.CASE_DECIDED, params={"reference": "20261130-0001"})
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == DeliveryStatus.SENT and delivery.provider_id == "gw-1"

    assert _receipt({"message_id": "gw-1", "status": "delivered"}).status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    "case", ["unsigned", "stale", "replayed", "garbage"], ids=["wrong secret", "stale", "replayed", "garbage"]
)
def test_a_receipt_that_is_not_the_gateways_or_not_new_is_refused(gateway, case):
    if case == "unsigned":
        assert _receipt({"message_id": "gw-9", "status": "failed"}, secret="guess").status_code == 403
    elif case == "stale":
        old = int(time.time()) - 3600
        assert _receipt({"message_id": "gw-9", "status": "failed"}, timestamp=old).status_code == 403
    elif case == "replayed":
        assert _receipt({"message_id": "gw-9", "status": "failed"}, nonce="once").status_code == 204
        assert _receipt({"message_id": "gw-9", "status": "failed"}, nonce="once").status_code == 403
    else:
        assert _receipt({"status": "eaten"}).status_code == 400
