"""When a step is due, in Chinese working days, and what happens when it is late: beat's
`casework.escalate_overdue` tells the department administrators and the assignee, once.
Waits live in the database (due dates), never as countdowns on the broker."""

import math
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from services.accounts.selectors import department_admins, department_colleagues
from services.casework.constants import (
    DUE_SOON_SHARE,
    OPEN_STATUSES,
    ApplicationStatus,
    DeadlineState,
    EventKind,
    StepStatus,
)
from services.casework.history import event_record
from services.casework.models import Application, Step
from services.casework.steps import step_locked
from services.core.workdays import add_working_days, is_working_day, working_days_between
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


def deadlines_recompute(*, changed: dict[str, bool]) -> int:
    """The official calendar changed on some days (`changed`: each day, ISO, and whether it
    was a working day before). Every open step and running case whose deadline counts one of
    them is given the due dates its working days reach now: the same number of working days
    (as counted before, so the time a correction added is kept) from the same start. Each
    move is in the case's history; the assignee of a moved step (else the department's staff
    who work on such steps) is told. Runs inside the calendar change's transaction (the
    `core.calendar.calendar_changed` signal): the days not in `changed` count as they do now,
    as they did just before it. Returns how many steps and cases moved."""
    before = {date.fromisoformat(day): was for day, was in changed.items()}
    with transaction.atomic():
        if not before:
            return 0
        first, last = min(before), max(before)

        def was_working(day: date) -> bool:
            return before[day] if day in before else is_working_day(day)

        def moved_to(start: date, due: date) -> date:
            return add_working_days(start, working_days_between(start, due, is_working=was_working))

        moved = 0
        crossing = Step.objects.filter(status=StepStatus.OPEN, started_on__lt=last, due_date__gte=first)
        for step in crossing.select_for_update(of=("self",)).select_related("application", "stage_step").order_by("pk"):
            due, due_soon = moved_to(step.started_on, step.due_date), moved_to(step.started_on, step.due_soon_on)
            if (due, due_soon) == (step.due_date, step.due_soon_on):
                continue
            was = step.due_date
            step.due_date, step.due_soon_on = due, due_soon
            step.save(update_fields=["due_date", "due_soon_on"])
            event_record(
                application=step.application,
                kind=EventKind.DEADLINE_MOVED,
                department=step.department,
                note=f"{step.stage_step.name_zh}: {was:%Y-%m-%d} → {due:%Y-%m-%d}",
            )
            holders = (
                [step.assignee]
                if step.assignee
                else department_colleagues(department_id=step.department_id, step_role=step.stage_step.role)
            )
            notify(
                recipients=holders,
                kind=NotificationKind.DEADLINE_MOVED,
                params={
                    "reference": step.application.reference,
                    "step_zh": step.stage_step.name_zh,
                    "step_en": step.stage_step.name_en,
                    "due": due.isoformat(),
                },
                link=reverse("casework:step", args=[step.pk]),
            )
            moved += 1
        running = Application.objects.filter(
            status__in=OPEN_STATUSES, submitted_at__date__lt=last, due_date__gte=first
        ).select_for_update()
        for application in running.order_by("pk"):
            due = moved_to(timezone.localdate(application.submitted_at), application.due_date)
            if due == application.due_date:
                continue
            was, application.due_date = application.due_date, due
            application.save(update_fields=["due_date"])
            event_record(
                application=application, kind=EventKind.DEADLINE_MOVED, note=f"{was:%Y-%m-%d} → {due:%Y-%m-%d}"
            )
            moved += 1
    return moved


def _on_calendar_changed(sender, *, changed: dict[str, bool], **kwargs) -> None:
    deadlines_recompute(changed=changed)
