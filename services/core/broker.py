"""The broker, as readiness and the metrics see it: can it be reached, and how many messages
wait in each queue. Through kombu, so Redis and RabbitMQ answer alike; every connection has
a short timeout, so a broker that does not answer makes a probe fail, never hang."""

from typing import Any

from kombu import Connection
from kombu.exceptions import ChannelError


def _connection(url: str, timeout: float) -> Connection:
    return Connection(
        url,
        connect_timeout=timeout,
        # Redis reads its socket timeouts here, AMQP its read and write timeouts; each
        # transport ignores the others'.
        transport_options={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "read_timeout": timeout,
            "write_timeout": timeout,
            "max_retries": 0,
        },
    )


def broker_check(*, url: str, timeout: float) -> None:
    """Connect to the broker (Redis answers a PING, RabbitMQ the handshake); raises if it
    cannot."""
    with _connection(url, timeout) as connection:
        connection.connect()


def queue_depths(*, url: str, queues: list[str], timeout: float) -> dict[str, int]:
    """The messages waiting in each queue (a queue never declared holds none). Messages a
    worker has taken and not acknowledged yet are not counted: they are being worked on."""
    depths: dict[str, int] = {}
    with _connection(url, timeout) as connection:
        channel: Any = connection.channel()
        for queue in queues:
            try:
                # Passive: only asks, never creates (a queue's arguments are the workers' to set).
                depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except (ChannelError, *connection.channel_errors):  # type: ignore[misc]
                depths[queue] = 0
                # RabbitMQ closes the channel that asked about a queue it does not have.
                channel = connection.channel()
    return depths
