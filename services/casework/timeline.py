"""History entries in plain words, in the reader's language. Citizens see what happened
and which department did it; staff also see who."""

from django.utils.translation import gettext as _

from services.casework.constants import INTERNAL_EVENT_KINDS, EventKind
from services.casework.models import CaseEvent
from services.core.i18n import current_is_english


def event_stage_name(event: CaseEvent) -> str:
    return (event.stage_name_en if current_is_english() and event.stage_name_en else event.stage_name_zh) or ""


def _staff_sentence(event: CaseEvent, department: str) -> str | None:
    """Staff read about the applicant, not to them."""
    if event.kind == EventKind.SUBMITTED:
        return _("The applicant submitted the application.")
    if event.kind == EventKind.APPROVED:
        return _("The case was approved and is complete.")
    if event.kind == EventKind.REJECTED:
        return _("The case was not approved and is closed.")
    if event.kind == EventKind.CORRECTION_REQUESTED:
        return _("%(department)s asked the applicant for a correction; the clock stopped.") % {"department": department}
    if event.kind == EventKind.CORRECTION_SUBMITTED:
        return _("The applicant sent the correction; the clock runs again.")
    return None


def event_sentence(event: CaseEvent, *, for_staff: bool = False) -> str:
    department = event.department.name if event.department is not None else ""
    stage = event_stage_name(event)
    if for_staff:
        sentence = _staff_sentence(event, department)
        if sentence:
            return sentence
    if event.kind == EventKind.SUBMITTED:
        return _("You submitted the application.")
    if event.kind == EventKind.STAGE_STARTED:
        return _("The case moved to “%(stage)s”.") % {"stage": stage}
    if event.kind == EventKind.STEP_APPROVED:
        return _("%(department)s approved its part.") % {"department": department}
    if event.kind == EventKind.STEP_REJECTED:
        return _("%(department)s did not approve.") % {"department": department}
    if event.kind == EventKind.STEP_CLOSED:
        return _("The part of %(department)s was closed because the case ended.") % {"department": department}
    if event.kind == EventKind.APPROVED:
        return _("Your application was approved. The case is complete.")
    if event.kind == EventKind.REJECTED:
        return _("Your application was not approved.")
    if event.kind == EventKind.CORRECTION_REQUESTED:
        return _("%(department)s asked you to correct your application. The time limit stops until you do.") % {
            "department": department
        }
    if event.kind == EventKind.CORRECTION_SUBMITTED:
        return _("You sent the correction. The case goes on.")
    if event.kind == EventKind.RETURNED:
        return _("The case went back to “%(stage)s” for another look.") % {"stage": stage}
    if event.kind == EventKind.CHECK_DONE:
        return _("%(department)s made an automatic check.") % {"department": department}
    if event.kind == EventKind.STAGE_SKIPPED:
        return _("“%(stage)s” does not apply to this application.") % {"stage": stage}
    if event.kind == EventKind.STEP_CLAIMED:
        return _("%(department)s: the step was claimed.") % {"department": department}
    if event.kind == EventKind.STEP_ASSIGNED:
        return _("%(department)s: the step was assigned.") % {"department": department}
    if event.kind == EventKind.NOTE_ADDED:
        return _("%(department)s: an internal note was added.") % {"department": department}
    if event.kind == EventKind.ESCALATED:
        return _("%(department)s: the step is overdue and was escalated.") % {"department": department}
    if event.kind == EventKind.DATA_REVEALED:
        return _("%(department)s: masked personal data was shown in full.") % {"department": department}
    return event.get_kind_display()


def timeline_entries(events, *, for_staff: bool = False) -> list[dict]:
    """The history as sentences. Citizens see what happened to their case, not how the back
    office organised itself (claims, notes, escalations)."""
    return [
        {
            "at": event.at,
            "kind": event.kind,
            "text": event_sentence(event, for_staff=for_staff),
            "note": event.note,
            "actor": (str(event.actor) if event.actor_id else "") if for_staff else "",
        }
        for event in events
        if for_staff or event.kind not in INTERNAL_EVENT_KINDS
    ]
