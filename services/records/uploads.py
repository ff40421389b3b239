"""Files citizens give for a service's materials: what a file may be (judged from its
content), where it is kept, which case it belongs to, and who may open it.

An upload first belongs to a draft (applications) and moves to the case (casework) when
the draft is submitted; a material allowed to follow later (容缺) arrives on the case
itself. The callers pass the draft or case they hold; this module never imports theirs.
"""

import hashlib
from pathlib import PurePath

import filetype
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from services.catalog.models import Material
from services.core.errors import NotFound, PortalError
from services.core.workdays import add_working_days
from services.records.models import Upload
from services.records.selectors import wallet_valid_document

# What a file may be, judged from its content; and the names that claim each type.
ACCEPTED_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
NAME_CLAIMS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


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
    if content_type is None or content_type not in ACCEPTED_TYPES:
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


def _material_of(*, service_id: int, material_id: int) -> Material:
    material = Material.objects.filter(pk=material_id, service_id=service_id).first()
    if material is None:
        raise PortalError(_("This material is not part of this service."), code="unknown_material")
    return material


# Writes ------------------------------------------------------------------------------


def upload_add_to_draft(*, draft, material_id: int, file) -> Upload:
    """Store a file for one material of a draft. Nothing already in the draft changes."""
    material = _material_of(service_id=draft.service_id, material_id=material_id)
    checked = upload_validate(file=file)
    return Upload.objects.create(owner=draft.citizen, draft=draft, material=material, file=file, **checked)


def upload_add_to_case(*, application, material_id: int, file) -> Upload:
    """Store a file for one material of a submitted case (one that was allowed to follow)."""
    material = _material_of(service_id=application.service_id, material_id=material_id)
    checked = upload_validate(file=file)
    return Upload.objects.create(
        owner_id=application.citizen_id, application=application, material=material, file=file, **checked
    )


def upload_remove_from_draft(*, draft, upload_id: int) -> None:
    upload = Upload.objects.filter(pk=upload_id, draft=draft, application__isnull=True).first()
    if upload is None:
        raise NotFound(_("This file is not in your application."))
    upload.file.delete(save=False)
    upload.delete()


def uploads_move_to_case(*, draft, application) -> int:
    """The draft was submitted: its files now belong to the case."""
    return Upload.objects.filter(draft=draft).update(application=application, draft=None)


def uploads_delete_for_draft(*, draft) -> int:
    """A draft expired: its files go with it (files already on a case stay)."""
    deleted = 0
    for upload in Upload.objects.filter(draft=draft, application__isnull=True):
        upload.file.delete(save=False)
        upload.delete()
        deleted += 1
    return deleted


# Reads -------------------------------------------------------------------------------


def uploads_for_draft(*, draft) -> QuerySet[Upload]:
    return Upload.objects.filter(draft=draft).select_related("material").order_by("pk")


def draft_materials(*, draft) -> list[dict]:
    """Each material of the draft's service with its uploads, the wallet document that meets
    it (once-only: nothing to upload), and what is still needed."""
    return materials_met(citizen=draft.citizen, service=draft.service, uploads=list(uploads_for_draft(draft=draft)))


def materials_met(*, citizen, service, uploads: list[Upload]) -> list[dict]:
    """Each material of `service` with the `uploads` given for it, the citizen's wallet
    document that meets it, and whether it is missing (needed now, not there) or deferred
    (容缺: needed, allowed to follow later, not there)."""
    rows = []
    for material in service.materials.select_related("document_type"):
        mine = [u for u in uploads if u.material_id == material.pk]
        held = (
            wallet_valid_document(citizen=citizen, document_type_id=material.document_type_id)
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


def case_materials(*, application) -> list[dict]:
    """Each material of the case with its files and the wallet document that met it; one
    allowed to follow later (容缺) and not here yet has its last day."""
    uploads = list(Upload.objects.filter(application=application).order_by("pk"))
    evidence = {e.material_id: e.document for e in application.evidence.select_related("document__document_type")}
    submitted_on = timezone.localdate(application.submitted_at)
    rows = []
    for material in application.service.materials.all():
        mine = [u for u in uploads if u.material_id == material.pk]
        held = evidence.get(material.pk)
        owed = material.required and material.deferrable_days and not mine and not held
        rows.append(
            {
                "material": material,
                "uploads": mine,
                "from_wallet": held,
                "owed_by": add_working_days(submitted_on, material.deferrable_days) if owed else None,
            }
        )
    return rows


def upload_get(*, pk: int) -> Upload:
    """A file with its case, for a caller that decides who may see it."""
    upload = Upload.objects.filter(pk=pk).select_related("application", "material", "owner").first()
    if upload is None:
        raise NotFound(_("This file does not exist or is not yours to see."))
    return upload
