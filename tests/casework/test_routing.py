import pytest

from services.casework import routing
from services.casework.constants import ApplicationStatus, EventKind
from services.casework.models import CaseEvent, Step
from services.core.errors import Conflict, PortalError
from services.core.models import OutboxMessage
from tests.casework.helpers import decide, open_steps, reviewer_of, submit
from tests.factories import CitizenFactory, make_service

pytestmark = pytest.mark.django_db


def test_submission_routes_the_case_to_the_first_stage(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"], ["mca"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.current_stage == 1
    assert [s.department.code for s in open_steps(application)] == ["psb"]


def test_sequential_chain_across_three_departments_completes(django_capture_on_commit_callbacks):
    service = make_service(stages=[["health"], ["psb"], ["mip"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    for expected in ["health", "psb", "mip"]:
        (step,) = open_steps(application)
        assert step.department.code == expected
        decide(step, "approve", django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.decided_at is not None
    assert Step.objects.filter(application=application).count() == 3


def test_parallel_stage_waits_for_every_department(django_capture_on_commit_callbacks):
    service = make_service(stages=[["amr"], ["amr2", "fire"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    parallel = open_steps(application)
    assert sorted(s.department.code for s in parallel) == ["amr2", "fire"]

    decide(parallel[0], "approve", django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert len(open_steps(application)) == 1

    decide(parallel[1], "approve", django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_rejection_in_a_parallel_stage_ends_the_case_and_closes_the_siblings(django_capture_on_commit_callbacks):
    service = make_service(stages=[["amr", "fire"], ["mip"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    fire = next(s for s in open_steps(application) if s.department.code == "fire")
    decide(fire, "reject", django_capture_on_commit_callbacks, reason="疏散通道不足")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    statuses = dict(Step.objects.filter(application=application).values_list("department__code", "status"))
    assert statuses == {"amr": "cancelled", "fire": "rejected"}
    # The reason is told once, with the department that gave it.
    rejected = CaseEvent.objects.get(application=application, kind=EventKind.STEP_REJECTED)
    assert rejected.note == "疏散通道不足"
    assert CaseEvent.objects.get(application=application, kind=EventKind.REJECTED).note == ""


def test_rejection_needs_a_reason(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    with pytest.raises(PortalError) as error:
        decide(step, "reject", django_capture_on_commit_callbacks, reason="   ")
    assert error.value.code == "reason_required"
    step.refresh_from_db()
    assert step.status == "open"


def test_a_decided_step_cannot_be_decided_again(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"], ["mca"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    decide(step, "approve", django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as error:
        decide(step, "reject", django_capture_on_commit_callbacks, reason="late")
    assert error.value.code == "already_decided"
    step.refresh_from_db()
    assert step.status == "approved"


def test_staff_of_another_department_cannot_decide(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    make_service(code="other", stages=[["mca"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    with pytest.raises(PortalError) as error:
        decide(step, "approve", django_capture_on_commit_callbacks, user=reviewer_of("mca"))
    assert error.value.status == 404
    step.refresh_from_db()
    assert step.status == "open"


def test_routing_twice_changes_nothing_twice(django_capture_on_commit_callbacks):
    """A redelivered routing message must not open a stage twice or skip one."""
    service = make_service(stages=[["psb"], ["mca"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    assert routing.case_route(application_id=application.pk) == "waiting"
    assert routing.case_route(application_id=application.pk) == "waiting"
    assert Step.objects.filter(application=application).count() == 1
    assert CaseEvent.objects.filter(application=application, kind=EventKind.STAGE_STARTED).count() == 1

    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    assert routing.case_route(application_id=application.pk) == "waiting"
    assert Step.objects.filter(application=application).count() == 2


def test_routing_an_ended_case_does_nothing(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    events = CaseEvent.objects.filter(application=application).count()
    assert routing.case_route(application_id=application.pk) == "ended"
    assert CaseEvent.objects.filter(application=application).count() == events


def test_every_routing_request_is_marked_done(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"], ["mca"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    messages = OutboxMessage.objects.filter(kwargs__application_id=application.pk)
    assert messages.count() == 2
    assert not messages.filter(done_at__isnull=True).exists()


def test_the_citizen_timeline_tells_the_story_in_order(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    kinds = list(CaseEvent.objects.filter(application=application).values_list("kind", flat=True))
    assert kinds == ["submitted", "stage_started", "step_approved", "completed"]


def test_history_is_append_only(django_capture_on_commit_callbacks):
    from services.core.models import AppendOnlyError

    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    event = CaseEvent.objects.filter(application=application).first()
    event.note = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
