"""/metrics while a case moves through a real Celery worker over a real Redis: the message
waits in its queue until a worker comes, then the case's first stage opens; the worker's JSON
log lines of the case's routing carry the id of the request that submitted it."""

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.accounts.selectors import queue_names_all
from services.casework.models import Application, Step
from services.core.models import OutboxMessage
from tests.factories import VALID_ANSWERS, CitizenFactory, make_service
from tests.worker import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "metrics-token-for-the-tests-0123456789"
REQUEST_ID = "lb-4b1d2c3e-7777"


@pytest.fixture
def shared_cache(settings, real_broker, redis_url):
    """This process reads the workers' heartbeats where they write them: the cache's Redis
    (on either broker)."""
    settings.CACHES = {"default": {"BACKEND": "services.core.redis_cache.PortalRedisCache", "LOCATION": redis_url}}
    settings.HEALTH_WORKER_WINDOW_SECONDS = 3
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []
    from django.core.cache import cache

    cache.delete_many([f"health:worker:{queue}" for queue in ("default", "dept.psb", "dept.amr")])
    return real_broker, redis_url


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def queued(figures, queue: str) -> float:
    return figures[("portal_queue_messages", (("queue", queue),))]


def test_metrics_and_the_request_id_follow_a_case_through_the_worker(client, api_client, shared_cache):
    broker_url, redis_url = shared_cache
    service = make_service(code="metrics-service", stages=[["psb"], ["amr"]])
    service.materials.update(deferrable_days=5)  # an answers-only submission: the materials follow later
    api_client.force_authenticate(user=CitizenFactory())

    response = api_client.post(
        "/api/v1/applications/",
        {"service": service.code, "answers": VALID_ANSWERS},
        format="json",
        HTTP_X_REQUEST_ID=REQUEST_ID,
    )
    assert response.status_code == 201
    assert response["X-Request-ID"] == REQUEST_ID

    # No worker yet: the routing message waits in the default queue, published, not done.
    figures = scrape(client)
    assert queued(figures, "default") == 1
    assert queued(figures, "dept.psb") == 0
    assert figures[("portal_outbox_pending_messages", ())] == 1
    assert figures[("portal_outbox_unpublished_messages", ())] == 0
    assert figures[("portal_queue_worker_up", (("queue", "default"),))] == 0
    assert figures[("portal_metrics_source_up", (("source", "broker"),))] == 1

    worker = Worker(
        broker_url=broker_url,
        queues=queue_names_all(),
        env={
            "REDIS_URL": redis_url,
            "LOG_FORMAT": "json",
            "HEALTH_WORKER_HEARTBEAT_SECONDS": "0.5",
            "HEALTH_WORKER_WINDOW_SECONDS": "3",
        },
    ).start()
    try:
        application = Application.objects.get(reference=response.json()["reference"])
        wait_for(
            lambda: Step.objects.filter(application=application, status="open").exists(),
            what="the first stage",
            worker=worker,
        )
        wait_for(lambda: not OutboxMessage.objects.filter(done_at=None).exists(), what="the outbox", worker=worker)
        figures = scrape(client)
        assert queued(figures, "default") == 0
        assert figures[("portal_steps_open", (("deadline_state", "on_track"), ("department", "psb")))] == 1
        assert figures[("portal_steps_open", (("deadline_state", "on_track"), ("department", "amr")))] == 0
        assert figures[("portal_outbox_pending_messages", ())] == 0
        assert figures[("portal_queue_worker_up", (("queue", "dept.psb"),))] == 1
    finally:
        worker.stop()

    records = [json.loads(line) for line in worker.lines if line.startswith("{")]
    routed = [r for r in records if r.get("task_name") == "casework.route_case"]
    assert routed, worker.log()
    assert {r["request_id"] for r in routed} == {REQUEST_ID}
