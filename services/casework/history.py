"""How a case's status changes and how every change is remembered: the status table
(`constants.TRANSITIONS`) and the append-only history (`CaseEvent`). Every status change of
a case goes through `case_transition`, which records it in the same call."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from services.casework.constants import DECIDED_STATUSES, TRANSITIONS
from services.casework.models import Application, CaseEvent, CorrectionRequest
from services.core.errors import Conflict
from services.core.workdays import working_days_between


def event_record(
    *,
    application: Application,
    kind: str,
    actor=None,
    department=None,
    from_status: str = "",
    to_status: str = "",
    stage=None,
    note: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor,
        department=department,
        from_status=from_status,
        to_status=to_status,
        stage_name_zh=getattr(stage, "name_zh", ""),
        stage_name_en=getattr(stage, "name_en", ""),
        note=note,
    )


def case_transition(
    *,
    application: Application,
    to_status: str,
    event: str,
    actor=None,
    department=None,
    stage=None,
    note: str = "",
) -> str:
    """Move a locked case to `to_status`, following TRANSITIONS, and record `event` with both
    statuses. A decided case keeps when, and after how many working days (less those spent
    waiting for the citizen). Returns the old status."""
    from_status = application.status
    if to_status not in TRANSITIONS[from_status]:
        raise Conflict(
            _("The case is %(status)s and cannot change that way.") % {"status": application.get_status_display()}
        )
    application.status = to_status
    if to_status in DECIDED_STATUSES:
        application.decided_at = timezone.now()
        application.processing_working_days = working_days_less_waiting(
            application_id=application.pk, start=timezone.localdate(application.submitted_at), end=timezone.localdate()
        )
    application.save(update_fields=["status", "decided_at", "current_stage", "processing_working_days"])
    event_record(
        application=application,
        kind=event,
        actor=actor,
        department=department,
        from_status=from_status,
        to_status=to_status,
        stage=stage,
        note=note,
    )
    return from_status


def working_days_less_waiting(*, application_id: int, start: date, end: date, since: datetime | None = None) -> int:
    """Working days after `start` up to `end`, less those the case waited for the citizen:
    the paused days of its corrections (only those resolved since `since`, when given)."""
    corrections = CorrectionRequest.objects.filter(application_id=application_id)
    if since is not None:
        corrections = corrections.filter(resolved_at__gte=since)
    paused = sum(corrections.values_list("paused_working_days", flat=True))
    return max(working_days_between(start, end) - paused, 0)
