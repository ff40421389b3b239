from django.db.models import QuerySet

from services.core.crypto import decrypt
from services.records.models import DataAccess, VerifiedAttribute


def data_access_for_citizen(*, citizen) -> QuerySet[DataAccess]:
    """Every recorded use of this citizen's data, newest first: theirs only."""
    return DataAccess.objects.filter(citizen=citizen).select_related("department", "actor").order_by("-at", "-pk")


def data_access_all(*, department: str = "", reference: str = "", before_id: int | None = None) -> QuerySet[DataAccess]:
    """The whole log for auditors, newest first, paged by id."""
    entries = DataAccess.objects.select_related("department", "actor", "citizen").order_by("-pk")
    if department:
        entries = entries.filter(department__code=department)
    if reference:
        entries = entries.filter(case_reference=reference)
    if before_id:
        entries = entries.filter(pk__lt=before_id)
    return entries


def wallet_for_citizen(*, citizen) -> QuerySet:
    from services.records.models import WalletDocument

    return (
        WalletDocument.objects.filter(citizen=citizen)
        .select_related("document_type", "issuer")
        .order_by("document_type__code", "-version")
    )


def wallet_valid_document(*, citizen, document_type_id: int):
    """The citizen's newest valid, unexpired document of a type, or None."""
    from django.db.models import Q
    from django.utils import timezone

    from services.records.models import DocumentStatus, WalletDocument

    return (
        WalletDocument.objects.filter(citizen=citizen, document_type_id=document_type_id, status=DocumentStatus.VALID)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate()))
        .select_related("document_type", "issuer")
        .order_by("-version")
        .first()
    )


def fetch_list_for_draft(*, draft) -> list:
    from services.records.models import Fetch

    return list(Fetch.objects.filter(draft=draft).select_related("registry__department").order_by("pk"))


def attributes_current(*, citizen) -> dict[str, VerifiedAttribute]:
    """The citizen's verified attributes in force: the newest of each name, values decrypted
    into `plain`."""
    current = {}
    for attribute in (
        VerifiedAttribute.objects.filter(citizen=citizen)
        .select_related("registry__department")
        .order_by("name", "-verified_at", "-pk")
    ):
        if attribute.name not in current:
            attribute.plain = decrypt(attribute.value)
            current[attribute.name] = attribute
    return current
