"""Applying, page by page: a draft holds the answers as the citizen goes (autosaved, and
saved on every page submit), the uploads, and the key that makes the final submission
happen once. One page per question group, then the materials, then the check of answers.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

import filetype
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from services.applications import actions
from services.applications.models import Application, Draft, Upload
from services.catalog.models import Material, Service
from services.catalog.schema import answers_form_class, text, visible_fields
from services.core.errors import InvalidInput, NotFound, PortalError
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind

CONSENT_PAGE = "consent"
MATERIALS_PAGE = "materials"
CHECK_PAGE = "check"

# What a file may be, judged from its content; and the names that claim each type.
ACCEPTED_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
NAME_CLAIMS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    fields: list[dict]


def _expiry():
    return timezone.localdate() + timedelta(days=settings.DRAFT_RETENTION_DAYS)


def draft_start(*, citizen, service: Service) -> Draft:
    """The citizen's draft for this service: the one they have, or a new one."""
    if not getattr(citizen, "is_citizen", False):
        raise PortalError(_("Only citizens can apply."), code="forbidden", status=403)
    draft, _created = Draft.objects.get_or_create(
        citizen=citizen, service=service, defaults={"expires_on": _expiry(), "submit_key": uuid.uuid4().hex}
    )
    return draft


def draft_pages(*, service: Service, answers: dict) -> list[Page]:
    """The pages this citizen will see, given their answers: a group whose every question is
    hidden by earlier answers is skipped."""
    asked = visible_fields(service.form_schema, answers)
    pages = []
    if service.data_requirements.exists():
        pages.append(Page(CONSENT_PAGE, _("Data the departments already hold"), []))
    for group in service.form_schema.get("groups", []):
        fields = [f for f in group["fields"] if f["name"] in asked]
        if fields:
            pages.append(Page(group["key"], text(group["title"]), fields))
    if service.materials.exists():
        pages.append(Page(MATERIALS_PAGE, _("Materials"), []))
    pages.append(Page(CHECK_PAGE, _("Check your answers"), []))
    return pages


def page_get(*, service: Service, answers: dict, key: str) -> tuple[Page, Page | None, Page | None]:
    """(page, previous, next) for a page key; NotFound for a page this citizen does not see."""
    pages = draft_pages(service=service, answers=answers)
    for index, page in enumerate(pages):
        if page.key == key:
            return page, pages[index - 1] if index else None, pages[index + 1] if index + 1 < len(pages) else None
    raise NotFound(_("This page is not part of your application."))


def page_form(
    *, service: Service, page: Page, data: dict | None = None, initial: dict | None = None, verified: dict | None = None
):
    """A Django form with only the questions of one page. A question filled from a verified
    attribute shows its value and source and cannot be changed here."""
    form_class = answers_form_class(service.form_schema)
    verified = verified or {}
    fixed = {f["name"]: verified[f["verified"]] for f in page.fields if f.get("verified") in verified}
    form = form_class(data=data, initial={**(initial or {}), **{k: a.plain for k, a in fixed.items()}})
    names = {f["name"] for f in page.fields}
    for name in list(form.fields):
        if name not in names:
            del form.fields[name]
        elif name in fixed:
            attribute = fixed[name]
            form.fields[name].disabled = True
            form.fields[name].help_text = _(
                "Verified by %(department)s on %(date)s. Wrong? Report it under “My data”."
            ) % {
                "department": attribute.registry.department.name,
                "date": attribute.verified_at.date().isoformat(),
            }
    return form


def draft_verified(*, draft: Draft) -> dict:
    """The citizen's verified attributes in force, when they agreed to their use."""
    if draft.data_consent != "given":
        return {}
    from services.records.actions import attributes_current

    return attributes_current(citizen=draft.citizen)


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
    form = page_form(service=draft.service, page=page, data=data, verified=verified)
    form.is_valid()
    return form


def draft_first_incomplete(*, draft: Draft) -> str | None:
    """The first question page whose answers do not pass, or None when all do."""
    verified = draft_verified(draft=draft)
    for page in draft_pages(service=draft.service, answers=draft.answers):
        if page.fields:
            form = page_form(service=draft.service, page=page, data=draft.answers, verified=verified)
            if not form.is_valid():
                return page.key
    return None


# Materials ---------------------------------------------------------------------------


def _sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind else None


def upload_validate(*, file) -> dict:
    """Check a file a citizen sends. The type is judged from the content, not the name, and a
    name that claims another type is refused too. Returns the facts to store with it."""
    if file is None or not getattr(file, "size", 0):
        raise PortalError(_("Choose a file first. The file you chose is empty."), code="empty_file")
    if file.size > settings.UPLOAD_MAX_BYTES:
        raise PortalError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB. Take a smaller photo or scan.")
            % {"size": file.size / 1024 / 1024, "limit": settings.UPLOAD_MAX_BYTES // 1024 // 1024},
            code="too_large",
        )
    head = file.read(8192)
    file.seek(0)
    content_type = _sniff(head)
    if content_type not in ACCEPTED_TYPES:
        raise PortalError(
            _("This file is not a photo (JPEG or PNG) or a PDF, whatever its name says. Choose another file."),
            code="file_type",
        )
    claimed = NAME_CLAIMS.get(PurePath(file.name or "").suffix.lower())
    if claimed and claimed != content_type:
        raise PortalError(
            _("The file's name says %(claimed)s but it contains %(actual)s. Check you chose the right file.")
            % {"claimed": ACCEPTED_TYPES[claimed], "actual": ACCEPTED_TYPES[content_type]},
            code="file_type_mismatch",
        )
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return {
        "original_name": PurePath(file.name or "file").name[:200],
        "content_type": content_type,
        "size": file.size,
        "sha256": digest.hexdigest(),
    }


def upload_add(*, draft: Draft, material_id: int, file) -> Upload:
    """Store a file for one material of a draft. Nothing already in the draft changes."""
    material = Material.objects.filter(pk=material_id, service=draft.service).first()
    if material is None:
        raise PortalError(_("This material is not part of this service."), code="unknown_material")
    checked = upload_validate(file=file)
    return Upload.objects.create(owner=draft.citizen, draft=draft, material=material, file=file, **checked)


def upload_remove(*, draft: Draft, upload_id: int) -> None:
    upload = Upload.objects.filter(pk=upload_id, draft=draft, application__isnull=True).first()
    if upload is None:
        raise NotFound(_("This file is not in your application."))
    upload.file.delete(save=False)
    upload.delete()


def materials_status(*, draft: Draft) -> list[dict]:
    """Each material with its uploads, the wallet document that meets it (once-only: nothing
    to upload), and what is still needed."""
    from services.records.selectors import wallet_valid_document

    uploads = list(draft.uploads.select_related("material"))
    rows = []
    for material in draft.service.materials.select_related("document_type"):
        mine = [u for u in uploads if u.material_id == material.pk]
        held = (
            wallet_valid_document(citizen=draft.citizen, document_type_id=material.document_type_id)
            if material.document_type_id and not mine
            else None
        )
        met = bool(mine or held)
        rows.append(
            {
                "material": material,
                "uploads": mine,
                "from_wallet": held,
                "missing": material.required and not material.deferrable_days and not met,
                "deferred": bool(material.required and material.deferrable_days and not met),
            }
        )
    return rows


# Submission --------------------------------------------------------------------------


def draft_submit(*, draft: Draft) -> Application:
    """Submit the draft: every page must pass and every material that cannot follow later
    must be there. A second tap finds the application the first one made."""
    existing = Application.objects.filter(citizen=draft.citizen, idempotency_key=draft.submit_key).first()
    if existing:
        return existing
    incomplete = draft_first_incomplete(draft=draft)
    if incomplete:
        raise InvalidInput(_("Some answers need your attention."), errors={"page": [incomplete]})
    rows = materials_status(draft=draft)
    missing = [row["material"] for row in rows if row["missing"]]
    if missing:
        raise InvalidInput(
            _("Upload these materials first: %(names)s.") % {"names": "、".join(m.name for m in missing)},
            errors={"page": [MATERIALS_PAGE]},
        )
    asked = visible_fields(draft.service.form_schema, draft.answers)
    answers = {k: v for k, v in draft.answers.items() if k in asked and v != ""}
    with transaction.atomic():
        application, _created = actions.application_submit(
            citizen=draft.citizen, service_code=draft.service.code, answers=answers, idempotency_key=draft.submit_key
        )
        Upload.objects.filter(draft=draft).update(application=application, draft=None)
        evidence_record(application=application, rows=rows)
        draft.fetches.update(application=application)
        draft.delete()
    return application


def evidence_record(*, application: Application, rows: list[dict]) -> None:
    """Remember which wallet documents met which materials: the departments see them, the
    citizen's data log shows their use."""
    from services.records.models import Evidence

    Evidence.objects.bulk_create(
        [
            Evidence(application=application, material=row["material"], document=row["from_wallet"])
            for row in rows
            if row["from_wallet"] is not None
        ],
        ignore_conflicts=True,
    )


# Retention ---------------------------------------------------------------------------


def drafts_sweep(*, today=None) -> tuple[int, int]:
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
        for upload in Upload.objects.filter(draft=draft, application__isnull=True):
            upload.file.delete(save=False)
            upload.delete()
        draft.delete()
        deleted += 1
    return reminded, deleted
