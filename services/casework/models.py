from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department
from services.applications.models import Application
from services.casework.constants import StepStatus
from services.catalog.constants import StepRole
from services.catalog.models import StageStep


class Step(models.Model):
    """One department's part of one stage of one case."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="steps")
    stage_step = models.ForeignKey(StageStep, on_delete=models.PROTECT, related_name="case_steps")
    stage_position = models.PositiveSmallIntegerField()
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="case_steps")
    role = models.CharField(max_length=20, choices=StepRole.choices)
    status = models.CharField(_("status"), max_length=20, choices=StepStatus.choices, default=StepStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # Routing may run twice for the same stage (a redelivered message): the database
            # makes sure each step exists once.
            models.UniqueConstraint(fields=["application", "stage_step"], name="step_once_per_case"),
        ]
        indexes = [
            models.Index(fields=["department", "status", "created_at"], name="step_queue_idx"),
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.application.reference} / {self.department.code} / {self.status}"
