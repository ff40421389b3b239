"""Who works on a step: a staff member claims it from the department queue (or several at
once), a department administrator assigns it to a colleague whose role works on such steps.
A claimed step can be decided only by its claimer or a department administrator."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.selectors import staff_is_department_admin, staff_works_on
from services.casework.constants import EventKind
from services.casework.history import event_record
from services.casework.models import Step
from services.casework.steps import require_may_work_on, require_open, step_locked
from services.core.errors import Conflict, Forbidden, PortalError
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind


def step_claim(*, step_id: int, user) -> Step:
    """Take an open step from the department queue. Claiming one's own step again is a no-op."""
    with transaction.atomic():
        application, step = step_locked(step_id)
        require_may_work_on(step=step, user=user)
        require_open(step)
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
        application, step = step_locked(step_id)
        if not staff_is_department_admin(user=by, department_id=step.department_id):
            raise Forbidden(_("Only the department administrator can assign steps."))
        require_open(step)
        if not staff_works_on(user=to, department_id=step.department_id, step_role=step.role):
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
