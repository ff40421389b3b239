"""How a case starts: `application_submit` checks the answers against the service's form,
takes the case's reference number, and in one transaction writes the case, its first
history entry, the blind index of its ID numbers and the request to route it. Repeated with
the same idempotency key, it returns the case the first request made.

Reference numbers count per day (YYYYMMDD-NNNN) in one counter row a day. A submission takes
its number in a statement of its own, before its transaction, so the row is locked for that
one statement rather than for every submission's whole transaction: the city's submissions
do not queue behind one another. A number taken by a submission that then fails is not used
again (a gap, as a database sequence leaves)."""

import hashlib
import json
from datetime import date

from django.db import IntegrityError, connection, transaction
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


def reference_take(*, day: date) -> str:
    """The next reference number of `day`, in one statement (PostgreSQL and SQLite alike).
    Outside a transaction the day's counter row is locked only while the statement runs;
    inside one, until that transaction ends."""
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - the table name is the model's own
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (last,) = cursor.fetchone()
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
    existing = application_for_key(citizen=citizen, key=key)
    if existing is not None:
        return _repeated(existing, fingerprint), False
    now = timezone.now()
    today = timezone.localdate(now)
    reference = reference_take(day=today)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                reference=reference,
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
        # The same key twice at once: the database's unique constraint let the other one in.
        existing = application_for_key(citizen=citizen, key=key)
        if existing is None:
            raise
        return _repeated(existing, fingerprint), False
    return application, True


def _repeated(existing: Application, fingerprint: str) -> Application:
    """A repeat of a request returns the case it made; the same key with other answers is
    refused."""
    if existing.idempotency_fingerprint != fingerprint:
        raise Conflict(
            _("This idempotency key was already used for a different application."), code="idempotency_key_reused"
        )
    return existing
