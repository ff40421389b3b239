"""/healthz and /readyz for load balancers, and who may read /metrics (portal.health). The
same endpoints against real processes being stopped and started: test_health_processes.py."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from portal.celery import app as celery_app
from services.core.heartbeats import worker_heartbeat_record
from services.core.models import OutboxMessage
from tests.factories import DepartmentFactory
from tests.test_deploy_settings import PRODUCTION_ENV, _manage

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def with_broker():
    """Readiness as with a broker (the in-memory one): workers are looked for."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_healthz_answers_alive_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_with_every_check_named(client):
    response = client.get("/readyz/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "workers", "outbox"}
    assert body["checks"]["database"] == {"state": "ok"}
    # Without a broker tasks run in the process: nothing to wait for.
    assert body["checks"]["broker"] == {"state": "skipped"}


def test_probes_pass_whatever_host_they_name_and_are_not_sent_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.1.2.3:8000")
        assert response.status_code == 200, path


def test_probes_take_get_and_head_only(client):
    assert client.post("/readyz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_readyz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 10.0.0.5, port 5432 failed: password for portal")

    monkeypatch.setattr("portal.health.connection.cursor", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert body["checks"]["database"] == {"state": "failing", "error": "OperationalError"}
    # No address, port or user of the infrastructure in an unauthenticated answer.
    assert "10.0.0.5" not in response.content.decode()


@pytest.mark.usefixtures("with_broker")
def test_readyz_names_the_queues_no_live_worker_consumes(client, settings):
    DepartmentFactory(code="police")
    DepartmentFactory(code="health")
    worker_heartbeat_record(queues=["default", "dept.health"], worker="w1@host", window=30)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"state": "ok"}
    assert response.json()["checks"]["workers"] == {"state": "failing", "queues_without_worker": ["dept.police"]}

    worker_heartbeat_record(queues=["dept.police"], worker="w2@host", window=30)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] == {"state": "ok", "queues": 3}


@pytest.mark.usefixtures("with_broker")
def test_a_heartbeat_older_than_the_window_counts_as_no_worker(client, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    worker_heartbeat_record(queues=["default"], worker="w1@host", window=300)
    settings.HEALTH_WORKER_WINDOW_SECONDS = 5
    time_machine.shift(timedelta(seconds=6))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["workers"]["queues_without_worker"] == ["default"]


@pytest.mark.usefixtures("with_broker")
def test_readyz_is_503_when_the_broker_does_not_answer(client, monkeypatch):
    worker_heartbeat_record(queues=["default"], worker="w1@host", window=30)
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["state"] == "failing"


def test_readyz_is_503_while_an_outbox_message_waits_too_long_for_the_broker(client, settings):
    settings.HEALTH_OUTBOX_LAG_SECONDS = 60
    message = OutboxMessage.objects.create(task_name="casework.route_case", kwargs={}, queue="default")
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=30))
    assert client.get("/readyz").status_code == 200

    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=90))
    response = client.get("/readyz")

    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["state"] == "failing"
    assert outbox["unpublished"] == 1
    assert outbox["lag_seconds"] >= 90

    # Published but not done yet (in a queue, or waiting for a retry): not the relay's lag.
    OutboxMessage.objects.filter(pk=message.pk).update(published_at=timezone.now())
    assert client.get("/readyz").status_code == 200


# --- who may read /metrics -----------------------------------------------------------------


def test_metrics_are_off_without_a_token_or_an_address_list(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = []

    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []

    missing = client.get("/metrics", HTTP_ACCEPT_LANGUAGE="en")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token", HTTP_ACCEPT_LANGUAGE="en")

    for response in (missing, wrong):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json() == {"detail": "The metrics need a valid token."}
        assert b"portal_" not in response.content


def test_the_refusal_is_in_chinese_by_default(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []

    response = client.get("/metrics")

    assert response.status_code == 401
    assert response.json()["detail"] != "The metrics need a valid token."


def test_metrics_answer_the_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"portal_outbox_pending_messages" in response.content


def test_metrics_answer_an_allowed_address_only(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = ["10.8.0.0/16"]

    assert client.get("/metrics", REMOTE_ADDR="10.8.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.9.3.4").status_code == 401
    # A forged X-Forwarded-For from a connection that is no trusted proxy changes nothing.
    assert client.get("/metrics", REMOTE_ADDR="10.9.3.4", HTTP_X_FORWARDED_FOR="10.8.3.4").status_code == 401


def test_production_writes_json_logs_and_refuses_a_short_metrics_token():
    show = ("shell", "-c", "from django.conf import settings; print(settings.LOG_FORMAT)")
    result = _manage(*show, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "json"

    result = _manage("check", env={**PRODUCTION_ENV, "METRICS_TOKEN": "short"})
    assert result.returncode != 0
    assert "METRICS_TOKEN" in result.stderr
