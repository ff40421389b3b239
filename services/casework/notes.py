"""Internal notes on a case: for staff only, never edited or deleted, and in the staff
history (not the citizen's timeline)."""

from django.db import transaction
from django.utils.translation import gettext as _

from services.casework.constants import EventKind
from services.casework.history import event_record
from services.casework.models import CaseNote
from services.casework.steps import require_may_work_on, step_locked
from services.core.errors import PortalError


def case_note_add(*, step_id: int, user, text_: str) -> CaseNote:
    note_text = (text_ or "").strip()
    if not note_text:
        raise PortalError(_("Write the note first."), code="note_empty")
    with transaction.atomic():
        application, step = step_locked(step_id)
        require_may_work_on(step=step, user=user)
        note = CaseNote.objects.create(application=application, step=step, author=user, text=note_text)
        event_record(application=application, kind=EventKind.NOTE_ADDED, actor=user, department=step.department)
        return note
