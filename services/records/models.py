from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department
from services.core.i18n import Bilingual
from services.core.models import AppendOnly


class DataAccess(AppendOnly):
    """One read of a citizen's personal data: by whom, for which department and case, why."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # A person, or a department's connector (then `connector` names the registry).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    connector = models.CharField(max_length=100, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_accesses")
    case_reference = models.CharField(_("case"), max_length=20, blank=True)
    what = models.CharField(_("data"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=300)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["citizen", "-at"], name="data_access_citizen_idx")]
        verbose_name = _("data access")
        verbose_name_plural = _("data access log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.what}"


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUPERSEDED = "superseded", _("Replaced by a newer version")
    REVOKED = "revoked", _("Revoked")


class DocumentSource(models.TextChoices):
    ISSUED = "issued", _("Issued by this portal")
    REGISTRY = "registry", _("From a department's registry")


def document_file_path(instance, filename: str) -> str:
    import uuid

    return f"wallet/{instance.citizen_id}/{uuid.uuid4().hex}.pdf"


class WalletDocument(models.Model):
    """A document in the citizen's wallet (证照夹): an e-licence the portal issued, or one a
    department's registry holds. Later applications use it instead of an upload."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet")
    document_type = models.ForeignKey("catalog.DocumentType", on_delete=models.PROTECT, related_name="documents")
    number = models.CharField(_("number"), max_length=60)
    holder_name = models.CharField(_("holder"), max_length=100)
    issuer = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="issued_documents")
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.VALID)
    source = models.CharField(max_length=10, choices=DocumentSource.choices)
    application = models.OneToOneField(
        "casework.Application", on_delete=models.PROTECT, null=True, blank=True, related_name="licence"
    )
    verification_code = models.CharField(max_length=40, unique=True, null=True, blank=True)
    file = models.FileField(upload_to=document_file_path, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_type", "-version"]
        indexes = [models.Index(fields=["citizen", "document_type", "status"], name="wallet_lookup_idx")]
        verbose_name = _("wallet document")
        verbose_name_plural = _("wallet documents")

    def __str__(self) -> str:
        return f"{self.document_type_id} {self.number} v{self.version}"


class Evidence(models.Model):
    """A wallet document that met a material of an application: submitted once, used again."""

    application = models.ForeignKey("casework.Application", on_delete=models.PROTECT, related_name="evidence")
    material = models.ForeignKey("catalog.Material", on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(WalletDocument, on_delete=models.PROTECT, related_name="uses")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "material"], name="evidence_once_per_material")]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.application_id}/{self.material_id} ← {self.document_id}"


def upload_path(instance, filename: str) -> str:
    """Private storage, outside static files, under a name that tells nothing."""
    import uuid

    return f"uploads/{instance.owner_id}/{uuid.uuid4().hex}"


class Upload(models.Model):
    """A file a citizen gave for one material: first on a draft, then on the case. Kept in
    private storage (`MEDIA_ROOT/uploads/`), served only as a download to its owner and to
    the staff of the departments handling its case."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads")
    draft = models.ForeignKey(
        "applications.Draft", on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads"
    )
    application = models.ForeignKey(
        "casework.Application", on_delete=models.PROTECT, null=True, blank=True, related_name="uploads"
    )
    material = models.ForeignKey("catalog.Material", on_delete=models.PROTECT, related_name="uploads")
    file = models.FileField(upload_to=upload_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_upload"
        ordering = ["created_at", "pk"]
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")

    def __str__(self) -> str:
        return self.original_name


class RegistryKind(models.TextChoices):
    DATABASE = "database", _("Kept in the portal's database")
    HTTP_JSON = "http_json", _("The department's own system (HTTP JSON)")


class Registry(Bilingual, models.Model):
    """A department's registry (population, marriage, enterprises, degrees…) that the portal
    may ask about a citizen, with their consent, through a connector."""

    code = models.SlugField(max_length=40, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="registries")
    kind = models.CharField(max_length=12, choices=RegistryKind.choices, default=RegistryKind.DATABASE)
    base_url = models.URLField(blank=True, help_text="For an HTTP JSON registry: where the lookup is POSTed.")
    secret = models.CharField(max_length=200, blank=True, help_text="Shared key that signs each request.")
    timeout_seconds = models.PositiveSmallIntegerField(default=5)
    # The registry that confirms who a citizen is (name and ID number), before any fetch.
    verifies_identity = models.BooleanField(default=False)
    # Answer names the registry provides, mapped to the portal's verified attribute names.
    provides = models.JSONField(default=list)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department registry")
        verbose_name_plural = _("department registries")

    def __str__(self) -> str:
        return self.name_zh


class RegistryRecord(models.Model):
    """A record of a registry kept in the portal's own database, found by the blind index
    of the person's ID number; its content is stored encrypted."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="records")
    id_digest = models.CharField(max_length=64)
    payload = models.TextField(help_text="Encrypted JSON")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registry", "id_digest"], name="registry_record_once")]

    def __str__(self) -> str:
        return f"{self.registry_id}: {self.id_digest[:8]}…"


class DataRequirement(models.Model):
    """A service needs data from a registry, for a stated purpose."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="data_requirements")
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="requirements")
    purpose_zh = models.CharField(max_length=200)
    purpose_en = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "registry"], name="requirement_once")]

    def __str__(self) -> str:
        return f"{self.service_id} ← {self.registry_id}"

    @property
    def purpose(self) -> str:
        from services.core.i18n import current_is_english

        return self.purpose_en if current_is_english() and self.purpose_en else self.purpose_zh


class FetchStatus(models.TextChoices):
    PENDING = "pending", _("Being fetched")
    DONE = "done", _("Received")
    NOT_FOUND = "not_found", _("The department holds no record")
    FAILED = "failed", _("The department's system did not answer properly")


class Fetch(models.Model):
    """One consented request for a citizen's data from one registry, and its outcome."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fetches")
    draft = models.ForeignKey(
        "applications.Draft", on_delete=models.SET_NULL, null=True, blank=True, related_name="fetches"
    )
    # Set when the draft is submitted: staff see what was fetched for the case, and what failed.
    application = models.ForeignKey(
        "casework.Application", on_delete=models.PROTECT, null=True, blank=True, related_name="fetches"
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="fetches")
    purpose = models.CharField(max_length=300)
    id_number = models.TextField(help_text="The resident ID number asked about, encrypted")
    consented_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=FetchStatus.choices, default=FetchStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-consented_at", "-pk"]
        verbose_name = _("data fetch")
        verbose_name_plural = _("data fetches")

    def __str__(self) -> str:
        return f"{self.registry_id} for {self.citizen_id}: {self.status}"


class VerifiedAttribute(models.Model):
    """A fact about a citizen with its provenance: which department's registry said it, when,
    and how. The value is stored encrypted. The newest of a name is the one in force."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attributes")
    name = models.CharField(max_length=60)
    value = models.TextField(help_text="Encrypted")
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="+")
    fetch = models.ForeignKey(Fetch, on_delete=models.PROTECT, null=True, blank=True, related_name="attributes")
    verified_at = models.DateTimeField()
    method = models.CharField(max_length=100, default="registry lookup by resident ID number")
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_note = models.TextField(blank=True)
    # The decrypted value, set on the attributes that selectors.attributes_current returns.
    plain: str

    class Meta:
        ordering = ["name", "-verified_at"]
        indexes = [models.Index(fields=["citizen", "name", "-verified_at"], name="attribute_current_idx")]

    def __str__(self) -> str:
        return f"{self.citizen_id}.{self.name}"

    @property
    def label(self) -> str:
        from services.records.constants import ATTRIBUTE_LABELS

        return str(ATTRIBUTE_LABELS.get(self.name, self.name))
