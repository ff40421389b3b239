"""A real Celery worker process for integration tests, over a real Redis, on the test database."""

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from celery.signals import before_task_publish
from django.db import connection

from portal.celery import app as celery_app
from services.core.queues import broker_is_rabbitmq, broker_options

BASE_DIR = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database the tests run on, for another process to open."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def use_broker(url: str) -> None:
    """Point this process's Celery app at `url`, dropping any connection pool made before."""
    from kombu import pools

    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    pools.reset()  # kombu keeps producer pools per connection, process-wide
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url
    celery_app.conf.update(broker_options(url))
    # What the app worked out from the old queues goes with them (the declarations, the router,
    # the default queue and the sender that holds both), or a test on RabbitMQ after one on
    # Redis would declare its queues classic, which a worker's quorum queue refuses.
    for name in ("queues", "router", "default_queue", "send_task_message"):
        celery_app.amqp.__dict__.pop(name, None)


# Every queue a test of this session used, so that the next test on RabbitMQ starts with
# them gone (on Redis, the keys are found by name).
QUEUES_USED: set[str] = {"default"}


@before_task_publish.connect(weak=False)
def _note_queue(sender=None, routing_key=None, **kwargs) -> None:
    if routing_key:
        QUEUES_USED.add(routing_key)


def queue_length(broker_url: str, name: str) -> int:
    """Messages waiting in a queue, on either broker (0 if the queue does not exist)."""
    with celery_app.connection_for_write(broker_url) as connection:
        try:
            return connection.default_channel.queue_declare(name, passive=True).message_count
        except Exception:
            return 0


def queues_delete(broker_url: str) -> None:
    """Delete every queue the session's tests used (on RabbitMQ) or every queue key (Redis)."""
    if not broker_is_rabbitmq(broker_url):
        import redis

        client = redis.Redis.from_url(broker_url)
        for key in client.scan_iter("dept.*"):
            client.delete(key)
        client.delete("default", "unacked", "unacked_index")
        return
    with celery_app.connection_for_write(broker_url) as connection:
        for name in sorted(QUEUES_USED):
            connection.default_channel.queue_delete(name)


class Worker:
    """`celery worker` as a child process; `lines` holds its log."""

    def __init__(
        self,
        *,
        broker_url: str,
        queues: list[str],
        concurrency: int = 2,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
    ):
        self.broker_url = broker_url
        self.queues = queues
        QUEUES_USED.update(queues)
        self.concurrency = concurrency
        self.database_url = database_url
        self.env = env or {}
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None
        self._ready = threading.Event()

    def start(self, timeout: float = 60, *, wait: bool = True) -> "Worker":
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url or test_database_url(),
            "BROKER_URL": self.broker_url,
            **({} if broker_is_rabbitmq(self.broker_url) else {"REDIS_URL": self.broker_url}),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable, "-m", "celery", "-A", "portal", "worker",
                "-Q", ",".join(self.queues),
                "--concurrency", str(self.concurrency),
                "--without-mingle", "--without-gossip",
                "-n", f"test-{uuid.uuid4().hex[:8]}@%h",
                "--loglevel", "INFO",
            ],
            cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> "Worker":
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError("the Celery worker did not start:\n" + "\n".join(self.lines[-40:]))
        return self

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if " ready." in line:
                self._ready.set()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return "\n".join(self.lines[-60:])


def wait_for(condition, *, timeout: float = 45, what: str = "condition", worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f"\nworker log:\n{worker.log()}" if worker else ""))
