"""Everything that moves a case after submission: routing through the stages, decisions,
claims and assignments, corrections (补正), returns, automatic checks, deadlines and their
escalation, and the reveal of masked personal data.

Every write locks the application row first, so that changes to one case happen one at a
time; a second reviewer acting on the same step gets a clear Conflict.
"""

import logging
import math
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.constants import StaffRole
from services.accounts.models import Membership
from services.accounts.selectors import department_admins
from services.applications.actions import application_identities_sync, application_transition, event_record
from services.applications.constants import OPEN_STATUSES, ApplicationStatus, EventKind
from services.applications.models import Application, CorrectionRequest
from services.applications.selectors import working_days_less_waiting
from services.casework import checks
from services.casework.constants import (
    CHECK_TASK,
    DUE_SOON_SHARE,
    LICENCE_TASK,
    ROUTE_TASK,
    STEP_ROLES_FOR_STAFF_ROLE,
    DeadlineState,
    Decision,
    StepStatus,
)
from services.casework.models import CaseNote, Step
from services.catalog.models import Stage
from services.catalog.schema import answers_clean, condition_holds, schema_field_label, schema_field_types
from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PortalError
from services.core.outbox import outbox_enqueue
from services.core.workdays import add_working_days, working_days_between
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind
from services.records.actions import data_access_record

logger = logging.getLogger(__name__)

MASKED_FIELD_TYPES = ("id_number", "mobile")


def _not_found():
    return NotFound(_("This step does not exist or is not in your department's queue."))


# Deadlines ---------------------------------------------------------------------------


def step_deadline(*, start: date, days: int) -> tuple[date, date]:
    """(due_soon_on, due_date) for a step opened on `start` with `days` working days."""
    return add_working_days(start, math.ceil(days * DUE_SOON_SHARE)), add_working_days(start, days)


def deadline_state(*, step: Step, today: date, paused: bool = False) -> str:
    if paused:
        return DeadlineState.PAUSED
    if today > step.due_date:
        return DeadlineState.OVERDUE
    if today >= step.due_soon_on:
        return DeadlineState.DUE_SOON
    return DeadlineState.ON_TRACK


# Routing -----------------------------------------------------------------------------


def _stage_open(*, application: Application, stage: Stage) -> list[Step]:
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
    the current stage approved, or complete it after the last. Stages whose condition does not
    hold for the answers are skipped. Idempotent: while steps are open, while the citizen is
    correcting, or after the case ended, it changes nothing. Returns what it did."""
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
            application_transition(application=application, to_status=ApplicationStatus.COMPLETED)
            event_record(
                application=application,
                kind=EventKind.COMPLETED,
                from_status=ApplicationStatus.IN_REVIEW,
                to_status=ApplicationStatus.COMPLETED,
            )
            _notify_citizen_decided(application)
            issues = application.service.issues
            if issues is not None:
                # The issuing department's own worker makes the e-licence.
                issuer = issues.issuer or application.service.lead_department
                outbox_enqueue(
                    task_name=LICENCE_TASK, kwargs={"application_id": application.pk}, department_code=issuer.code
                )
            return "completed"
        from_status = application.status
        application.current_stage = stage.position
        if from_status == ApplicationStatus.SUBMITTED:
            application_transition(application=application, to_status=ApplicationStatus.IN_REVIEW)
        else:
            application.save(update_fields=["current_stage"])
        _stage_open(application=application, stage=stage)
        event_record(
            application=application,
            kind=EventKind.STAGE_STARTED,
            stage=stage,
            from_status=from_status,
            to_status=application.status,
        )
        return "stage_started"


def _notify_citizen_decided(application: Application) -> None:
    notify(
        recipients=[application.citizen],
        kind=NotificationKind.CASE_DECIDED,
        params={"reference": application.reference},
        link=reverse("applications:detail", args=[application.reference]),
    )


# Who may act -------------------------------------------------------------------------


def _staff_roles_for(step: Step) -> list[str]:
    return [staff for staff, step_roles in STEP_ROLES_FOR_STAFF_ROLE.items() if step.role in step_roles]


def _check_may_work_on(*, step: Step, user) -> None:
    allowed = Membership.objects.filter(
        user=user, department_id=step.department_id, role__in=_staff_roles_for(step)
    ).exists()
    if not allowed or step.automatic_check:
        # Staff of other departments learn nothing about the step.
        raise _not_found()


def _is_department_admin(*, user, department_id: int) -> bool:
    return Membership.objects.filter(user=user, department_id=department_id, role=StaffRole.DEPARTMENT_ADMIN).exists()


def _locked(step_id: int) -> tuple[Application, Step]:
    """Lock the case, then the step (always in this order, so two actions never deadlock)."""
    application_id = Step.objects.filter(pk=step_id).values_list("application_id", flat=True).first()
    if application_id is None:
        raise _not_found()
    application = Application.objects.select_for_update().get(pk=application_id)
    step = (
        Step.objects.select_for_update(of=("self",))
        .select_related("department", "decided_by", "assignee")
        .get(pk=step_id)
    )
    return application, step


def _require_open(step: Step) -> None:
    if step.status != StepStatus.OPEN:
        who = str(step.decided_by) if step.decided_by_id else _("the system")
        raise Conflict(
            _("This step was already decided (%(status)s) by %(who)s. Nothing was changed.")
            % {"status": step.get_status_display(), "who": who},
            code="already_decided",
        )


def _require_not_claimed_by_other(*, step: Step, user) -> None:
    if (
        step.assignee_id
        and step.assignee_id != user.pk
        and not _is_department_admin(user=user, department_id=step.department_id)
    ):
        raise Conflict(
            _("%(who)s has claimed this step. Ask them or your department administrator.") % {"who": step.assignee},
            code="claimed_by_other",
        )


# Claims and assignment ---------------------------------------------------------------


def step_claim(*, step_id: int, user) -> Step:
    """Take an open step from the department queue. Claiming one's own step again is a no-op."""
    with transaction.atomic():
        application, step = _locked(step_id)
        _check_may_work_on(step=step, user=user)
        _require_open(step)
        if step.assignee_id == user.pk:
            return step
        if step.assignee_id:
            raise Conflict(
                _("%(who)s has already claimed this step.") % {"who": step.assignee}, code="claimed_by_other"
            )
        step.assignee = user
        step.claimed_at = timezone.now()
        step.save(update_fields=["assignee", "claimed_at"])
        event_record(application=application, kind=EventKind.STEP_CLAIMED, actor=user, department=step.department)
        return step


def steps_claim_bulk(*, step_ids: list[int], user) -> tuple[list[Step], dict[int, str]]:
    """Claim several steps; each is its own transaction. Returns (claimed, {id: why not})."""
    claimed, refused = [], {}
    for step_id in dict.fromkeys(step_ids):
        try:
            claimed.append(step_claim(step_id=step_id, user=user))
        except PortalError as exc:
            refused[step_id] = str(exc.message)
    return claimed, refused


def step_assign(*, step_id: int, by, to) -> Step:
    """A department administrator assigns (or reassigns, or delegates) a step to a colleague
    of the same department whose role works on such steps."""
    with transaction.atomic():
        application, step = _locked(step_id)
        if not _is_department_admin(user=by, department_id=step.department_id):
            raise Forbidden(_("Only the department administrator can assign steps."))
        _require_open(step)
        if not Membership.objects.filter(
            user=to, department_id=step.department_id, role__in=_staff_roles_for(step)
        ).exists():
            raise PortalError(_("Choose a colleague of this department who works on such steps."), code="not_eligible")
        previous = step.assignee
        step.assignee = to
        step.claimed_at = timezone.now()
        step.save(update_fields=["assignee", "claimed_at"])
        event_record(
            application=application,
            kind=EventKind.STEP_ASSIGNED,
            actor=by,
            department=step.department,
            note=f"{previous or '-'} → {to}",
        )
        notify(
            recipients=[to],
            kind=NotificationKind.STEP_ASSIGNED,
            params={
                "reference": application.reference,
                "step_zh": step.stage_step.name_zh,
                "step_en": step.stage_step.name_en,
            },
            link=reverse("casework:step", args=[step.pk]),
        )
        return step


def case_note_add(*, step_id: int, user, text_: str) -> CaseNote:
    note_text = (text_ or "").strip()
    if not note_text:
        raise PortalError(_("Write the note first."), code="note_empty")
    with transaction.atomic():
        application, step = _locked(step_id)
        _check_may_work_on(step=step, user=user)
        note = CaseNote.objects.create(application=application, step=step, author=user, text=note_text)
        event_record(application=application, kind=EventKind.NOTE_ADDED, actor=user, department=step.department)
        return note


# Decisions ---------------------------------------------------------------------------


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
        application, step = _locked(step_id)
        _check_may_work_on(step=step, user=user)
        _require_open(step)
        _require_not_claimed_by_other(step=step, user=user)
        if application.status == ApplicationStatus.CORRECTION:
            raise Conflict(_("The case is waiting for the applicant's correction."), code="waiting_for_citizen")
        if not step.assignee_id:
            step.assignee, step.claimed_at = user, timezone.now()
            step.save(update_fields=["assignee", "claimed_at"])
        if decision == Decision.APPROVE:
            _step_approve(application=application, step=step, user=user, reason=reason)
        elif decision == Decision.REJECT:
            _step_reject(application=application, step=step, user=user, reason=reason)
        elif decision == Decision.CORRECTION:
            _correction_request(application=application, step=step, user=user, items=correction_items, note=reason)
        else:
            _step_return(application=application, step=step, user=user, reason=reason)
        return step


def _step_close(*, step: Step, status: str, user=None, reason: str = "") -> None:
    """Close a step and keep how long it was open, in working days less the days the case
    waited for the citizen meanwhile: the analytics ask where cases wait."""
    now = timezone.now()
    step.status = status
    step.decided_by, step.decided_at, step.reason = user, now, reason
    step.working_days = working_days_less_waiting(
        application_id=step.application_id, start=step.started_on, end=timezone.localdate(now), since=step.created_at
    )
    step.save(update_fields=["status", "decided_by", "decided_at", "reason", "working_days"])


def _step_approve(*, application: Application, step: Step, user, reason: str) -> None:
    _step_close(step=step, status=StepStatus.APPROVED, user=user, reason=reason)
    event_record(
        application=application, kind=EventKind.STEP_APPROVED, actor=user, department=step.department, note=reason
    )
    stage_open = Step.objects.filter(
        application=application, stage_position=step.stage_position, round=step.round, status=StepStatus.OPEN
    ).exists()
    if not stage_open:
        outbox_enqueue(task_name=ROUTE_TASK, kwargs={"application_id": application.pk})


def _step_reject(*, application: Application, step: Step, user, reason: str) -> None:
    """Any rejection ends the case; the sibling steps still open are closed."""
    _step_close(step=step, status=StepStatus.REJECTED, user=user, reason=reason)
    event_record(
        application=application, kind=EventKind.STEP_REJECTED, actor=user, department=step.department, note=reason
    )
    _close_open_steps(application=application, except_step=step)
    from_status = application_transition(application=application, to_status=ApplicationStatus.REJECTED)
    event_record(
        application=application,
        kind=EventKind.REJECTED,
        department=step.department,
        from_status=from_status,
        to_status=ApplicationStatus.REJECTED,
    )
    _notify_citizen_decided(application)


def _close_open_steps(*, application: Application, except_step: Step) -> None:
    siblings = Step.objects.filter(application=application, status=StepStatus.OPEN).exclude(pk=except_step.pk)
    for sibling in siblings.select_related("department"):
        _step_close(step=sibling, status=StepStatus.CANCELLED)
        event_record(application=application, kind=EventKind.STEP_CANCELLED, department=sibling.department)


def _correction_request(*, application: Application, step: Step, user, items: list[dict], note: str) -> None:
    """Ask the citizen to fix the listed items. The case waits; its deadline clock stops."""
    fields = schema_field_types(application.service.form_schema)
    unknown = [i["field"] for i in items if i["field"] and i["field"] not in fields]
    if unknown:
        raise PortalError(_("Unknown question: %(names)s.") % {"names": ", ".join(unknown)}, code="unknown_field")
    CorrectionRequest.objects.create(application=application, step_id=step.pk, items=items, requested_by=user)
    from_status = application_transition(application=application, to_status=ApplicationStatus.CORRECTION)
    event_record(
        application=application,
        kind=EventKind.CORRECTION_REQUESTED,
        actor=user,
        department=step.department,
        from_status=from_status,
        to_status=application.status,
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
    _step_close(step=step, status=StepStatus.RETURNED, user=user, reason=reason)
    _close_open_steps(application=application, except_step=step)
    previous = application.workflow.stages.prefetch_related("steps__department").get(position=previous_position)
    application.round += 1
    application.current_stage = previous.position
    application.save(update_fields=["round", "current_stage"])
    _stage_open(application=application, stage=previous)
    event_record(
        application=application,
        kind=EventKind.RETURNED,
        actor=user,
        department=step.department,
        stage=previous,
        note=reason,
    )


# Corrections: the citizen's answer ---------------------------------------------------


def _citizen_case_locked(*, application_id: int, citizen) -> Application:
    """The citizen's own case, locked for the change; anyone else's is not found."""
    application = Application.objects.select_for_update().filter(pk=application_id, citizen=citizen).first()
    if application is None:
        raise NotFound(_("No application with this reference number was found in your account."))
    return application


def case_correction_submit(*, application_id: int, citizen, answers: dict, comment: str = "") -> Application:
    """The citizen answers a correction request: only the questions it names may change.
    The case goes back to the step that asked, and every open deadline moves on by the
    working days the case waited for the citizen."""
    with transaction.atomic():
        application = _citizen_case_locked(application_id=application_id, citizen=citizen)
        if application.status != ApplicationStatus.CORRECTION:
            raise Conflict(_("This application is not waiting for a correction."), code="not_waiting")
        correction = CorrectionRequest.objects.select_for_update().get(application=application, resolved_at=None)
        allowed = {item["field"] for item in correction.items if item["field"]}
        changed = {k: v for k, v in (answers or {}).items() if k in allowed}
        not_allowed = sorted(set(answers or {}) - allowed)
        if not_allowed:
            raise InvalidInput(
                _("Only the questions named in the correction request can change."),
                errors={name: [_("This question was not part of the correction request.")] for name in not_allowed},
            )
        application.answers = answers_clean(
            schema=application.service.form_schema, data={**application.answers, **changed}
        )
        today = timezone.localdate()
        paused = working_days_between(timezone.localdate(correction.requested_at), today)
        correction.resolved_at = timezone.now()
        correction.paused_working_days = paused
        correction.citizen_comment = (comment or "").strip()[:2000]
        correction.save(update_fields=["resolved_at", "paused_working_days", "citizen_comment"])
        if paused:
            application.due_date = add_working_days(application.due_date, paused)
            for step in Step.objects.select_for_update(of=("self",)).filter(
                application=application, status=StepStatus.OPEN
            ):
                step.due_soon_on = add_working_days(step.due_soon_on, paused)
                step.due_date = add_working_days(step.due_date, paused)
                step.save(update_fields=["due_soon_on", "due_date"])
        application.save(update_fields=["answers", "due_date"])
        application_identities_sync(application=application)
        # A check that arrived while the case waited did nothing: it runs again now.
        for step in Step.objects.filter(application=application, status=StepStatus.OPEN).exclude(automatic_check=""):
            outbox_enqueue(task_name=CHECK_TASK, kwargs={"step_id": step.pk}, department_code=step.department.code)
        from_status = application_transition(application=application, to_status=ApplicationStatus.IN_REVIEW)
        event_record(
            application=application,
            kind=EventKind.CORRECTION_SUBMITTED,
            actor=citizen,
            from_status=from_status,
            to_status=application.status,
            note=correction.citizen_comment,
        )
        return application


def case_withdraw(*, application_id: int, citizen) -> Application:
    """The citizen withdraws an application that is not decided yet: its open steps close."""
    with transaction.atomic():
        application = _citizen_case_locked(application_id=application_id, citizen=citizen)
        if application.status not in OPEN_STATUSES:
            raise Conflict(_("This application is already decided and cannot be withdrawn."), code="decided")
        for step in Step.objects.select_for_update(of=("self",)).filter(
            application=application, status=StepStatus.OPEN
        ):
            _step_close(step=step, status=StepStatus.CANCELLED)
        CorrectionRequest.objects.filter(application=application, resolved_at=None).update(resolved_at=timezone.now())
        from_status = application_transition(application=application, to_status=ApplicationStatus.WITHDRAWN)
        event_record(
            application=application,
            kind=EventKind.WITHDRAWN,
            actor=citizen,
            from_status=from_status,
            to_status=ApplicationStatus.WITHDRAWN,
        )
        return application


# Automatic checks --------------------------------------------------------------------


def step_check_run(*, step_id: int) -> str:
    """Run a step's automatic check; approve, reject, or hand the step to a person. A step
    already decided or handed over is left alone, so a repeated message does nothing."""
    with transaction.atomic():
        application_id = Step.objects.filter(pk=step_id).values_list("application_id", flat=True).first()
        if application_id is None:
            return "missing"
        application = Application.objects.select_for_update().get(pk=application_id)
        step = Step.objects.select_for_update(of=("self",)).select_related("department").get(pk=step_id)
        if step.status != StepStatus.OPEN or not step.automatic_check:
            return "done"
        if application.status != ApplicationStatus.IN_REVIEW:
            return "waiting"
        result = checks.check_run(step.automatic_check, application.answers)
        event_record(application=application, kind=EventKind.CHECK_DONE, department=step.department, note=result.reason)
        # The check has spoken: from now on the step is an ordinary one. Handed over, it
        # appears in the department queue for a person to decide.
        step.automatic_check = ""
        step.save(update_fields=["automatic_check"])
        if result.outcome == checks.APPROVE:
            _step_approve(application=application, step=step, user=None, reason=result.reason)
        elif result.outcome == checks.REJECT:
            _step_reject(application=application, step=step, user=None, reason=result.reason)
        return result.outcome


# Escalation --------------------------------------------------------------------------


def steps_escalate_overdue(*, today: date | None = None, batch: int = 500) -> int:
    """Escalate open steps past their due date, once each: the department administrators
    and the assignee are notified and the history records it. Cases waiting for the
    citizen are not overdue (their clock stands still)."""
    today = today or timezone.localdate()
    escalated = 0
    candidates = list(
        Step.objects.filter(
            status=StepStatus.OPEN,
            escalated_at=None,
            due_date__lt=today,
            application__status=ApplicationStatus.IN_REVIEW,
        )
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for step_id in candidates:
        with transaction.atomic():
            application, step = _locked(step_id)
            if step.status != StepStatus.OPEN or step.escalated_at or application.status != ApplicationStatus.IN_REVIEW:
                continue
            step.escalated_at = timezone.now()
            step.save(update_fields=["escalated_at"])
            event_record(application=application, kind=EventKind.ESCALATED, department=step.department)
            admins = department_admins(department_id=step.department_id)
            notify(
                recipients=[*admins, step.assignee],
                kind=NotificationKind.STEP_OVERDUE,
                params={
                    "reference": application.reference,
                    "step_zh": step.stage_step.name_zh,
                    "step_en": step.stage_step.name_en,
                    "due": step.due_date.isoformat(),
                },
                link=reverse("casework:step", args=[step.pk]),
            )
            escalated += 1
    return escalated


# Personal data -----------------------------------------------------------------------


def case_opened(*, step: Step, user) -> None:
    """Staff opened a case to work on a step: a read of the citizen's data, logged."""
    data_access_record(
        actor=user,
        citizen=step.application.citizen,
        department=step.department,
        case_reference=step.application.reference,
        what=_("Application"),
        purpose=_("Handling step “%(step)s”") % {"step": step.stage_step.name},
    )


def case_data_reveal(*, step_id: int, user, field: str, reason: str) -> str:
    """Show one masked answer in full. The reason is required and the read is logged for the
    citizen and the auditors to see."""
    reason = (reason or "").strip()
    if not reason:
        raise PortalError(_("Say why you need to see this in full."), code="reason_required")
    with transaction.atomic():
        application, step = _locked(step_id)
        _check_may_work_on(step=step, user=user)
        types = schema_field_types(application.service.form_schema)
        if types.get(field) not in MASKED_FIELD_TYPES or field not in application.answers:
            raise PortalError(_("There is no masked answer of that name."), code="unknown_field")
        label = schema_field_label(application.service.form_schema, field)
        data_access_record(
            actor=user,
            citizen=application.citizen,
            department=step.department,
            case_reference=application.reference,
            what=label,
            purpose=reason,
        )
        event_record(
            application=application,
            kind=EventKind.DATA_REVEALED,
            actor=user,
            department=step.department,
            note=f"{label}: {reason}",
        )
        return str(application.answers[field])


def steps_find_by_id_number(*, user, id_number: str) -> list[Step]:
    """The user's open steps whose case names this resident ID number, found by its blind
    index. Each citizen whose case is found this way sees the search in their data log."""
    from services.casework.selectors import QueueFilters, step_queue

    steps, _next = step_queue(user=user, filters=QueueFilters(id_number=id_number))
    for step in {s.application.citizen_id: s for s in steps}.values():
        data_access_record(
            actor=user,
            citizen=step.application.citizen,
            department=step.department,
            case_reference=step.application.reference,
            what=_("Resident ID number"),
            purpose=_("Finding the case by ID number"),
        )
    return steps
