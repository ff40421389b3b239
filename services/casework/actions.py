import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.models import Membership
from services.applications.actions import application_transition, event_record
from services.applications.constants import OPEN_STATUSES, ROUTE_TASK, ApplicationStatus, EventKind
from services.applications.models import Application
from services.casework.constants import STEP_ROLES_FOR_STAFF_ROLE, Decision, StepStatus
from services.casework.models import Step
from services.core.errors import Conflict, Forbidden, NotFound, PortalError
from services.core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)


def case_route(*, application_id: int) -> str:
    """Move a case on: open the first stage, or the next one when every step of the current
    stage approved, or complete it after the last. Idempotent: a repeated call while steps
    are open, or after the case ended, changes nothing. Returns what it did."""
    with transaction.atomic():
        application = Application.objects.select_for_update().filter(pk=application_id).first()
        if application is None:
            logger.warning("route_case: application %s does not exist", application_id)
            return "missing"
        if application.status not in OPEN_STATUSES:
            return "ended"
        stages = list(application.workflow.stages.order_by("position").prefetch_related("steps__department"))
        if application.current_stage is not None:
            current = Step.objects.filter(application=application, stage_position=application.current_stage)
            statuses = set(current.values_list("status", flat=True))
            if StepStatus.OPEN in statuses or StepStatus.REJECTED in statuses:
                return "waiting"
            later = [s for s in stages if s.position > application.current_stage]
        else:
            later = stages
        if not later:
            application_transition(application=application, to_status=ApplicationStatus.COMPLETED)
            event_record(
                application=application,
                kind=EventKind.COMPLETED,
                from_status=ApplicationStatus.IN_REVIEW,
                to_status=ApplicationStatus.COMPLETED,
            )
            return "completed"
        stage = later[0]
        from_status = application.status
        application.current_stage = stage.position
        if from_status == ApplicationStatus.SUBMITTED:
            application_transition(application=application, to_status=ApplicationStatus.IN_REVIEW)
        else:
            application.save(update_fields=["current_stage"])
        for stage_step in stage.steps.all():
            Step.objects.get_or_create(
                application=application,
                stage_step=stage_step,
                defaults={
                    "stage_position": stage.position,
                    "department": stage_step.department,
                    "role": stage_step.role,
                },
            )
        event_record(
            application=application,
            kind=EventKind.STAGE_STARTED,
            stage=stage,
            from_status=from_status,
            to_status=application.status,
        )
        return "stage_started"


def _check_may_decide(*, step: Step, user) -> None:
    roles = [staff for staff, steps in STEP_ROLES_FOR_STAFF_ROLE.items() if step.role in steps]
    allowed = Membership.objects.filter(user=user, department_id=step.department_id, role__in=roles).exists()
    if not allowed:
        # Staff of other departments learn nothing about the step.
        raise NotFound(_("This step does not exist or is not in your department's queue."))


def step_decide(*, step_id: int, user, decision: str, reason: str = "") -> Step:
    """Approve or reject a step. The case row is locked first, so decisions on one case
    happen one at a time: of two reviewers deciding the same step at once, one decides and
    the other gets a clear conflict."""
    reason = (reason or "").strip()
    if decision not in Decision.values:
        raise PortalError(_("Choose approve or reject."), code="invalid_decision")
    if decision == Decision.REJECT and not reason:
        raise PortalError(_("Give the reason for the rejection: the applicant will read it."), code="reason_required")
    if not getattr(user, "is_portal_staff", False):
        raise Forbidden(_("Only department staff can decide steps."))

    application_id = Step.objects.filter(pk=step_id).values_list("application_id", flat=True).first()
    if application_id is None:
        raise NotFound(_("This step does not exist or is not in your department's queue."))
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        step = Step.objects.select_for_update(of=("self",)).select_related("department", "decided_by").get(pk=step_id)
        _check_may_decide(step=step, user=user)
        if step.status != StepStatus.OPEN:
            who = str(step.decided_by) if step.decided_by_id else _("the system")
            raise Conflict(
                _("This step was already decided (%(status)s) by %(who)s. Nothing was changed.")
                % {"status": step.get_status_display(), "who": who},
                code="already_decided",
            )
        step.decided_by = user
        step.decided_at = timezone.now()
        step.reason = reason
        if decision == Decision.APPROVE:
            step.status = StepStatus.APPROVED
            step.save(update_fields=["status", "decided_by", "decided_at", "reason"])
            event_record(
                application=application,
                kind=EventKind.STEP_APPROVED,
                actor=user,
                department=step.department,
                note=reason,
            )
            stage_open = Step.objects.filter(
                application=application, stage_position=step.stage_position, status=StepStatus.OPEN
            ).exists()
            if not stage_open:
                outbox_enqueue(task_name=ROUTE_TASK, kwargs={"application_id": application.pk})
        else:
            step.status = StepStatus.REJECTED
            step.save(update_fields=["status", "decided_by", "decided_at", "reason"])
            event_record(
                application=application,
                kind=EventKind.STEP_REJECTED,
                actor=user,
                department=step.department,
                note=reason,
            )
            _case_reject(application=application, closing_step=step)
        return step


def _case_reject(*, application: Application, closing_step: Step) -> None:
    """Any rejection ends the case; the sibling steps still open are closed."""
    siblings = Step.objects.filter(application=application, status=StepStatus.OPEN).exclude(pk=closing_step.pk)
    for sibling in siblings.select_related("department"):
        sibling.status = StepStatus.CANCELLED
        sibling.decided_at = timezone.now()
        sibling.save(update_fields=["status", "decided_at"])
        event_record(application=application, kind=EventKind.STEP_CANCELLED, department=sibling.department)
    from_status = application_transition(application=application, to_status=ApplicationStatus.REJECTED)
    event_record(
        application=application,
        kind=EventKind.REJECTED,
        department=closing_step.department,
        from_status=from_status,
        to_status=ApplicationStatus.REJECTED,
        note=closing_step.reason,
    )
