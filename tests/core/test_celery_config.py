"""Celery delivers each of our tasks at least once, in JSON: a task's message is acknowledged
only once the task has run, goes back on the queue when the process running it dies, is not
handed to a second worker while the first may still be running it, each worker process
reserves one message at a time, and a worker refuses a message that is not JSON (a pickle
could run code on the worker).

The fast tests drive the request handling of Celery's worker with each of our tasks; the
integration tests use a real Redis and a real worker."""

from time import monotonic, time
from unittest.mock import Mock

import pytest
import time_machine
from billiard.einfo import ExceptionInfo
from billiard.exceptions import WorkerLostError
from celery.contrib.testing.mocks import TaskMessage
from celery.worker.request import Request
from kombu import Producer, Queue

from portal.celery import app
from services.core.queues import broker_is_rabbitmq
from tests.worker import Worker, wait_for

CONTEXTS = {
    "core",
    "accounts",
    "catalog",
    "applications",
    "casework",
    "records",
    "notifications",
    "analytics",
    "audit",
    "monitoring",
}


def our_tasks() -> list[str]:
    app.loader.import_default_modules()
    ours = sorted(name for name in app.tasks if not name.startswith("celery."))
    assert ours, "no tasks registered"
    return ours


def started(name: str) -> tuple[Request, Mock, Mock]:
    """A worker's request for one message of task `name`, which a pool process has just
    started to run; with the mocks that record whether the message was acknowledged or
    rejected."""
    on_ack, on_reject = Mock(name="ack"), Mock(name="reject")
    request = Request(
        TaskMessage(name), app=app, task=app.tasks[name], on_ack=on_ack, on_reject=on_reject, hostname="test@localhost"
    )
    request.on_accepted(pid=1, time_accepted=monotonic())
    return request, on_ack, on_reject


def test_every_task_has_an_explicit_name_in_its_context():
    for name in our_tasks():
        context, _, verb = name.partition(".")
        assert context in CONTEXTS and verb, name


def test_a_message_is_acknowledged_once_its_task_has_run_not_when_it_starts():
    for name in our_tasks():
        request, ack, reject = started(name)
        assert not ack.called, f"{name}: acknowledged when it started, so a crash would lose it"
        request.on_success((False, None, 0.1))
        assert ack.called and not reject.called, name


def test_a_message_goes_back_on_the_queue_when_the_process_running_its_task_dies():
    for name in our_tasks():
        request, ack, reject = started(name)
        try:
            raise WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL).")
        except WorkerLostError:
            request.on_failure(ExceptionInfo())
        assert not ack.called, name
        assert reject.call_count == 1, f"{name}: not put back on the queue"
        *_, requeue = reject.call_args.args
        assert requeue is True, name


# send_task publishes, and says so, although the tests run tasks eagerly.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_workers_read_our_messages_as_json_and_refuse_a_pickle():
    queue = Queue("serialisation-check", routing_key="serialisation-check")
    read, refused = [], []
    with app.connection_for_write("memory://") as connection:
        app.send_task("casework.route_case", kwargs={"application_id": 1}, connection=connection, queue=queue)
        Producer(connection).publish(
            {"application_id": 1}, routing_key=queue.routing_key, serializer="pickle", declare=[queue]
        )

        def on_message(body, message):
            read.append((message.content_type, body))
            message.ack()

        def on_decode_error(message, exc):
            refused.append((message.content_type, type(exc).__name__))
            message.reject()  # dropped, as a worker drops it

        # The consumer a worker reads its queues with.
        consumer = app.amqp.TaskConsumer(
            connection, queues=[queue], callbacks=[on_message], on_decode_error=on_decode_error
        )
        with consumer:
            for _ in range(2):
                connection.drain_events(timeout=2)
    assert [content_type for content_type, _ in read] == ["application/json"]
    _args, kwargs, _embed = read[0][1]
    assert kwargs == {"application_id": 1}
    assert refused == [("application/x-python-serialize", "ContentDisallowed")]


@pytest.mark.integration
def test_a_message_being_worked_on_is_not_handed_out_again_within_an_hour(real_broker):
    """Redis hands out again a message that was taken and not acknowledged, once the
    visibility timeout has passed: that must be longer than any task may run, or a slow task
    would run twice; and it must come, or a worker that died holding a message would lose it."""
    if broker_is_rabbitmq(real_broker):
        pytest.skip("RabbitMQ gives a message back when its consumer's connection closes, not after a timeout")
    queue = Queue("visibility-check", routing_key="visibility-check")
    with app.connection_for_write(real_broker) as connection:
        channel = connection.default_channel
        Producer(channel).publish({"n": 1}, routing_key=queue.routing_key, serializer="json", declare=[queue])
        taken_at = time()
        assert channel.basic_get(queue.name, no_ack=False) is not None  # a worker is running it
        try:
            for minutes, handed_out_again in [(59, False), (60 * 24 * 365, True)]:
                with time_machine.travel(taken_at + minutes * 60, tick=False):
                    channel.qos.restore_visible(num=100, interval=1)
                again = channel.basic_get(queue.name, no_ack=True)
                assert (again is not None) is handed_out_again, f"{minutes} minutes after it was taken"
        finally:
            channel.queue_delete(queue.name)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_each_process_of_a_running_worker_reserves_one_message_at_a_time(real_broker):
    worker = Worker(broker_url=real_broker, queues=["default"], concurrency=3).start()
    try:
        stats = wait_for(lambda: app.control.inspect(timeout=2).stats(), what="the worker's stats", worker=worker)
    finally:
        worker.stop()
    ((name, figures),) = stats.items()
    assert figures["prefetch_count"] == 3, (name, figures)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_on_rabbitmq_every_queue_is_a_quorum_queue_and_publishing_waits_for_the_confirm(real_broker):
    if not broker_is_rabbitmq(real_broker):
        pytest.skip("RabbitMQ only")
    from kombu import Connection

    # The portal publishes as the settings say: each message waits for the broker's confirm.
    with app.connection_for_write(real_broker) as connection:
        channel = connection.default_channel
        queue = app.amqp.queues["default"]
        Producer(channel).publish({"n": 1}, routing_key="default", serializer="json", declare=[queue])
        assert channel._confirm_selected  # a confirmed publish was made on this channel

    worker = Worker(broker_url=real_broker, queues=["default", "dept.psb"], concurrency=1).start()
    worker.stop()
    # Both queues exist as quorum queues: declaring either as a classic queue is refused.
    for name in ("default", "dept.psb"):
        with Connection(real_broker) as connection, pytest.raises(Exception, match=r"inequivalent arg 'x-queue-type'"):
            connection.channel().queue_declare(
                name, durable=True, auto_delete=False, arguments={"x-queue-type": "classic"}
            )
