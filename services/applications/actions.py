"""Applying, page by page: a draft holds the answers as the citizen goes (autosaved, and
saved on every page submit), the consent to fetch data from departments, the uploads, and
the key that makes the final submission happen once. Submitting hands the answers to
casework, which makes the case; the draft's files and fetches move to it."""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from services.applications.models import Draft
from services.applications.rules import (
    answers_locked,
    answers_with_verified,
    application_check,
    application_materials,
)
from services.applications.selectors import (
    Page,
    draft_first_incomplete,
    draft_page_form,
    draft_verified,
)
from services.casework.models import Application
from services.casework.selectors import application_for_key
from services.casework.submission import application_submit, idempotency_key_clean
from services.catalog.models import Service
from services.catalog.schema import visible_fields
from services.catalog.selectors import service_get_published
from services.core.errors import InvalidInput, PortalError
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind
from services.records.actions import evidence_record, fetches_consent, fetches_move_to_case
from services.records.models import Upload
from services.records.uploads import (
    draft_materials,
    upload_add_to_draft,
    upload_remove_from_draft,
    uploads_delete_for_draft,
    uploads_move_to_case,
)

CONSENT_GIVEN, CONSENT_DECLINED = "given", "declined"


def _expiry() -> date:
    return timezone.localdate() + timedelta(days=settings.DRAFT_RETENTION_DAYS)


def draft_start(*, citizen, service: Service) -> Draft:
    """The citizen's draft for this service: the one they have, or a new one."""
    if not getattr(citizen, "is_citizen", False):
        raise PortalError(_("Only citizens can apply."), code="forbidden", status=403)
    draft, _created = Draft.objects.get_or_create(
        citizen=citizen, service=service, defaults={"expires_on": _expiry(), "submit_key": uuid.uuid4().hex}
    )
    return draft


def draft_save(*, draft: Draft, page: Page, data, verified: dict | None = None) -> Draft:
    """Keep what the citizen typed on this page, valid or not: nothing typed is lost. A
    verified answer comes from its attribute, whatever was posted."""
    verified = verified if verified is not None else draft_verified(draft=draft)
    for spec in page.fields:
        if spec.get("verified") in verified:
            draft.answers[spec["name"]] = verified[spec["verified"]].plain
        else:
            draft.answers[spec["name"]] = str(data.get(spec["name"], ""))[:2000]
    draft.page = page.key
    draft.expires_on = _expiry()
    draft.reminded_at = None
    draft.save(update_fields=["answers", "page", "expires_on", "reminded_at", "updated_at"])
    return draft


def draft_page_submit(*, draft: Draft, page: Page, data):
    """Save the page and check it. Returns the bound form; valid means the citizen may go on."""
    verified = draft_verified(draft=draft)
    draft_save(draft=draft, page=page, data=data, verified=verified)
    form = draft_page_form(draft=draft, page=page, data=data, verified=verified)
    form.is_valid()
    # The form ignores a disabled input; a value sent for it all the same is refused, as
    # the API refuses it.
    for name, messages in answers_locked(fields=page.fields, data=data, verified=verified).items():
        for message in messages:
            form.add_error(name, message)
    return form


def draft_page_reach(*, draft: Draft, page: str) -> None:
    """Remember the page the citizen reached, to resume there."""
    Draft.objects.filter(pk=draft.pk).update(page=page)


def draft_consent_give(*, request, draft: Draft, id_number: str, requirement_ids: list[int]) -> None:
    """The citizen agrees that the chosen registries be asked for their data (records checks
    the ID number is theirs and queues each fetch); verified answers then fill the form. Not
    one transaction: a failed identity check stays in the data log."""
    fetches_consent(
        request=request, citizen=draft.citizen, draft=draft, id_number=id_number, requirement_ids=requirement_ids
    )
    Draft.objects.filter(pk=draft.pk).update(data_consent=CONSENT_GIVEN)
    draft.data_consent = CONSENT_GIVEN


def draft_consent_answer(
    *, request, citizen, service: Service, agree: bool, id_number: str, requirement_ids: list[int]
) -> Draft:
    """The answer to the consent page given without the pages (the API), on the citizen's
    draft of the service. A refused agreement leaves behind no draft it made."""
    existed = Draft.objects.filter(citizen=citizen, service=service).exists()
    draft = draft_start(citizen=citizen, service=service)
    if not agree:
        draft_consent_decline(draft=draft)
        return draft
    try:
        draft_consent_give(request=request, draft=draft, id_number=id_number, requirement_ids=requirement_ids)
    except PortalError:
        if not existed:
            draft.delete()
        raise
    return draft


def draft_consent_decline(*, draft: Draft) -> None:
    """The citizen types and uploads everything themselves."""
    Draft.objects.filter(pk=draft.pk).update(data_consent=CONSENT_DECLINED)
    draft.data_consent = CONSENT_DECLINED


def draft_upload_add(*, draft: Draft, material_id: int, file) -> Upload:
    return upload_add_to_draft(draft=draft, material_id=material_id, file=file)


def draft_file_send(*, citizen, service: Service, material_id: int, file) -> Upload:
    """A file for one material, sent without the pages (the API): it goes to the citizen's
    draft of the service, made for it; a file refused leaves no draft behind."""
    with transaction.atomic():
        draft = draft_start(citizen=citizen, service=service)
        return draft_upload_add(draft=draft, material_id=material_id, file=file)


def draft_upload_remove(*, draft: Draft, upload_id: int) -> None:
    upload_remove_from_draft(draft=draft, upload_id=upload_id)


def draft_submit(*, draft: Draft) -> Application:
    """Submit the draft: every page must pass, and then the rules every channel meets
    (`rules.application_check`). A second tap finds the application the first one made (the
    draft's key is its idempotency key)."""
    # Once submitted, the draft's files are the case's: its materials no longer say whether
    # it was complete, so a repeat is recognised before they are checked.
    existing = application_for_key(citizen=draft.citizen, key=draft.submit_key)
    if existing:
        _draft_hand_over(draft=draft, application=existing, rows=draft_materials(draft=draft))
        return existing
    incomplete = draft_first_incomplete(draft=draft)
    if incomplete:
        raise InvalidInput(_("Some answers need your attention."), errors={"page": [incomplete]})
    asked = visible_fields(draft.service.form_schema, draft.answers)
    # A verified answer is what the registry says now, as its page shows it (one fetched
    # after the page was saved included).
    current = answers_with_verified(service=draft.service, answers=draft.answers, verified=draft_verified(draft=draft))
    answers = {k: v for k, v in current.items() if k in asked and v != ""}
    application, _created = _application_send(
        citizen=draft.citizen, service=draft.service, answers=answers, idempotency_key=draft.submit_key, draft=draft
    )
    return application


def application_send(
    *, citizen, service_code: str, answers: dict, idempotency_key: str | None
) -> tuple[Application, bool]:
    """Submit an application in one request (the API), under the rules the pages follow
    (`rules.application_check`). The citizen's draft of the service, when they have one,
    brings its consent and its files, and hands over to the case as from the pages.
    Returns (application, created); a repeat of the key returns the case it made."""
    service = service_get_published(code=service_code)
    draft = Draft.objects.filter(citizen=citizen, service=service).first()
    return _application_send(
        citizen=citizen, service=service, answers=answers, idempotency_key=idempotency_key, draft=draft
    )


def _application_send(
    *, citizen, service: Service, answers: dict, idempotency_key: str | None, draft: Draft | None
) -> tuple[Application, bool]:
    key = idempotency_key_clean(idempotency_key)
    if application_for_key(citizen=citizen, key=key) is not None:
        # The first request was checked and its files moved to the case: casework answers a
        # repeat with that case, or refuses the key with other answers.
        rows = application_materials(citizen=citizen, service=service, draft=draft)
    else:
        rows = application_check(citizen=citizen, service=service, answers=answers, draft=draft)
    # The case is made in a transaction of its own (it takes its reference number before),
    # then the draft hands over what it holds: a hand-over that did not happen (the process
    # died in between) happens when the citizen taps again.
    application, created = application_submit(
        citizen=citizen, service_code=service.code, answers=answers, idempotency_key=key
    )
    if draft is not None:
        _draft_hand_over(draft=draft, application=application, rows=rows)
    else:
        evidence_record(application=application, rows=rows)
    return application, created


def _draft_hand_over(*, draft: Draft, application: Application, rows: list[dict]) -> None:
    """The draft's files, fetches and the wallet documents it used go to the case, and the
    draft goes. Doing it twice changes nothing."""
    with transaction.atomic():
        if not Draft.objects.select_for_update().filter(pk=draft.pk).exists():
            return
        uploads_move_to_case(draft=draft, application=application)
        evidence_record(application=application, rows=rows)
        fetches_move_to_case(draft=draft, application=application)
        draft.delete()


def drafts_sweep(*, today: date | None = None) -> tuple[int, int]:
    """Remind citizens of drafts about to be deleted, and delete expired ones with their
    files. Returns (reminded, deleted)."""
    today = today or timezone.localdate()
    reminded = 0
    soon = today + timedelta(days=settings.DRAFT_REMINDER_DAYS)
    for draft in Draft.objects.filter(expires_on__lte=soon, expires_on__gt=today, reminded_at=None).select_related(
        "service", "citizen"
    ):
        with transaction.atomic():
            notify(
                recipients=[draft.citizen],
                kind=NotificationKind.DRAFT_EXPIRING,
                params={
                    "service_zh": draft.service.name_zh,
                    "service_en": draft.service.name_en,
                    "date": draft.expires_on.isoformat(),
                },
                link=reverse("applications:apply", args=[draft.service.code]),
            )
            Draft.objects.filter(pk=draft.pk).update(reminded_at=timezone.now())
        reminded += 1
    deleted = 0
    for draft in Draft.objects.filter(expires_on__lte=today):
        uploads_delete_for_draft(draft=draft)
        draft.delete()
        deleted += 1
    return reminded, deleted
