"""The request id: echoed to the caller, written into every log line, stored with the outbox
message and carried into the tasks a request queues."""

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings
from django.urls import reverse

from services.audit.models import AuditEvent
from services.casework import routing
from services.core import tracing
from services.core.models import OutboxMessage
from tests.factories import VALID_ANSWERS, CitizenFactory

pytestmark = pytest.mark.django_db

SANE_ID = "lb-5f2c9e1a-0001"


def test_a_sane_request_id_from_the_caller_is_echoed(client):
    response = client.get("/services/", HTTP_X_REQUEST_ID=SANE_ID)

    assert response["X-Request-ID"] == SANE_ID


@pytest.mark.parametrize("given", ["", "short", "has space in it", "x" * 65, 'quote"s-and\nnewline'])
def test_a_missing_or_strange_request_id_is_replaced_by_a_new_one(client, given):
    response = client.get("/services/", HTTP_X_REQUEST_ID=given)

    made = response["X-Request-ID"]
    assert made != given
    assert len(made) == 32 and made.isalnum()


def test_every_request_gets_its_own_id(client):
    assert client.get("/services/")["X-Request-ID"] != client.get("/services/")["X-Request-ID"]


def test_the_request_id_is_unbound_after_the_request(client):
    client.get("/services/", HTTP_X_REQUEST_ID=SANE_ID)

    assert tracing.request_id_get() is None


def test_a_case_submitted_in_a_request_routes_under_its_request_id(
    api_client, service, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []
    original = routing.case_route

    def case_route(**kwargs):
        seen.append(tracing.request_id_get())
        return original(**kwargs)

    monkeypatch.setattr("services.casework.tasks.case_route", case_route)
    service.materials.update(deferrable_days=5)  # an answers-only submission: the materials follow later
    api_client.force_authenticate(user=CitizenFactory())

    # The relay publishes after the commit, when the request is over: the id comes from the
    # outbox row, through the task's header.
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/applications/",
            {"service": service.code, "answers": VALID_ANSWERS},
            format="json",
            HTTP_X_REQUEST_ID=SANE_ID,
        )

    assert response.status_code == 201
    assert OutboxMessage.objects.get(task_name="casework.route_case").request_id == SANE_ID
    assert seen == [SANE_ID]
    # Routing opened the first stage; its notifications' work carries the id on.
    assert set(OutboxMessage.objects.values_list("request_id", flat=True)) == {SANE_ID}
    assert tracing.request_id_get() is None


def test_work_queued_outside_any_request_has_no_request_id(service, django_capture_on_commit_callbacks):
    from services.casework import submission

    with django_capture_on_commit_callbacks(execute=True):
        submission.application_submit(citizen=CitizenFactory(), service_code=service.code, answers=dict(VALID_ANSWERS))

    assert set(OutboxMessage.objects.values_list("request_id", flat=True)) == {""}


def test_a_task_sent_during_a_request_gets_the_header_unless_it_names_one():
    token = tracing.request_id_bind(SANE_ID)
    try:
        plain: dict = {}
        tracing.task_headers_add_request_id(headers=plain)
        named = {tracing.TASK_HEADER: "another-id-0001"}
        tracing.task_headers_add_request_id(headers=named)
    finally:
        tracing.request_id_unbind(token)

    assert plain == {tracing.TASK_HEADER: SANE_ID}
    assert named == {tracing.TASK_HEADER: "another-id-0001"}


def test_a_strange_task_header_is_not_bound():
    class Request:
        request_id = "bad id\nINFO forged line"
        headers = None

    class Task:
        request = Request()

    tracing.task_request_id_bind(task_id="t1", task=Task())
    try:
        assert tracing.request_id_get() is None
    finally:
        tracing.task_request_id_unbind(task_id="t1")


def test_the_log_line_of_a_page_not_found_carries_the_request_id(client):
    # Django logs a 4xx or 5xx after the middleware has answered, before the answer is closed.
    seen = []

    class Capture(logging.Handler):
        def emit(self, record):
            seen.append(record.request_id)

    handler = Capture()
    handler.addFilter(tracing.RequestIdFilter())
    logging.getLogger("django.request").addHandler(handler)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID=SANE_ID)
    finally:
        logging.getLogger("django.request").removeHandler(handler)

    assert seen == [SANE_ID]


def test_audit_events_of_a_request_carry_its_id(client):
    client.post(
        reverse("accounts:login"), {"username": "nobody", "password": "wrong-password"}, HTTP_X_REQUEST_ID=SANE_ID
    )

    assert AuditEvent.objects.filter(request_id=SANE_ID).exists()


def _json_logger(stream: io.StringIO) -> logging.Logger:
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": settings.LOGGING["filters"],
        "formatters": settings.LOGGING["formatters"],
        "handlers": {
            "test": {"class": "logging.StreamHandler", "stream": stream, "formatter": "json", "filters": ["request_id"]}
        },
        "loggers": {"tests.json": {"handlers": ["test"], "level": "INFO", "propagate": False}},
    }
    logging.config.dictConfig(config)
    return logging.getLogger("tests.json")


def test_json_log_lines_carry_the_request_id():
    stream = io.StringIO()
    logger = _json_logger(stream)
    token = tracing.request_id_bind(SANE_ID)
    try:
        logger.info("case %s routed", "20260610-0001")
    finally:
        tracing.request_id_unbind(token)
    logger.warning("outside")

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "case 20260610-0001 routed"
    assert first["level"] == "INFO"
    assert first["logger"] == "tests.json"
    assert first["request_id"] == SANE_ID
    assert "time" in first
    assert second["request_id"] == "-"
