"""/metrics (portal.metrics) while a case moves, in-process (tasks run eagerly). The broker's
queue depths and the workers' heartbeats, with a real worker: test_metrics_worker.py."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from services.casework.constants import StepStatus
from services.casework.models import Step
from services.monitoring.models import Alert
from services.notifications.models import Delivery, DeliveryStatus, Notification
from tests.casework.helpers import decide, open_steps, submit
from tests.factories import CitizenFactory, DepartmentFactory, make_service

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ordinary_working_day")]

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []

    def scrape() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return scrape


def steps_open(figures, department: str, state: str) -> float:
    return figures[("portal_steps_open", (("deadline_state", state), ("department", department)))]


def test_open_steps_by_deadline_state_follow_a_case(scrape, service, django_capture_on_commit_callbacks):
    citizen = CitizenFactory()
    assert steps_open(scrape(), "health", "on_track") == 0

    application = submit(citizen, service, django_capture_on_commit_callbacks)
    figures = scrape()
    assert steps_open(figures, "health", "on_track") == 1
    assert steps_open(figures, "police", "on_track") == 0
    assert figures[("portal_outbox_pending_messages", ())] == 0

    (health,) = open_steps(application)
    decide(health, "approve", django_capture_on_commit_callbacks)
    figures = scrape()
    assert steps_open(figures, "health", "on_track") == 0
    assert steps_open(figures, "police", "on_track") == 1
    assert steps_open(figures, "social", "on_track") == 1

    # Weeks later, nobody has decided: both steps are overdue.
    yesterday = timezone.localdate() - timedelta(days=1)
    Step.objects.filter(status=StepStatus.OPEN).update(due_soon_on=yesterday, due_date=yesterday)
    figures = scrape()
    assert steps_open(figures, "police", "overdue") == 1
    assert steps_open(figures, "police", "on_track") == 0


def test_delivery_failures_and_open_alerts_are_counted(scrape):
    citizen = CitizenFactory()
    notification = Notification.objects.create(recipient=citizen, kind="case_submitted", params={})
    Delivery.objects.create(notification=notification, channel="sms", address="x", status=DeliveryStatus.FAILED)
    Delivery.objects.create(notification=notification, channel="sms", address="x", attempts=2)
    Delivery.objects.create(notification=notification, channel="email", address="x", status=DeliveryStatus.SENT)
    Alert.objects.create(rule="exports", key="staff:1", subject="s", last_seen_at=timezone.now(), count=21)

    figures = scrape()

    assert figures[("portal_notification_deliveries_failed", (("channel", "sms"),))] == 1
    assert figures[("portal_notification_deliveries_retrying", (("channel", "sms"),))] == 1
    assert figures[("portal_notification_deliveries_failed", (("channel", "email"),))] == 0
    assert figures[("portal_security_alerts_open", (("rule", "exports"),))] == 1
    assert figures[("portal_security_alerts_open", (("rule", "bulk_export"),))] == 0


def test_request_latency_is_labelled_by_view_never_by_path(client, scrape, service):
    client.get("/services/")
    for code in ("a-service-1", "a-service-2", "a-service-3"):
        client.get(f"/services/{code}/")
    client.get("/no/such/page/")

    figures = scrape()

    views = {dict(labels).get("view") for name, labels in figures if name.startswith("portal_http_request")}
    assert {"catalog:list", "applications:guide", "unresolved"} <= views
    assert not any(view.startswith("/") for view in views if view)
    count = (
        "portal_http_request_duration_seconds_count",
        (("method", "GET"), ("status", "404"), ("view", "applications:guide")),
    )
    assert figures[count] >= 3


def test_a_scrape_costs_a_few_queries_whatever_there_is(
    scrape, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for code in ("psb", "amr", "fire", "mip"):
        DepartmentFactory(code=code)
    service = make_service(code="a-bigger-service", stages=[["psb", "amr"], ["fire"], ["mip"]])
    for _n in range(5):
        submit(CitizenFactory(), service, django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(5):
        figures = scrape()

    assert steps_open(figures, "psb", "on_track") == 5
