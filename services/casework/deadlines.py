"""When a step is due, in Chinese working days, and what happens when it is late: beat's
`casework.escalate_overdue` tells the department administrators and the assignee, once.
Waits live in the database (due dates), never as countdowns on the broker."""

import math
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from services.accounts.selectors import department_admins
from services.casework.constants import DUE_SOON_SHARE, ApplicationStatus, DeadlineState, EventKind, StepStatus
from services.casework.history import event_record
from services.casework.models import Step
from services.casework.steps import step_locked
from services.core.workdays import add_working_days
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind


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
            application, step = step_locked(step_id)
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
