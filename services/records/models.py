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
