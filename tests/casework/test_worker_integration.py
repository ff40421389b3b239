"""A real Celery worker process, over a real broker (Redis, and RabbitMQ), routes cases on the test
database."""

import pytest
from django.test import RequestFactory

from services.accounts.selectors import queue_names_all
from services.casework import decisions, submission
from services.casework.constants import ApplicationStatus, EventKind
from services.casework.models import Application, CaseEvent, Step
from services.core.models import OutboxMessage
from tests.casework.helpers import reviewer_of
from tests.factories import VALID_ANSWERS, CitizenFactory, make_service
from tests.worker import Worker, queue_length, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_worker(real_broker):
    """Start the worker once the departments exist: it consumes their queues as a full pool would."""
    started = []

    def start() -> Worker:
        started.append(Worker(broker_url=real_broker, queues=queue_names_all()).start())
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def _open_departments(application) -> list[str]:
    return sorted(
        Step.objects.filter(application=application, status="open").values_list("department__code", flat=True)
    )


def _approve_all_open(application, reviewers) -> None:
    for step in Step.objects.filter(application=application, status="open"):
        decisions.step_decide(step_id=step.pk, user=reviewers[step.department.code], decision="approve")


def test_worker_routes_a_case_through_a_parallel_stage_and_three_departments(start_worker):
    service = make_service(stages=[["psb"], ["amr", "fire"], ["mip"]])
    reviewers = {code: reviewer_of(code) for code in ("psb", "amr", "fire", "mip")}
    worker = start_worker()
    assert {"default", "dept.psb", "dept.amr", "dept.fire", "dept.mip"} <= set(worker.queues)

    application, _ = submission.application_submit(
        citizen=CitizenFactory(), service_code=service.code, answers=dict(VALID_ANSWERS)
    )
    wait_for(lambda: _open_departments(application) == ["psb"], what="the first stage", worker=worker)

    _approve_all_open(application, reviewers)
    wait_for(lambda: _open_departments(application) == ["amr", "fire"], what="the parallel stage", worker=worker)

    # One of two parallel approvals: the case must wait for the other department.
    amr = Step.objects.get(application=application, department__code="amr")
    decisions.step_decide(step_id=amr.pk, user=reviewers["amr"], decision="approve")
    assert _open_departments(application) == ["fire"]
    _approve_all_open(application, reviewers)
    wait_for(lambda: _open_departments(application) == ["mip"], what="the last stage", worker=worker)

    _approve_all_open(application, reviewers)
    wait_for(
        lambda: Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED,
        what="completion",
        worker=worker,
    )
    assert Step.objects.filter(application=application).count() == 4
    assert CaseEvent.objects.filter(application=application, kind=EventKind.STAGE_STARTED).count() == 3
    assert CaseEvent.objects.filter(application=application, kind=EventKind.APPROVED).count() == 1
    wait_for(
        lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(),
        what="every outbox message done",
        worker=worker,
    )
    assert "casework.route_case" in worker.log()


def test_worker_ends_a_case_rejected_in_a_parallel_stage(start_worker):
    service = make_service(stages=[["amr", "fire"], ["mip"]])
    reviewers = {code: reviewer_of(code) for code in ("amr", "fire")}
    worker = start_worker()
    application, _ = submission.application_submit(
        citizen=CitizenFactory(), service_code=service.code, answers=dict(VALID_ANSWERS)
    )
    wait_for(lambda: _open_departments(application) == ["amr", "fire"], what="the parallel stage", worker=worker)
    fire = Step.objects.get(application=application, department__code="fire")
    decisions.step_decide(step_id=fire.pk, user=reviewers["fire"], decision="reject", reason="消防通道被占用")

    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert Step.objects.get(application=application, department__code="amr").status == "cancelled"
    assert not Step.objects.filter(application=application, department__code="mip").exists()


def test_automatic_check_runs_only_on_its_department_queue(real_broker):
    """A worker pool without the department's queue leaves the check waiting; the
    department's own worker runs it."""
    from services.catalog.models import StageStep

    service = make_service(stages=[["psb"], ["mca"]])
    StageStep.objects.filter(department__code="psb").update(automatic_check="applicant_adult")
    central = Worker(broker_url=real_broker, queues=["default"]).start()
    department = None
    try:
        application, _ = submission.application_submit(
            citizen=CitizenFactory(), service_code=service.code, answers=dict(VALID_ANSWERS)
        )
        check_step = wait_for(
            lambda: Step.objects.filter(application=application, department__code="psb").first(),
            what="the automatic step",
            worker=central,
        )
        wait_for(
            lambda: queue_length(real_broker, "dept.psb") == 1, what="the check waiting on dept.psb", worker=central
        )
        check_step.refresh_from_db()
        assert check_step.status == "open" and check_step.automatic_check == "applicant_adult"

        department = Worker(broker_url=real_broker, queues=["dept.psb"]).start()
        wait_for(lambda: _open_departments(application) == ["mca"], what="the check and routing", worker=department)
        check_step.refresh_from_db()
        assert check_step.status == "approved" and check_step.decided_by is None
        assert "casework.run_check[" in department.log()
        assert "casework.run_check[" not in central.log()
    finally:
        central.stop()
        if department:
            department.stop()


def test_worker_routes_a_sequential_chain_across_three_departments(start_worker):
    service = make_service(stages=[["health"], ["psb"], ["mip"]])
    reviewers = {code: reviewer_of(code) for code in ("health", "psb", "mip")}
    worker = start_worker()
    application, _ = submission.application_submit(
        citizen=CitizenFactory(), service_code=service.code, answers=dict(VALID_ANSWERS)
    )
    for department in ("health", "psb", "mip"):
        wait_for(lambda d=department: _open_departments(application) == [d], what=department, worker=worker)
        _approve_all_open(application, reviewers)
    wait_for(
        lambda: Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED,
        what="completion",
        worker=worker,
    )
    assert list(
        Step.objects.filter(application=application).order_by("pk").values_list("department__code", flat=True)
    ) == [
        "health",
        "psb",
        "mip",
    ]


def test_worker_takes_a_conditional_stage_for_one_case_and_skips_it_for_another(start_worker):
    from services.catalog.models import Stage

    schema = {
        "groups": [
            {
                "key": "business",
                "title": {"zh": "经营", "en": "Business"},
                "fields": [
                    {"name": "full_name", "type": "text", "label": {"zh": "姓名", "en": "Name"}},
                    {"name": "id_number", "type": "id_number", "label": {"zh": "身份证", "en": "ID"}},
                    {"name": "mobile", "type": "mobile", "label": {"zh": "手机", "en": "Mobile"}},
                    {"name": "scope", "type": "text", "label": {"zh": "经营范围", "en": "Scope"}},
                ],
            }
        ]
    }
    service = make_service(stages=[["amr"], ["health"], ["fire"]], schema=schema)
    Stage.objects.filter(template__service=service, position=2).update(
        condition={"field": "scope", "op": "contains", "value": "餐饮"}
    )
    reviewers = {code: reviewer_of(code) for code in ("amr", "health", "fire")}
    worker = start_worker()
    catering, _ = submission.application_submit(
        citizen=CitizenFactory(), service_code=service.code, answers={**VALID_ANSWERS, "scope": "餐饮服务"}
    )
    retail, _ = submission.application_submit(
        citizen=CitizenFactory(), service_code=service.code, answers={**VALID_ANSWERS, "scope": "日用百货"}
    )
    for application in (catering, retail):
        wait_for(lambda a=application: _open_departments(a) == ["amr"], what="the first stage", worker=worker)
        _approve_all_open(application, reviewers)
    wait_for(lambda: _open_departments(catering) == ["health"], what="the food-safety stage", worker=worker)
    wait_for(lambda: _open_departments(retail) == ["fire"], what="the fire stage, skipping food", worker=worker)
    assert CaseEvent.objects.filter(application=retail, kind=EventKind.STAGE_SKIPPED).count() == 1
    assert not CaseEvent.objects.filter(application=catering, kind=EventKind.STAGE_SKIPPED).exists()


def test_consented_fetches_run_on_the_registry_departments_queues(real_broker, settings):
    """A real worker for each department: each fetch runs on its registry's own queue."""
    from django.core.management import call_command

    from services.applications import actions as application_actions
    from services.catalog.models import Service
    from services.records.actions import fetches_consent
    from services.records.models import Fetch

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    citizen = get_user_model().objects.get(mobile="13800138001")
    service = Service.objects.get(code="marriage-registration")
    police = Worker(broker_url=real_broker, queues=["dept.psb"]).start()
    civil = Worker(broker_url=real_broker, queues=["dept.mca"]).start()
    try:
        draft = application_actions.draft_start(citizen=citizen, service=service)
        fetches_consent(
            request=RequestFactory().post("/"),
            citizen=citizen,
            draft=draft,
            id_number="11010519491231002X",
            requirement_ids=list(service.data_requirements.values_list("pk", flat=True)),
        )
        wait_for(
            lambda: set(Fetch.objects.values_list("status", flat=True)) == {"done"},
            what="both fetches",
            worker=civil,
        )
        assert "records.fetch[" in police.log() and "records.fetch[" in civil.log()
    finally:
        police.stop()
        civil.stop()
