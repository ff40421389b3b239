"""How a department decides a step: approve, reject (reason required), request a correction
(补正: the items to fix), or return the case to the previous stage (reason required).

An approval that leaves no step of the stage open asks for routing; any rejection ends the
case at once and closes the sibling steps; a correction stops the case's clock until the
citizen answers (`citizen.case_correction_submit`)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from services.casework.constants import ROUTE_TASK, ApplicationStatus, Decision, EventKind, StepStatus
from services.casework.history import case_transition, event_record
from services.casework.models import Application, CorrectionRequest, Step
from services.casework.routing import citizen_tell_decided, stage_open
from services.casework.steps import (
    require_may_work_on,
    require_not_claimed_by_other,
    require_open,
    step_close,
    step_locked,
    steps_close_open,
)
from services.catalog.schema import schema_field_types
from services.core.errors import Conflict, Forbidden, PortalError
from services.core.outbox import outbox_enqueue
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind


def _correction_items(items) -> list[dict]:
    """Items arrive as text lines or {"field", "text"} objects; each needs text."""
    cleaned = []
    for item in items or []:
        if isinstance(item, str):
            item = {"field": "", "text": item}
        if not isinstance(item, dict):
            continue
        item_text = str(item.get("text", "")).strip()
        if item_text:
            cleaned.append({"field": str(item.get("field") or ""), "text": item_text[:500]})
    return cleaned


def step_decide(*, step_id: int, user, decision: str, reason: str = "", items=None) -> Step:
    """Approve, reject (reason required), request a correction (items required) or return
    the case to the previous stage (reason required). Of two reviewers deciding the same step
    at once, one decides and the other gets a Conflict."""
    reason = (reason or "").strip()
    if decision not in Decision.values:
        raise PortalError(_("Choose approve, reject, correction or return."), code="invalid_decision")
    if decision == Decision.REJECT and not reason:
        raise PortalError(_("Give the reason for the rejection: the applicant will read it."), code="reason_required")
    if decision == Decision.RETURN and not reason:
        raise PortalError(_("Give the reason for sending the case back."), code="reason_required")
    correction_items = _correction_items(items)
    if decision == Decision.CORRECTION and not correction_items:
        raise PortalError(_("List every item the applicant must fix, one per line."), code="items_required")
    if not getattr(user, "is_portal_staff", False):
        raise Forbidden(_("Only department staff can decide steps."))
    with transaction.atomic():
        application, step = step_locked(step_id)
        require_may_work_on(step=step, user=user)
        require_open(step)
        require_not_claimed_by_other(step=step, user=user)
        if application.status == ApplicationStatus.CORRECTION:
            raise Conflict(_("The case is waiting for the applicant's correction."), code="waiting_for_citizen")
        if not step.assignee_id:
            step.assignee, step.claimed_at = user, timezone.now()
            step.save(update_fields=["assignee", "claimed_at"])
        if decision == Decision.APPROVE:
            step_approve(application=application, step=step, user=user, reason=reason)
        elif decision == Decision.REJECT:
            step_reject(application=application, step=step, user=user, reason=reason)
        elif decision == Decision.CORRECTION:
            _correction_request(application=application, step=step, user=user, items=correction_items, note=reason)
        else:
            _step_return(application=application, step=step, user=user, reason=reason)
        return step


def step_approve(*, application: Application, step: Step, user, reason: str) -> None:
    """Approve a locked step (by a person, or by its automatic check when `user` is None)."""
    step_close(step=step, status=StepStatus.APPROVED, user=user, reason=reason)
    event_record(
        application=application, kind=EventKind.STEP_APPROVED, actor=user, department=step.department, note=reason
    )
    stage_open = Step.objects.filter(
        application=application, stage_position=step.stage_position, round=step.round, status=StepStatus.OPEN
    ).exists()
    if not stage_open:
        outbox_enqueue(task_name=ROUTE_TASK, kwargs={"application_id": application.pk})


def step_reject(*, application: Application, step: Step, user, reason: str) -> None:
    """Reject a locked step: any rejection ends the case, and the sibling steps still open
    are closed."""
    step_close(step=step, status=StepStatus.REJECTED, user=user, reason=reason)
    event_record(
        application=application, kind=EventKind.STEP_REJECTED, actor=user, department=step.department, note=reason
    )
    steps_close_open(application=application, except_step=step)
    case_transition(
        application=application,
        to_status=ApplicationStatus.REJECTED,
        event=EventKind.REJECTED,
        department=step.department,
    )
    citizen_tell_decided(application=application)


def _correction_request(*, application: Application, step: Step, user, items: list[dict], note: str) -> None:
    """Ask the citizen to fix the listed items. The case waits; its deadline clock stops."""
    fields = schema_field_types(application.service.form_schema)
    unknown = [i["field"] for i in items if i["field"] and i["field"] not in fields]
    if unknown:
        raise PortalError(_("Unknown question: %(names)s.") % {"names": ", ".join(unknown)}, code="unknown_field")
    CorrectionRequest.objects.create(application=application, step_id=step.pk, items=items, requested_by=user)
    case_transition(
        application=application,
        to_status=ApplicationStatus.CORRECTION,
        event=EventKind.CORRECTION_REQUESTED,
        actor=user,
        department=step.department,
        note="\n".join(i["text"] for i in items) + (f"\n{note}" if note else ""),
    )
    notify(
        recipients=[application.citizen],
        kind=NotificationKind.CORRECTION_REQUESTED,
        params={"reference": application.reference},
        link=reverse("applications:detail", args=[application.reference]),
    )


def _step_return(*, application: Application, step: Step, user, reason: str) -> None:
    """Send the case back to the stage before this one: this stage's steps close, and the
    earlier stage opens again as a new round, for the same departments."""
    previous_position = (
        Step.objects.filter(application=application, stage_position__lt=step.stage_position)
        .order_by("-stage_position")
        .values_list("stage_position", flat=True)
        .first()
    )
    if previous_position is None:
        raise PortalError(
            _("This is the first stage: there is no earlier stage to return to."), code="no_previous_stage"
        )
    step_close(step=step, status=StepStatus.RETURNED, user=user, reason=reason)
    steps_close_open(application=application, except_step=step)
    previous = application.workflow.stages.prefetch_related("steps__department").get(position=previous_position)
    application.round += 1
    application.current_stage = previous.position
    application.save(update_fields=["round", "current_stage"])
    stage_open(application=application, stage=previous)
    event_record(
        application=application,
        kind=EventKind.RETURNED,
        actor=user,
        department=step.department,
        stage=previous,
        note=reason,
    )
