from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department


class AppendOnlyError(RuntimeError):
    pass


class DataAccess(models.Model):
    """One read of a citizen's personal data: by whom, for which department and case, why."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
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

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("the data-access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the data-access log is append-only")


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
        "applications.Application", on_delete=models.PROTECT, null=True, blank=True, related_name="licence"
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

    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="evidence")
    material = models.ForeignKey("catalog.Material", on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(WalletDocument, on_delete=models.PROTECT, related_name="uses")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "material"], name="evidence_once_per_material")]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.application_id}/{self.material_id} ← {self.document_id}"
