import hashlib
import json
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from services.applications.constants import DECIDED_STATUSES, ROUTE_TASK, TRANSITIONS, ApplicationStatus, EventKind
from services.applications.models import Application, ApplicationIdentity, CaseEvent, ReferenceCounter, Upload
from services.applications.selectors import working_days_less_waiting
from services.catalog import selectors as catalog_selectors
from services.catalog.models import Service
from services.catalog.schema import answers_clean
from services.core.crypto import blind_index, id_numbers_in
from services.core.errors import Conflict, PortalError
from services.core.outbox import outbox_enqueue
from services.core.workdays import add_working_days

IDEMPOTENCY_KEY_MAX = 80


def reference_next(*, day: date) -> str:
    """The next readable reference number of `day`. Must run inside a transaction: the
    counter row stays locked until it commits, so two submissions never share a number."""
    ReferenceCounter.objects.get_or_create(day=day)
    ReferenceCounter.objects.filter(day=day).update(last=F("last") + 1)
    last = ReferenceCounter.objects.select_for_update().values_list("last", flat=True).get(day=day)
    return f"{day:%Y%m%d}-{last:04d}"


def _fingerprint(service_code: str, answers: dict) -> str:
    payload = json.dumps({"service": service_code, "answers": answers}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def application_submit(
    *, citizen, service_code: str, answers: dict, idempotency_key: str | None = None
) -> tuple[Application, bool]:
    """Create and submit a case. Returns (application, created). The case, its first history
    entry and the routing request are written in one transaction. With an idempotency key,
    a repeat of the same request returns the case already made."""
    if not getattr(citizen, "is_citizen", False):
        raise PortalError(_("Only citizens can submit applications."), code="forbidden", status=403)
    key = (idempotency_key or "").strip() or None
    if key and len(key) > IDEMPOTENCY_KEY_MAX:
        raise PortalError(
            _("The idempotency key is too long: use at most %(max)d characters.") % {"max": IDEMPOTENCY_KEY_MAX},
            code="idempotency_key_too_long",
        )
    service: Service = catalog_selectors.service_get_published(code=service_code)
    workflow = catalog_selectors.service_active_workflow(service=service)
    if workflow is None or not workflow.stages.exists():
        raise PortalError(_("This service cannot take applications at the moment."), code="unavailable")
    cleaned = answers_clean(schema=service.form_schema, data=answers)
    fingerprint = _fingerprint(service.code, cleaned)

    if key:
        existing = _application_for_key(citizen=citizen, key=key, fingerprint=fingerprint)
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            now = timezone.now()
            today = timezone.localdate(now)
            application = Application.objects.create(
                reference=reference_next(day=today),
                citizen=citizen,
                service=service,
                workflow=workflow,
                answers=cleaned,
                status=ApplicationStatus.SUBMITTED,
                submitted_at=now,
                due_date=add_working_days(today, service.promised_days),
                idempotency_key=key,
                idempotency_fingerprint=fingerprint,
            )
            event_record(application=application, kind=EventKind.SUBMITTED, actor=citizen, to_status=application.status)
            application_identities_sync(application=application)
            outbox_enqueue(task_name=ROUTE_TASK, kwargs={"application_id": application.pk})
    except IntegrityError:
        # The same key arrived twice at once: the other request made the case.
        if key:
            existing = _application_for_key(citizen=citizen, key=key, fingerprint=fingerprint)
            if existing:
                return existing, False
        raise
    return application, True


def _application_for_key(*, citizen, key: str, fingerprint: str) -> Application | None:
    existing = Application.objects.filter(citizen=citizen, idempotency_key=key).first()
    if existing and existing.idempotency_fingerprint != fingerprint:
        raise Conflict(
            _("This idempotency key was already used for a different application."), code="idempotency_key_reused"
        )
    return existing


def application_transition(*, application: Application, to_status: str) -> str:
    """Move a locked application to `to_status`, following TRANSITIONS. Returns the old status."""
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
    return from_status


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


def application_material_add(*, application: Application, citizen, material_id: int, file) -> Upload:
    """A material that was allowed to follow later (容缺) arrives on a submitted case."""
    from services.applications.drafts import upload_validate  # drafts builds on this module

    if application.citizen_id != citizen.pk:
        raise PortalError(_("This is not your application."), code="forbidden", status=403)
    material = application.service.materials.filter(pk=material_id).first()
    if material is None:
        raise PortalError(_("This material is not part of this service."), code="unknown_material")
    if application.status not in ("submitted", "in_review", "correction"):
        raise Conflict(_("This application is decided: it takes no more materials."), code="decided")
    checked = upload_validate(file=file)
    with transaction.atomic():
        upload = Upload.objects.create(owner=citizen, application=application, material=material, file=file, **checked)
        event_record(application=application, kind=EventKind.MATERIAL_ADDED, actor=citizen, note=material.name_zh)
    return upload


def application_identities_sync(*, application: Application) -> None:
    """Keep the blind index of the case's resident ID numbers in step with its answers."""
    digests = {blind_index(number) for number in id_numbers_in(application.answers)}
    application.identities.exclude(digest__in=digests).delete()
    ApplicationIdentity.objects.bulk_create(
        [ApplicationIdentity(application=application, digest=d) for d in digests], ignore_conflicts=True
    )
