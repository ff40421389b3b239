from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.catalog.models import Service
from services.core.fields import ProtectedJSONField


class Draft(models.Model):
    """An application being filled in: saved as the citizen goes, resumed from "my
    applications", deleted after DRAFT_RETENTION_DAYS with a reminder before."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="drafts")
    answers = ProtectedJSONField(default=dict)
    # The page of the form the citizen last reached: a group key, "materials" or "check".
    page = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_on = models.DateField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    submit_key = models.CharField(max_length=80, help_text="Idempotency key of the final submission.")
    # The citizen's answer to "may we fetch your data from the departments?": given, declined, or not yet.
    data_consent = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["citizen", "service"], name="one_draft_per_service")]
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")

    def __str__(self) -> str:
        return f"{self.citizen_id} {self.service_id}"
