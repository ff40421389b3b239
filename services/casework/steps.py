"""How an action gets hold of a step, and how a step closes. Every write to a step locks its
case first, then the step (always in this order, so two actions never deadlock); changes to
one case therefore happen one at a time, and a second reviewer acting on the same step gets
a clear Conflict."""

from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.selectors import staff_is_department_admin, staff_works_on
from services.casework.constants import EventKind, StepStatus
from services.casework.history import event_record, working_days_less_waiting
from services.casework.models import Application, Step
from services.core.errors import Conflict, NotFound


def step_not_found() -> NotFound:
    return NotFound(_("This step does not exist or is not in your department's queue."))


def step_locked(step_id: int) -> tuple[Application, Step]:
    """The case and the step, locked in that order; NotFound when there is no such step."""
    application = Application.objects.select_for_update(of=("self",)).filter(steps__pk=step_id).first()
    if application is None:
        raise step_not_found()
    step = (
        Step.objects.select_for_update(of=("self",))
        .select_related("department", "stage_step", "decided_by", "assignee")
        .get(pk=step_id)
    )
    return application, step


def require_may_work_on(*, step: Step, user) -> None:
    """A person of the step's department whose role decides such steps; automatic steps are
    the machine's. Anyone else learns nothing about the step."""
    if step.automatic_check or not staff_works_on(user=user, department_id=step.department_id, step_role=step.role):
        raise step_not_found()


def require_open(step: Step) -> None:
    if step.status != StepStatus.OPEN:
        who = str(step.decided_by) if step.decided_by_id else _("the system")
        raise Conflict(
            _("This step was already decided (%(status)s) by %(who)s. Nothing was changed.")
            % {"status": step.get_status_display(), "who": who},
            code="already_decided",
        )


def require_not_claimed_by_other(*, step: Step, user) -> None:
    if (
        step.assignee_id
        and step.assignee_id != user.pk
        and not staff_is_department_admin(user=user, department_id=step.department_id)
    ):
        raise Conflict(
            _("%(who)s has claimed this step. Ask them or your department administrator.") % {"who": step.assignee},
            code="claimed_by_other",
        )


def step_close(*, step: Step, status: str, user=None, reason: str = "") -> None:
    """Close a step and keep how long it was open, in working days less the days the case
    waited for the citizen meanwhile: the statistics ask where cases wait."""
    now = timezone.now()
    step.status = status
    step.decided_by, step.decided_at, step.reason = user, now, reason
    step.working_days = working_days_less_waiting(
        application_id=step.application_id, start=step.started_on, end=timezone.localdate(now), since=step.created_at
    )
    step.save(update_fields=["status", "decided_by", "decided_at", "reason", "working_days"])


def steps_close_open(
    *, application: Application, except_step: Step | None = None, each_in_history: bool = True
) -> None:
    """Close the case's open steps without a decision: a department rejected, or the case
    went back a stage (each closed step is in the history), or the citizen withdrew (the
    withdrawal is the one entry)."""
    open_steps = Step.objects.select_for_update(of=("self",)).filter(application=application, status=StepStatus.OPEN)
    if except_step is not None:
        open_steps = open_steps.exclude(pk=except_step.pk)
    for step in open_steps.select_related("department"):
        step_close(step=step, status=StepStatus.CLOSED)
        if each_in_history:
            event_record(application=application, kind=EventKind.STEP_CLOSED, department=step.department)
