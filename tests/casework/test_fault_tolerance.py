"""While cases are being submitted, a worker is killed mid-task and the broker (Redis, and
RabbitMQ) is restarted.
Afterwards every case is routed exactly once: no step lost, none doubled."""

import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

import psutil
import pytest
from django.db import connection, connections, transaction

from portal.celery import app as celery_app
from portal.embedded import _free_port, start_redis
from services.casework import submission
from services.casework.constants import EventKind
from services.casework.models import Application, CaseEvent, Step
from services.core import outbox
from services.core.models import OutboxMessage
from tests.brokers import RabbitNode
from tests.factories import VALID_ANSWERS, CitizenFactory, make_service
from tests.worker import Worker, use_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["redis", "rabbitmq"])
def restartable_broker(request, tmp_path):
    """A broker of this test's own, that keeps its messages on disk, so it can be stopped and
    started: a Redis with an append-only file, or a RabbitMQ node (quorum queues)."""
    if request.param == "redis":
        port = _free_port()
        state = {"process": start_redis(tmp_path, data_dir=tmp_path, persist=True, port=port)[0]}
        url = f"redis://127.0.0.1:{port}/0"

        def restart():
            state["process"].send_signal(signal.SIGTERM)
            state["process"].wait(timeout=20)
            state["process"] = start_redis(tmp_path, data_dir=tmp_path, persist=True, port=port)[0]

        def stop():
            state["process"].terminate()
            state["process"].wait(timeout=20)

    else:
        if not os.environ.get("RABBITMQ_URL"):
            pytest.skip("RabbitMQ: set RABBITMQ_URL (.ci/run does) to run the tests on RabbitMQ")
        # Not under tmp_path: the node runs as the rabbitmq user, who cannot enter pytest's folders.
        folder = Path(tempfile.mkdtemp(prefix="rabbitmq-"))
        node = RabbitNode(folder).start()
        url, restart = node.url, node.restart

        def stop():
            node.stop()
            shutil.rmtree(folder, ignore_errors=True)

    use_broker(url)
    yield url, restart
    use_broker("memory://")
    stop()


def _submit(service, citizen):
    application, _ = submission.application_submit(
        citizen=citizen, service_code=service.code, answers=dict(VALID_ANSWERS)
    )
    return application


def _hold_case_lock(application_id: int, locked: threading.Event, release: threading.Event) -> None:
    """Keep the case locked so that routing it blocks inside the task."""
    try:
        with transaction.atomic():
            if connection.vendor == "sqlite":
                # SQLite locks the whole database for writing; an immediate transaction holds it.
                Application.objects.filter(pk=application_id).update(round=1)
            else:
                Application.objects.select_for_update().get(pk=application_id)
            locked.set()
            release.wait(timeout=60)
    finally:
        connections.close_all()


def test_killed_worker_and_restarted_broker_lose_and_double_nothing(restartable_broker, settings, monkeypatch):
    url, restart_broker = restartable_broker
    settings.OUTBOX_STALE_SECONDS = 3
    service = make_service(stages=[["psb"], ["mca"]])
    citizen = CitizenFactory()
    worker = Worker(broker_url=url, queues=["default"], concurrency=1).start()
    submitted: list[Application] = []
    try:
        # 1. A case whose routing will be running when the worker dies: publish it while
        #    its row is locked, so the task is stuck inside the transaction.
        send = outbox._send
        monkeypatch.setattr(outbox, "_send", lambda app, m: None)
        first = _submit(service, citizen)
        submitted.append(first)
        monkeypatch.setattr(outbox, "_send", send)
        locked, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=_hold_case_lock, args=(first.pk, locked, release))
        holder.start()
        assert locked.wait(10)
        message = OutboxMessage.objects.get(kwargs__application_id=first.pk)
        # Straight to the broker: the lock (on SQLite, the whole database) is held right now.
        send(celery_app, message)
        wait_for(lambda: "casework.route_case" in worker.log(), what="the task to start", worker=worker)

        children = psutil.Process(worker.process.pid).children()
        assert children, "the worker has no pool process"
        for child in children:
            child.send_signal(signal.SIGKILL)
        release.set()
        holder.join(timeout=30)

        # 2. More cases, with the broker restarted in the middle.
        for _ in range(4):
            submitted.append(_submit(service, citizen))
        restart_broker()
        for _ in range(4):
            submitted.append(_submit(service, citizen))

        # 3. Beat's sweep re-publishes whatever the broker lost or never got.
        def all_routed():
            outbox.outbox_sweep()
            return Step.objects.filter(application__in=submitted).count() >= len(submitted) and not (
                OutboxMessage.objects.filter(done_at__isnull=True).exists()
            )

        wait_for(all_routed, timeout=90, what="every case routed", worker=worker)
    finally:
        worker.stop()

    whole_log = "\n".join(worker.lines)  # log() is the tail; the broker's restart writes much after
    assert "WorkerLostError" in whole_log or "SIGKILL" in whole_log
    for application in submitted:
        steps = Step.objects.filter(application=application)
        assert steps.count() == 1, application.reference
        assert steps.get().department.code == "psb"
        assert CaseEvent.objects.filter(application=application, kind=EventKind.STAGE_STARTED).count() == 1
        application.refresh_from_db()
        assert application.status == "in_review"
