"""/readyz against real processes: the portal under gunicorn over a PostgreSQL cluster and a
Redis server of the test's own, with a real Celery worker. Each is stopped in turn: /readyz
must turn 503 within seconds, naming what failed, and 200 again once it is back."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import BASE_DIR, POSTGRES_BIN, PrivatePostgres, PrivateRedis, WebServer
from tests.worker import Worker

pytestmark = pytest.mark.integration

QUEUES = ["default", "dept.health"]
# Two workers: one consumes every queue, the other the department's queue only.
WORKERS = {"all": QUEUES, "health": ["dept.health"]}
# Short windows, so that a stopped worker shows within seconds.
SETTINGS = {
    "PORTAL_ENV": "test",
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "HEALTH_WORKER_HEARTBEAT_SECONDS": "0.5",
    "HEALTH_WORKER_WINDOW_SECONDS": "2",
    "HEALTH_CHECK_TIMEOUT": "1",
    "METRICS_TOKEN": "metrics-token-for-the-tests-0123456789",
}
# The tables readiness reads (the departments, hence the queues, and the outbox), and one
# department: the whole schema would take longer to make than the test takes to run.
SCHEMA = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", "accounts", verbosity=0)
call_command("migrate", "core", verbosity=0)
from services.accounts.models import Department
Department.objects.create(code="health", name_zh="卫生健康委员会", name_en="Health Commission")
"""


@dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    web: WebServer
    workers: dict[str, Worker]

    def start_worker(self, name: str, *, wait: bool = True) -> Worker:
        self.workers[name] = Worker(
            broker_url=self.redis.url,
            queues=WORKERS[name],
            concurrency=1,
            database_url=self.postgres.url(),
            env=SETTINGS,
        ).start(wait=wait)
        return self.workers[name]

    def log(self) -> str:
        return "\n".join(f"worker {name}:\n{worker.log()}" for name, worker in self.workers.items())


@pytest.fixture(scope="module")
def stack():
    postgres = PrivatePostgres()
    if not postgres.available:
        postgres.remove()
        pytest.skip(f"PostgreSQL's server programs are not in {POSTGRES_BIN} (set POSTGRES_BIN)")
    redis = PrivateRedis()
    web = None
    stack = None
    try:
        postgres.init()
        redis.start()
        env = {**SETTINGS, "DATABASE_URL": postgres.url(), "BROKER_URL": redis.url, "REDIS_URL": redis.url}
        # The schema, the web server and the worker start side by side: none needs the others to start.
        schema = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", SCHEMA], cwd=BASE_DIR, env={**_clean_environment(), **env}
        )
        web = WebServer(env=env, workers=2).start(wait=False)
        stack = Stack(postgres=postgres, redis=redis, web=web, workers={})
        for name in WORKERS:
            stack.start_worker(name, wait=False)
        for worker in stack.workers.values():
            worker.wait_ready()
        assert schema.wait(timeout=120) == 0
        web.wait()
        yield stack
    finally:
        workers = list(stack.workers.values()) if stack else []
        for worker in workers:  # all at once: each takes a moment to shut down
            if worker.process and worker.process.poll() is None:
                worker.process.terminate()
        for worker in workers:
            worker.stop()
        if web is not None:
            web.stop()
        redis.stop()
        postgres.remove()


def _clean_environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BROKER_URL", "REDIS_URL")}


def readyz(stack: Stack) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(stack.web.url("/readyz"), timeout=10) as response:  # noqa: S310 - our own server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_status(stack: Stack, status: int, *, seconds: float) -> tuple[float, dict]:
    """How long /readyz took to answer `status`, and its last answer."""
    started = time.monotonic()
    while True:
        code, body = readyz(stack)
        elapsed = time.monotonic() - started
        if code == status:
            return elapsed, body
        if elapsed > seconds:
            raise AssertionError(f"/readyz still {code} after {seconds} s: {body}\n{stack.log()}")
        time.sleep(0.2)


def test_ready_when_everything_runs(stack):
    _elapsed, body = wait_for_status(stack, 200, seconds=30)

    assert body["status"] == "ready"
    assert {name: check["state"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "broker": "ok",
        "workers": "ok",
        "outbox": "ok",
    }


def test_unready_when_every_worker_of_a_queue_stops_and_ready_when_one_returns(stack):
    wait_for_status(stack, 200, seconds=30)

    # The department's queue keeps a worker: only the default queue has none.
    stack.workers["all"].stop()
    elapsed, body = wait_for_status(stack, 503, seconds=8)
    assert body["checks"]["workers"] == {"state": "failing", "queues_without_worker": ["default"]}
    assert body["checks"]["database"]["state"] == body["checks"]["broker"]["state"] == "ok"
    assert elapsed < 8

    stack.start_worker("all")
    wait_for_status(stack, 200, seconds=15)


def test_ready_while_a_queue_keeps_one_of_its_workers(stack):
    wait_for_status(stack, 200, seconds=30)

    stack.workers["health"].stop()
    time.sleep(float(SETTINGS["HEALTH_WORKER_WINDOW_SECONDS"]) + 1)
    status, body = readyz(stack)
    assert status == 200, body
    # Left stopped: the other worker serves both queues for the tests that follow.


def test_unready_when_postgresql_stops_and_ready_when_it_returns(stack):
    wait_for_status(stack, 200, seconds=30)

    stack.postgres.stop()
    _elapsed, body = wait_for_status(stack, 503, seconds=5)
    assert body["checks"]["database"]["state"] == "failing"
    assert body["checks"]["broker"]["state"] == "ok"

    stack.postgres.start()
    wait_for_status(stack, 200, seconds=10)


def test_unready_when_the_broker_stops_and_ready_when_it_returns(stack):
    wait_for_status(stack, 200, seconds=30)

    stack.redis.stop()
    _elapsed, body = wait_for_status(stack, 503, seconds=5)
    assert body["checks"]["broker"]["state"] == "failing"
    assert body["checks"]["database"]["state"] == "ok"

    # Empty, as a Redis that lost its memory: the worker reconnects and writes its heartbeat again.
    stack.redis.start()
    wait_for_status(stack, 200, seconds=30)


def test_metrics_add_up_the_requests_of_every_gunicorn_worker(stack):
    wait_for_status(stack, 200, seconds=30)
    for _n in range(6):
        # Static files, answered by WhiteNoise: no table needed. Each may go to either worker.
        urllib.request.urlopen(stack.web.url("/static/favicon.svg"), timeout=10).close()  # noqa: S310

    request = urllib.request.Request(  # noqa: S310 - our own server
        stack.web.url("/metrics"), headers={"Authorization": f"Bearer {SETTINGS['METRICS_TOKEN']}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        text = response.read().decode()

    counts = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "portal_http_request_duration_seconds_count" and sample.labels["view"] == "static"
    ]
    assert sum(counts) == 6
    assert 'portal_queue_worker_up{queue="dept.health"} 1.0' in text
    # This database holds only the tables readiness reads: the figures of the cases are left
    # out and said to be, and the rest still answer.
    assert 'portal_metrics_source_up{source="database"} 0.0' in text
    assert 'portal_metrics_source_up{source="broker"} 1.0' in text
