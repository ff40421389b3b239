"""Email and text messages: a delivery per channel, nothing sent before the commit, the
recipient's language, retries with a limit, a visible failure, and no second send."""

import io
import re

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import translation

from portal.celery import app as celery_app
from services.core.models import OutboxMessage
from services.core.outbox import outbox_publish
from services.notifications import actions, tasks
from services.notifications.actions import DeliveryRetry, delivery_retry_countdown, delivery_send, notify
from services.notifications.backends import ConsoleSmsBackend, DjangoEmailBackend, backend_for
from services.notifications.constants import NotificationKind
from services.notifications.models import Channel, Delivery, DeliveryStatus, Notification
from tests.factories import CitizenFactory, StaffFactory

pytestmark = pytest.mark.django_db

CJK_RE = re.compile(r"[\u4e00-\u9fff]")
HERE = "tests.notifications.test_delivery"


class RecordingBackend:
    """Accepts every message and remembers it."""

    sent: list[dict] = []

    def send(self, *, to: str, subject: str, body: str) -> str:
        RecordingBackend.sent.append({"to": to, "subject": subject, "body": body})
        return f"stub-{len(RecordingBackend.sent)}"


class FailingBackend:
    """The provider is down."""

    calls = 0

    def send(self, *, to: str, subject: str, body: str) -> str:
        FailingBackend.calls += 1
        raise ConnectionError("provider down")


class FlakyBackend:
    """Fails the first time, then works."""

    calls = 0

    def send(self, *, to: str, subject: str, body: str) -> str:
        FlakyBackend.calls += 1
        if FlakyBackend.calls == 1:
            raise TimeoutError("gateway timeout")
        return "flaky-ok"


@pytest.fixture(autouse=True)
def stub_backends(settings):
    RecordingBackend.sent = []
    FailingBackend.calls = 0
    FlakyBackend.calls = 0
    settings.NOTIFICATION_BACKENDS = {"email": f"{HERE}.RecordingBackend", "sms": f"{HERE}.RecordingBackend"}
    settings.NOTIFICATION_MAX_ATTEMPTS = 3


def decided(recipients, reference="20261126-0001"):
    return notify(
        recipients=recipients,
        kind=NotificationKind.CASE_DECIDED,
        params={"reference": reference},
        link=f"/my/applications/{reference}/",
    )


def test_notify_makes_an_in_app_notification_and_a_delivery_per_channel(django_capture_on_commit_callbacks):
    both = CitizenFactory(email="wang@example.cn")
    sms_only = CitizenFactory()
    staff_with_email = StaffFactory(email="clerk@example.gov.cn")
    staff_without = StaffFactory()
    with django_capture_on_commit_callbacks():
        made = decided([both, sms_only, staff_with_email, staff_without, both, None])

    assert made == 4  # deduplicated
    assert Notification.objects.count() == 4
    channels = {
        (d.notification.recipient_id, d.channel, d.address) for d in Delivery.objects.select_related("notification")
    }
    assert channels == {
        (both.pk, Channel.EMAIL, "wang@example.cn"),
        (both.pk, Channel.SMS, both.mobile),
        (sms_only.pk, Channel.SMS, sms_only.mobile),
        (staff_with_email.pk, Channel.EMAIL, "clerk@example.gov.cn"),
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    messages = OutboxMessage.objects.filter(task_name="notifications.deliver")
    assert sorted(m.kwargs["delivery_id"] for m in messages) == sorted(Delivery.objects.values_list("pk", flat=True))


def test_notify_sends_nothing_outside_to_an_inactive_account(django_capture_on_commit_callbacks):
    gone = CitizenFactory(email="gone@example.cn", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        decided([gone])
    assert gone.notifications.count() == 1
    assert not Delivery.objects.exists()


def test_notify_with_nobody_does_nothing():
    assert notify(recipients=[None], kind=NotificationKind.CASE_DECIDED, params={"reference": "x"}) == 0
    assert not Notification.objects.exists()


def test_nothing_is_sent_before_the_transaction_commits(django_capture_on_commit_callbacks):
    citizen = CitizenFactory(email="wang@example.cn")
    with django_capture_on_commit_callbacks() as callbacks:
        decided([citizen])
        assert RecordingBackend.sent == []
    # Still uncommitted: the callbacks have not run.
    assert RecordingBackend.sent == []
    assert len(callbacks) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}

    for callback in callbacks:  # the commit
        callback()

    assert sorted(m["to"] for m in RecordingBackend.sent) == sorted(["wang@example.cn", citizen.mobile])
    for delivery in Delivery.objects.all():
        assert delivery.status == DeliveryStatus.SENT
        assert delivery.attempts == 1
        assert delivery.provider_id.startswith("stub-")
        assert delivery.sent_at is not None
    assert not OutboxMessage.objects.filter(done_at__isnull=True).exists()


def test_a_rolled_back_notification_sends_nothing(django_capture_on_commit_callbacks):
    from django.db import transaction

    citizen = CitizenFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        decided([citizen])
        raise RuntimeError("the caller's transaction fails")
    assert callbacks == []
    assert RecordingBackend.sent == []
    assert not Notification.objects.exists()


def test_messages_are_written_in_the_recipients_language_and_the_sms_is_short(django_capture_on_commit_callbacks):
    citizen = CitizenFactory(email="wang@example.cn")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        # The request that caused it was in English; the recipient reads Chinese.
        decided([citizen], reference="20261126-0042")
    by_to = {m["to"]: m for m in RecordingBackend.sent}
    sms, email = by_to[citizen.mobile], by_to["wang@example.cn"]
    assert "20261126-0042" in sms["body"] and CJK_RE.search(sms["body"])
    assert sms["body"].startswith("【")
    assert len(sms["body"]) <= 70  # one text message
    assert CJK_RE.search(email["subject"])
    assert "20261126-0042" in email["body"] and CJK_RE.search(email["body"])
    assert "decided" not in email["body"]


@pytest.fixture
def celery_retries_in_process():
    """Eager tasks that do not propagate errors: Celery runs each retry at once, in process
    (the countdown is skipped), the way a worker would run it after the countdown."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_a_failing_backend_is_retried_until_the_limit_then_the_delivery_is_failed(
    settings, celery_retries_in_process, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_BACKENDS = {"email": f"{HERE}.RecordingBackend", "sms": f"{HERE}.FailingBackend"}
    citizen = CitizenFactory(email="wang@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        decided([citizen])

    sms = Delivery.objects.get(channel=Channel.SMS)
    assert FailingBackend.calls == 3
    assert sms.status == DeliveryStatus.FAILED
    assert sms.attempts == 3
    assert "ConnectionError: provider down" in sms.last_error
    assert sms.sent_at is None
    # The email went, and the outbox has nothing left to do.
    assert Delivery.objects.get(channel=Channel.EMAIL).status == DeliveryStatus.SENT
    assert not OutboxMessage.objects.filter(done_at__isnull=True).exists()


def test_a_lost_retry_is_published_again_by_the_outbox_until_the_limit(settings, django_capture_on_commit_callbacks):
    """When the retry never reaches a worker, the outbox message is still open, and the sweep
    publishes it again; the attempts counted on the delivery still end it at the limit."""
    settings.NOTIFICATION_BACKENDS = {"email": f"{HERE}.FailingBackend", "sms": f"{HERE}.FailingBackend"}
    with django_capture_on_commit_callbacks(execute=True):
        decided([CitizenFactory()])
    message = OutboxMessage.objects.get(task_name="notifications.deliver")
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.status, message.done_at) == (1, DeliveryStatus.PENDING, None)

    for _ in range(5):
        outbox_publish(message_ids=[message.pk])
    delivery.refresh_from_db()
    message.refresh_from_db()
    assert (delivery.attempts, delivery.status) == (3, DeliveryStatus.FAILED)
    assert FailingBackend.calls == 3
    assert message.done_at is not None


def test_delivery_send_records_each_attempt_and_asks_for_a_later_retry(settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_BACKENDS = {"email": f"{HERE}.FailingBackend", "sms": f"{HERE}.FailingBackend"}
    with django_capture_on_commit_callbacks(execute=False):
        decided([CitizenFactory()])
    delivery = Delivery.objects.get()

    countdowns = []
    for attempt in (1, 2):
        with pytest.raises(DeliveryRetry) as excinfo:
            delivery_send(delivery_id=delivery.pk)
        countdowns.append(excinfo.value.countdown)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert delivery.status == DeliveryStatus.PENDING
        assert "provider down" in delivery.last_error
    assert countdowns == [30, 60]

    assert delivery_send(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)

    # A failed delivery stays failed: nothing is tried again.
    assert delivery_send(delivery_id=delivery.pk) == "already_failed"
    assert FailingBackend.calls == 3


def test_a_delivery_that_fails_once_is_sent_on_the_retry(
    settings, celery_retries_in_process, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_BACKENDS = {"email": f"{HERE}.FlakyBackend", "sms": f"{HERE}.FlakyBackend"}
    with django_capture_on_commit_callbacks(execute=True):
        decided([CitizenFactory()])
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.provider_id) == (DeliveryStatus.SENT, 2, "flaky-ok")
    assert "gateway timeout" in delivery.last_error  # what went wrong on the way stays readable


def test_the_task_asks_celery_for_a_retry_with_the_backoff(settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_BACKENDS = {"email": f"{HERE}.FailingBackend", "sms": f"{HERE}.FailingBackend"}
    with django_capture_on_commit_callbacks(execute=False):
        decided([CitizenFactory()])
    delivery = Delivery.objects.get()
    message = OutboxMessage.objects.get(task_name="notifications.deliver")
    asked = {}

    def fake_retry(**kwargs):
        asked.update(kwargs)
        return Retry()

    monkeypatch.setattr(tasks.deliver, "retry", fake_retry)
    with pytest.raises(Retry):
        tasks.deliver(delivery_id=delivery.pk, outbox_id=message.pk)
    assert asked["countdown"] == 30
    assert isinstance(asked["exc"], DeliveryRetry)
    message.refresh_from_db()
    assert message.done_at is None  # open until the delivery is sent or failed for good


def test_the_retry_backoff_grows_and_is_capped():
    assert [delivery_retry_countdown(n) for n in (1, 2, 3, 4, 5, 6, 10)] == [30, 60, 120, 240, 480, 600, 600]


def test_a_sent_delivery_is_not_sent_twice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decided([CitizenFactory()])
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT
    message = OutboxMessage.objects.get(task_name="notifications.deliver")

    # The broker redelivers the message, or the sweep publishes it again.
    assert tasks.deliver.apply(kwargs={"delivery_id": delivery.pk, "outbox_id": message.pk}).get() == "already_sent"
    assert delivery_send(delivery_id=delivery.pk) == "already_sent"
    assert len(RecordingBackend.sent) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_deleted_delivery_is_nothing_to_do():
    assert tasks.deliver.apply(kwargs={"delivery_id": 999999}).get() == "missing"


def test_a_misconfigured_backend_fails_the_delivery_visibly(
    settings, celery_retries_in_process, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_BACKENDS = {"email": f"{HERE}.RecordingBackend", "sms": "no.such.Backend"}
    with django_capture_on_commit_callbacks(execute=True):
        decided([CitizenFactory()])
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "no.such" in delivery.last_error or "No module" in delivery.last_error


# The backends ---------------------------------------------------------------------------


def test_backend_for_reads_the_setting(settings):
    settings.NOTIFICATION_BACKENDS = {
        "email": "services.notifications.backends.DjangoEmailBackend",
        "sms": "services.notifications.backends.ConsoleSmsBackend",
    }
    assert isinstance(backend_for("email"), DjangoEmailBackend)
    assert isinstance(backend_for("sms"), ConsoleSmsBackend)
    with pytest.raises(LookupError):
        backend_for("pigeon")


def test_the_email_backend_sends_through_django_mail(settings):
    settings.DEFAULT_FROM_EMAIL = "noreply@zwfw.example.gov.cn"
    provider_id = DjangoEmailBackend().send(to="wang@example.cn", subject="审批结果", body="您的申请已办结。")
    assert provider_id
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.from_email, sent.subject, sent.body) == (
        ["wang@example.cn"],
        "noreply@zwfw.example.gov.cn",
        "审批结果",
        "您的申请已办结。",
    )


def test_the_console_sms_backend_writes_the_message_and_returns_an_id():
    stream = io.StringIO()
    first = ConsoleSmsBackend(stream=stream).send(to="13812345678", subject="", body="【政务服务】您的申请已办结。")
    second = ConsoleSmsBackend(stream=stream).send(to="13812345678", subject="", body="again")
    assert first != second and first.startswith("sms-")
    output = stream.getvalue()
    # The number is masked even on the console: terminals and log collectors keep what they show.
    assert "138****5678" in output and "13812345678" not in output and "【政务服务】您的申请已办结。" in output


def test_the_default_backends_deliver_end_to_end(settings, capsys, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_BACKENDS = {
        "email": "services.notifications.backends.DjangoEmailBackend",
        "sms": "services.notifications.backends.ConsoleSmsBackend",
    }
    citizen = CitizenFactory(email="wang@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        decided([citizen], reference="20261126-0007")
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(mail.outbox) == 1 and "20261126-0007" in mail.outbox[0].body
    assert "20261126-0007" in capsys.readouterr().out


def test_notify_is_what_the_casework_actions_call():
    # Other contexts keep calling notify with the same keywords; it still answers the count.
    assert actions.notify(recipients=[CitizenFactory()], kind=NotificationKind.CASE_DECIDED, params={"reference": "r"})


def test_the_email_links_to_the_portal_page_of_the_notification(db, settings):
    from services.notifications.messages import email_body
    from services.notifications.models import Notification
    from tests.factories import CitizenFactory

    settings.PORTAL_PUBLIC_URL = "https://zwfw.example.gov.cn/"
    notification = Notification.objects.create(
        recipient=CitizenFactory(),
        kind="case_decided",
        params={"reference": "20261126-0001"},
        link="/my/applications/20261126-0001/",
    )
    assert "https://zwfw.example.gov.cn/my/applications/20261126-0001/" in email_body(notification)
    notification.link = "https://evil.example/"
    assert "evil.example" not in email_body(notification)
