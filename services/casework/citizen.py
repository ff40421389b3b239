"""What a citizen may do to their own running case: answer a correction request (补正), send
a material that was allowed to follow later (容缺), or withdraw it before a decision. The
citizen's pages and API (applications) call these; anyone else's case is "not found"."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from services.casework.constants import CHECK_TASK, OPEN_STATUSES, ApplicationStatus, EventKind, StepStatus
from services.casework.history import case_transition, event_record
from services.casework.models import Application, CorrectionRequest, Step
from services.casework.personal_data import application_identities_sync
from services.casework.steps import steps_close_open
from services.catalog.schema import answers_clean
from services.core.errors import Conflict, InvalidInput, NotFound
from services.core.outbox import outbox_enqueue
from services.core.workdays import add_working_days, working_days_between
from services.records.models import Upload
from services.records.uploads import upload_add_to_case


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
        case_transition(
            application=application,
            to_status=ApplicationStatus.IN_REVIEW,
            event=EventKind.CORRECTION_SUBMITTED,
            actor=citizen,
            note=correction.citizen_comment,
        )
        return application


def case_withdraw(*, application_id: int, citizen) -> Application:
    """The citizen withdraws an application that is not decided yet: its open steps close."""
    with transaction.atomic():
        application = _citizen_case_locked(application_id=application_id, citizen=citizen)
        if application.status not in OPEN_STATUSES:
            raise Conflict(_("This application is already decided and cannot be withdrawn."), code="decided")
        steps_close_open(application=application, each_in_history=False)
        CorrectionRequest.objects.filter(application=application, resolved_at=None).update(resolved_at=timezone.now())
        case_transition(
            application=application, to_status=ApplicationStatus.WITHDRAWN, event=EventKind.WITHDRAWN, actor=citizen
        )
        return application


def case_material_add(*, application_id: int, citizen, material_id: int, file) -> Upload:
    """A material that was allowed to follow later (容缺) arrives on a running case."""
    with transaction.atomic():
        application = _citizen_case_locked(application_id=application_id, citizen=citizen)
        if application.status not in OPEN_STATUSES:
            raise Conflict(_("This application is decided: it takes no more materials."), code="decided")
        upload = upload_add_to_case(application=application, material_id=material_id, file=file)
        event_record(
            application=application, kind=EventKind.MATERIAL_ADDED, actor=citizen, note=upload.material.name_zh
        )
    return upload
