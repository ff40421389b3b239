"""History entries in plain words, in the reader's language. Citizens see what happened
and which department did it; staff also see who."""

from django.utils.translation import gettext as _

from services.applications.constants import EventKind
from services.applications.models import CaseEvent
from services.core.i18n import current_is_english


def event_stage_name(event: CaseEvent) -> str:
    return (event.stage_name_en if current_is_english() and event.stage_name_en else event.stage_name_zh) or ""


def event_sentence(event: CaseEvent) -> str:
    department = event.department.name if event.department_id else ""
    stage = event_stage_name(event)
    if event.kind == EventKind.SUBMITTED:
        return _("You submitted the application.")
    if event.kind == EventKind.STAGE_STARTED:
        return _("The case moved to “%(stage)s”.") % {"stage": stage}
    if event.kind == EventKind.STEP_APPROVED:
        return _("%(department)s approved its part.") % {"department": department}
    if event.kind == EventKind.STEP_REJECTED:
        return _("%(department)s did not approve.") % {"department": department}
    if event.kind == EventKind.STEP_CANCELLED:
        return _("The part of %(department)s was closed because the case ended.") % {"department": department}
    if event.kind == EventKind.COMPLETED:
        return _("Your application was approved. The case is complete.")
    if event.kind == EventKind.REJECTED:
        return _("Your application was not approved.")
    return event.get_kind_display()


def timeline_entries(events, *, for_staff: bool = False) -> list[dict]:
    return [
        {
            "at": event.at,
            "kind": event.kind,
            "text": event_sentence(event),
            "note": event.note,
            "actor": (str(event.actor) if event.actor_id else "") if for_staff else "",
        }
        for event in events
    ]
