"""How a case starts: `application_submit` checks the answers against the service's form,
and in one transaction writes the case with its reference number, the first history entry,
the blind index of its ID numbers and the request to route it. Repeated with the same
idempotency key, it returns the case the first request made."""

import hashlib
import json
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from services.casework.constants import ROUTE_TASK, ApplicationStatus, EventKind
from services.casework.history import event_record
from services.casework.models import Application, ReferenceCounter
from services.casework.personal_data import application_identities_sync
from services.casework.selectors import application_for_key
from services.catalog import selectors as catalog_selectors
from services.catalog.schema import answers_clean
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


def idempotency_key_clean(key: str | None) -> str | None:
    key = (key or "").strip() or None
    if key and len(key) > IDEMPOTENCY_KEY_MAX:
        raise PortalError(
            _("The idempotency key is too long: use at most %(max)d characters.") % {"max": IDEMPOTENCY_KEY_MAX},
            code="idempotency_key_too_long",
        )
    return key


def application_submit(
    *, citizen, service_code: str, answers: dict, idempotency_key: str | None = None
) -> tuple[Application, bool]:
    """Create and submit a case. Returns (application, created). With an idempotency key, a
    repeat of the same request returns the case already made; the same key with other
    answers is a Conflict."""
    if not getattr(citizen, "is_citizen", False):
        raise PortalError(_("Only citizens can submit applications."), code="forbidden", status=403)
    key = idempotency_key_clean(idempotency_key)
    service = catalog_selectors.service_get_published(code=service_code)
    workflow = catalog_selectors.service_active_workflow(service=service)
    if workflow is None or not workflow.stages.exists():
        raise PortalError(_("This service cannot take applications at the moment."), code="unavailable")
    cleaned = answers_clean(schema=service.form_schema, data=answers)
    fingerprint = _fingerprint(service.code, cleaned)
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
        # The key was used before: the database's unique constraint says so, so that an
        # ordinary submission costs no lookup and two taps at once still make one case.
        existing = application_for_key(citizen=citizen, key=key)
        if existing is None:
            raise
        if existing.idempotency_fingerprint != fingerprint:
            raise Conflict(
                _("This idempotency key was already used for a different application."), code="idempotency_key_reused"
            ) from None
        return existing, False
    return application, True
