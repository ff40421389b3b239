"""Writes of the records context: the data-access log, consented fetches from department
registries and the verified attributes they produce, and the evidence a case used. (Uploads
are in `uploads`, e-licences in `licences`.)"""

import json
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from services.accounts.selectors import department_admins
from services.audit.constants import Action
from services.audit.trail import audit_record
from services.core.crypto import blind_index, decrypt, encrypt
from services.core.errors import PortalError
from services.core.middleware import current_request
from services.core.outbox import outbox_enqueue
from services.core.ratelimit import rate_limit
from services.core.validators import normalize_id_number, normalize_mobile, validate_id_number
from services.records.connectors import ConnectorError, ConnectorInvalid, connector_for
from services.records.models import (
    DataAccess,
    DataRequirement,
    Evidence,
    Fetch,
    FetchStatus,
    Registry,
    VerifiedAttribute,
)

logger = logging.getLogger(__name__)

FETCH_TASK = "records.fetch"
RETRY = "retry"


def data_access_record(
    *, actor, citizen, what: str, purpose: str, department=None, case_reference: str = "", connector: str = ""
) -> DataAccess:
    access = DataAccess.objects.create(
        actor=actor,
        citizen=citizen,
        what=what,
        purpose=purpose,
        department=department,
        case_reference=case_reference,
        connector=connector,
    )
    if actor is not None:  # a person read it (a connector's fetch is the registry answering)
        audit_record(
            Action.PERSONAL_DATA_READ,
            request=current_request(),
            actor=actor,
            object_type="citizen",
            object_id=citizen.pk,
            detail={
                "data": what,
                "purpose": purpose[:200],
                "case": case_reference,
                "department": department.code if department else "",
            },
        )
    return access


def identity_verify(*, request, citizen, id_number: str) -> None:
    """Confirm that `id_number` is the citizen's own (实名核验) before anything is fetched with
    it, and bind it to the account: the population registry's record of that number must
    hold the account's name and the account's mobile number, which the citizen proved with a
    code. A number bound to one account is never used by another. A few tries a day per
    account and per number; every try is in the data log of the one who tried, and of the
    number's owner (the account it is bound to, or that has the registry's mobile number)."""
    number = normalize_id_number(id_number)
    digest = blind_index(number)
    if citizen.id_digest:
        if citizen.id_digest != digest:
            raise PortalError(_("This is not the ID number confirmed for your account."), code="not_your_id")
        return
    rate_limit(request, group="identity-account", key=str(citizen.pk), rate=settings.IDENTITY_TRIES)
    rate_limit(request, group="identity-number", key=digest, rate=settings.IDENTITY_TRIES)
    users = get_user_model().objects
    if users.filter(id_digest=digest).exclude(pk=citizen.pk).exists():
        _identity_attempt_told(citizen=citizen, owners=users.filter(id_digest=digest), registry=None)
        raise PortalError(
            _("This ID number is confirmed for another account. Call the service hotline if it is yours."),
            code="not_your_id",
        )
    registry = Registry.objects.filter(verifies_identity=True).select_related("department").first()
    if registry is None:
        raise PortalError(_("Identities cannot be confirmed at the moment: upload your documents instead."))
    try:
        record = connector_for(registry).lookup(id_number=number)
    except (ConnectorError, ConnectorInvalid) as exc:
        raise PortalError(
            _("The population registry cannot be reached now. Try again later, or upload your documents."),
            code="registry_unavailable",
        ) from exc
    data_access_record(
        actor=None,
        connector=registry.code,
        citizen=citizen,
        department=registry.department,
        what=registry.name_zh,
        purpose="核验申请人身份（实名核验）",
    )
    if not record or record.get("full_name", "").strip() != (citizen.full_name or "").strip():
        raise PortalError(
            _("The name of your account and this ID number do not match the population registry."),
            code="not_your_id",
        )
    proof = import_string(settings.IDENTITY_PROOF)
    if not proof(citizen=citizen, record=record):
        registry_mobile = record.get("mobile", "")
        owners = users.filter(mobile=registry_mobile, mobile_confirmed_at__isnull=False) if registry_mobile else []
        _identity_attempt_told(citizen=citizen, owners=owners, registry=registry)
        raise PortalError(
            _(
                "The mobile number of your account is not the one the population registry holds for this ID "
                "number. Confirm your own number under “My data”, or bring your ID card to a service hall."
            ),
            code="not_your_id",
        )
    users.filter(pk=citizen.pk).update(id_digest=digest)
    citizen.id_digest = digest


def identity_proven_by_mobile(*, citizen, record: dict) -> bool:
    """The default proof that an ID number is the citizen's (IDENTITY_PROOF): the population
    registry holds, for that number, the mobile number the citizen proved with a code. A
    deployment may plug in a stronger one (a face check by the national identity service)."""
    return bool(
        citizen.mobile
        and citizen.mobile_confirmed_at
        and record.get("mobile")
        and normalize_mobile(str(record["mobile"])) == citizen.mobile
    )


def _identity_attempt_told(*, citizen, owners, registry) -> None:
    """Someone else tried the owner's ID number: the owner sees it in their data log."""
    for owner in owners:
        if owner.pk == citizen.pk:
            continue
        data_access_record(
            actor=None,
            connector=registry.code if registry else "",
            citizen=owner,
            department=registry.department if registry else None,
            what="居民身份证号码",
            purpose="另一账户尝试以您的身份证号码进行实名核验，未通过",
        )


def fetches_consent(*, request, citizen, draft, id_number: str, requirement_ids: list[int]) -> list[Fetch]:
    """The citizen agreed that these registries be asked, for the purposes shown, while
    filling `draft`: each fetch runs on the registry department's own queue once the
    transaction commits."""
    from django.core.exceptions import ValidationError

    try:
        validate_id_number(id_number)
    except ValidationError as exc:
        raise PortalError(exc.messages[0], code="id_number") from exc
    requirements = list(
        DataRequirement.objects.filter(service=draft.service, pk__in=requirement_ids).select_related(
            "registry__department"
        )
    )
    if not requirements:
        raise PortalError(_("Choose at least one department, or upload the documents instead."), code="nothing_chosen")
    identity_verify(request=request, citizen=citizen, id_number=id_number)
    fetches = []
    with transaction.atomic():
        for requirement in requirements:
            fetch = Fetch.objects.create(
                citizen=citizen,
                draft=draft,
                service=draft.service,
                registry=requirement.registry,
                purpose=requirement.purpose_zh,
                id_number=encrypt(normalize_id_number(id_number)),
                consented_at=timezone.now(),
            )
            outbox_enqueue(
                task_name=FETCH_TASK,
                kwargs={"fetch_id": fetch.pk},
                department_code=requirement.registry.department.code,
            )
            fetches.append(fetch)
    return fetches


def fetches_move_to_case(*, draft, application) -> int:
    """The draft was submitted: staff see what was fetched for the case, and what failed."""
    return Fetch.objects.filter(draft=draft).update(application=application)


def evidence_record(*, application, rows: list[dict]) -> None:
    """Remember which wallet documents met which materials (`rows` as `uploads.draft_materials`
    gives them): the departments see them, the citizen's data log shows their use."""
    Evidence.objects.bulk_create(
        [
            Evidence(application=application, material=row["material"], document=row["from_wallet"])
            for row in rows
            if row["from_wallet"] is not None
        ],
        ignore_conflicts=True,
    )


def fetch_run(*, fetch_id: int) -> str:
    """Ask the registry. Stores what it says as verified attributes with their provenance,
    and logs the read in the citizen's data log. A finished fetch is left alone. Returns
    RETRY after a failure worth retrying while attempts remain."""
    with transaction.atomic():
        fetch = Fetch.objects.select_for_update().select_related("registry__department", "citizen").get(pk=fetch_id)
        if fetch.status != FetchStatus.PENDING:
            return fetch.status
        fetch.attempts += 1
        registry = fetch.registry
        try:
            record = connector_for(registry).lookup(id_number=decrypt(fetch.id_number))
        except ConnectorInvalid as exc:
            return _fetch_finish(fetch, FetchStatus.FAILED, str(exc))
        except ConnectorError as exc:
            if fetch.attempts >= settings.REGISTRY_MAX_ATTEMPTS:
                return _fetch_finish(fetch, FetchStatus.FAILED, str(exc))
            fetch.error = str(exc)[:2000]
            fetch.save(update_fields=["attempts", "error"])
            return RETRY
        data_access_record(
            actor=None,
            connector=registry.code,
            citizen=fetch.citizen,
            department=registry.department,
            what=registry.name_zh,
            purpose=fetch.purpose,
        )
        if record is None:
            return _fetch_finish(fetch, FetchStatus.NOT_FOUND, "")
        now = timezone.now()
        VerifiedAttribute.objects.bulk_create(
            [
                VerifiedAttribute(
                    citizen=fetch.citizen,
                    name=name,
                    value=encrypt(str(value)),
                    registry=registry,
                    fetch=fetch,
                    verified_at=now,
                )
                for name, value in record.items()
            ]
        )
        return _fetch_finish(fetch, FetchStatus.DONE, "")


def _fetch_finish(fetch: Fetch, status: str, error: str) -> str:
    fetch.status = status
    fetch.error = error[:2000]
    fetch.finished_at = timezone.now()
    fetch.save(update_fields=["status", "error", "finished_at", "attempts"])
    return status


def attribute_dispute(*, citizen, attribute_id: int, note: str) -> VerifiedAttribute:
    """The citizen says a verified value is wrong: the owning department is told."""
    from services.notifications.actions import notify
    from services.notifications.constants import NotificationKind

    note = (note or "").strip()
    if not note:
        raise PortalError(_("Say what is wrong and what is right."), code="note_required")
    attribute = (
        VerifiedAttribute.objects.select_related("registry__department")
        .filter(pk=attribute_id, citizen=citizen)
        .first()
    )
    if attribute is None:
        raise PortalError(_("This is not one of your verified values."), code="not_found", status=404)
    with transaction.atomic():
        VerifiedAttribute.objects.filter(pk=attribute.pk).update(disputed_at=timezone.now(), dispute_note=note[:2000])
        admins = department_admins(department_id=attribute.registry.department_id)
        notify(
            recipients=admins,
            kind=NotificationKind.ATTRIBUTE_DISPUTED,
            params={"registry_zh": attribute.registry.name_zh, "registry_en": attribute.registry.name_en},
        )
    attribute.refresh_from_db()
    return attribute


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
