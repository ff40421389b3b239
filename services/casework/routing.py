"""How a case moves through its workflow: `case_route` opens the first stage that applies,
the next one when every step of the current stage approved, or approves the case after the
last. The Celery task `casework.route_case` runs it after each submission, approval and
correction; it is idempotent, so a redelivered message changes nothing twice."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from services.casework.constants import (
    CHECK_TASK,
    LICENCE_TASK,
    OPEN_STATUSES,
    ApplicationStatus,
    EventKind,
    StepStatus,
)
from services.casework.deadlines import step_deadline
from services.casework.history import case_transition, event_record
from services.casework.models import Application, Step
from services.catalog.models import Stage
from services.catalog.schema import condition_holds
from services.core.outbox import outbox_enqueue
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind

logger = logging.getLogger(__name__)


def stage_open(*, application: Application, stage: Stage) -> list[Step]:
    """Create the steps of `stage` for the application's current round (once: the database
    refuses a second copy), and queue the automatic ones on their department's queue."""
    today = timezone.localdate()
    steps = []
    for stage_step in stage.steps.all():
        due_soon_on, due_date = step_deadline(start=today, days=stage_step.days)
        step, created = Step.objects.get_or_create(
            application=application,
            stage_step=stage_step,
            round=application.round,
            defaults={
                "stage_position": stage.position,
                "department": stage_step.department,
                "role": stage_step.role,
                "automatic_check": stage_step.automatic_check,
                "service_id": application.service_id,
                "submitted_at": application.submitted_at,
                "started_on": today,
                "due_soon_on": due_soon_on,
                "due_date": due_date,
            },
        )
        if created and step.automatic_check:
            outbox_enqueue(
                task_name=CHECK_TASK, kwargs={"step_id": step.pk}, department_code=stage_step.department.code
            )
        steps.append(step)
    return steps


def case_route(*, application_id: int) -> str:
    """Move a case on: open the first stage that applies, or the next one when every step of
    the current stage approved, or approve the case after the last. Stages whose condition
    does not hold for the answers are skipped. Idempotent: while steps are open, while the
    citizen is correcting, or after the case ended, it changes nothing. Returns what it did."""
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(pk=application_id).first()
        if application is None:
            logger.warning("route_case: application %s does not exist", application_id)
            return "missing"
        if application.status not in OPEN_STATUSES:
            return "ended"
        if application.status == ApplicationStatus.CORRECTION:
            return "waiting"
        stages = list(application.workflow.stages.order_by("position").prefetch_related("steps__department", "steps"))
        if application.current_stage is not None:
            statuses = set(
                Step.objects.filter(
                    application=application, stage_position=application.current_stage, round=application.round
                ).values_list("status", flat=True)
            )
            if statuses & {StepStatus.OPEN, StepStatus.REJECTED}:
                return "waiting"
            later = [s for s in stages if s.position > application.current_stage]
        else:
            later = stages

        stage = None
        for candidate in later:
            if condition_holds(candidate.condition, application.answers):
                stage = candidate
                break
            event_record(application=application, kind=EventKind.STAGE_SKIPPED, stage=candidate)

        if stage is None:
            case_transition(application=application, to_status=ApplicationStatus.APPROVED, event=EventKind.APPROVED)
            citizen_tell_decided(application=application)
            _licence_request(application)
            return "approved"
        application.current_stage = stage.position
        if application.status == ApplicationStatus.SUBMITTED:
            case_transition(
                application=application,
                to_status=ApplicationStatus.IN_REVIEW,
                event=EventKind.STAGE_STARTED,
                stage=stage,
            )
        else:
            application.save(update_fields=["current_stage"])
            event_record(
                application=application,
                kind=EventKind.STAGE_STARTED,
                stage=stage,
                from_status=application.status,
                to_status=application.status,
            )
        stage_open(application=application, stage=stage)
        return "stage_started"


def _licence_request(application: Application) -> None:
    """A service that issues a document does so on the issuing department's own worker."""
    issues = application.service.issues
    if issues is not None:
        issuer = issues.issuer or application.service.lead_department
        outbox_enqueue(task_name=LICENCE_TASK, kwargs={"application_id": application.pk}, department_code=issuer.code)


def citizen_tell_decided(*, application: Application) -> None:
    notify(
        recipients=[application.citizen],
        kind=NotificationKind.CASE_DECIDED,
        params={"reference": application.reference},
        link=reverse("applications:detail", args=[application.reference]),
    )
