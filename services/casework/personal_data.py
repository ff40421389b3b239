"""The citizen's personal data inside a case: the keyed blind index that finds a case by a
resident ID number without storing it in clear, and every staff read of the case (opening
it, showing a masked answer in full, finding it by ID number), each written to the citizen's
data-access log (records)."""

from django.db import transaction
from django.utils.translation import gettext as _

from services.casework.constants import EventKind
from services.casework.history import event_record
from services.casework.models import Application, ApplicationIdentity, Step
from services.casework.selectors import MASKED_FIELD_TYPES, QueueFilters, step_queue
from services.casework.steps import require_may_work_on, step_locked
from services.catalog.schema import schema_field_label, schema_field_types
from services.core.crypto import blind_index, id_numbers_in
from services.core.errors import PortalError
from services.records.actions import data_access_record


def application_identities_sync(*, application: Application) -> None:
    """Keep the blind index of the case's resident ID numbers in step with its answers."""
    digests = {blind_index(number) for number in id_numbers_in(application.answers)}
    application.identities.exclude(digest__in=digests).delete()
    ApplicationIdentity.objects.bulk_create(
        [ApplicationIdentity(application=application, digest=d) for d in digests], ignore_conflicts=True
    )


def case_access_record(*, step: Step, user) -> None:
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
        application, step = step_locked(step_id)
        require_may_work_on(step=step, user=user)
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
