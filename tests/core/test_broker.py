"""The broker as readiness and the metrics see it (core.broker), on Redis and on RabbitMQ."""

import os
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from services.core.broker import broker_check, queue_depths

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request):
    """Redis, and RabbitMQ at RABBITMQ_URL (.ci/run sets it; without it, skipped)."""
    if request.param == "redis":
        return request.getfixturevalue("redis_url")
    url = os.environ.get("RABBITMQ_URL")
    if not url:
        pytest.skip("RabbitMQ: set RABBITMQ_URL (e.g. amqp://guest:guest@127.0.0.1:5672//)")
    return url


def test_queue_depths_count_waiting_messages_and_a_missing_queue_as_none(broker):
    name = f"test-depth-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    with Connection(broker) as connection:
        bound = queue(connection.channel())
        bound.declare()
        try:
            producer = connection.Producer()
            for n in range(3):
                producer.publish({"n": n}, exchange=queue.exchange, routing_key=name, declare=[queue])

            depths = queue_depths(url=broker, queues=[name, f"{name}-never-declared"], timeout=2)
        finally:
            bound.delete()

    assert depths == {name: 3, f"{name}-never-declared": 0}


def test_a_broker_that_does_not_answer_fails_the_check_at_once(broker):
    scheme = broker.split("://")[0]
    with pytest.raises(Exception):  # noqa: B017 - the transport's own connection error
        broker_check(url=f"{scheme}://127.0.0.1:1/", timeout=1)
