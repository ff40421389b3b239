from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from portal.celery import app
from services.core import outbox
from services.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Record what would go to the broker instead of running it."""
    calls = []
    monkeypatch.setattr(outbox, "_send", lambda app, message: calls.append(message.pk))
    return calls


def test_nothing_is_published_before_the_transaction_commits(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message = outbox.outbox_enqueue(task_name="casework.route_case", kwargs={"application_id": 1})
        assert sent == []
    assert len(callbacks) == 1
    assert sent == [message.pk]
    message.refresh_from_db()
    assert message.published_at is not None


def test_a_rolled_back_change_publishes_nothing(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                outbox.outbox_enqueue(task_name="casework.route_case", kwargs={"application_id": 1})
                raise RuntimeError("the state change failed")
        except RuntimeError:
            pass
    assert sent == []
    assert not OutboxMessage.objects.exists()


def test_department_work_goes_to_the_department_queue(sent):
    message = outbox.outbox_enqueue(task_name="x.y", kwargs={}, department_code="fire")
    assert message.queue == "dept.fire"


def test_a_broker_that_is_down_leaves_the_message_for_the_sweep(monkeypatch):
    app.conf.task_always_eager = False  # a real broker, that is down (the fixture restores it)

    def broker_down(app, message):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(outbox, "_send", broker_down)
    message = OutboxMessage.objects.create(task_name="casework.route_case", kwargs={}, queue="default")
    assert outbox.outbox_publish(message_ids=[message.pk]) == 0
    message.refresh_from_db()
    assert message.published_at is None
    assert "Connection refused" in message.last_error
    assert message.publish_attempts == 1


def test_sweep_republishes_unpublished_and_lost_messages_but_not_done_or_fresh_ones(sent):
    old = timezone.now() - timedelta(hours=1)
    unpublished = OutboxMessage.objects.create(task_name="t", kwargs={}, queue="default")
    lost = OutboxMessage.objects.create(task_name="t", kwargs={}, queue="default", published_at=old)
    done = OutboxMessage.objects.create(task_name="t", kwargs={}, queue="default", published_at=old, done_at=old)
    fresh = OutboxMessage.objects.create(task_name="t", kwargs={}, queue="default", published_at=timezone.now())
    just_written = OutboxMessage.objects.create(task_name="t", kwargs={}, queue="default")
    OutboxMessage.objects.filter(pk__in=[unpublished.pk, lost.pk, done.pk, fresh.pk]).update(created_at=old)

    assert outbox.outbox_sweep() == 2
    assert sorted(sent) == sorted([unpublished.pk, lost.pk])
    assert just_written.pk not in sent


def test_sweep_task_is_registered_under_its_explicit_name():
    app.loader.import_default_modules()
    assert "core.outbox_sweep" in app.tasks
    assert "casework.route_case" in app.tasks
    assert app.conf.beat_schedule["outbox-sweep"]["task"] == "core.outbox_sweep"
