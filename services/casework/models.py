from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department
from services.applications.models import Application
from services.casework.constants import StepStatus
from services.catalog.constants import StepRole
from services.catalog.models import Service, StageStep


class Step(models.Model):
    """One department's part of one stage of one case."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="steps")
    stage_step = models.ForeignKey(StageStep, on_delete=models.PROTECT, related_name="case_steps")
    stage_position = models.PositiveSmallIntegerField()
    round = models.PositiveSmallIntegerField(default=1)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="case_steps")
    role = models.CharField(max_length=20, choices=StepRole.choices)
    automatic_check = models.CharField(max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=StepStatus.choices, default=StepStatus.OPEN)
    # Copies of the case's fixed facts, so that a department queue filters on one table.
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_steps"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The deadline in working days: due_soon_on is when 70% of them are used. Both move
    # forward by the working days the clock stood still (a correction).
    started_on = models.DateField()
    due_soon_on = models.DateField()
    due_date = models.DateField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Working days the step was open, less those the case waited for the citizen: set when
    # the step closes.
    working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # Routing may run twice for the same stage (a redelivered message): the database
            # makes sure each step exists once.
            models.UniqueConstraint(fields=["application", "stage_step", "round"], name="step_once_per_case_round"),
        ]
        indexes = [
            # The department queue: open steps of a department by deadline, paged by key.
            models.Index(fields=["department", "status", "due_date", "id"], name="step_queue_idx"),
            models.Index(fields=["assignee", "status", "due_date", "id"], name="step_mine_idx"),
            models.Index(
                fields=["due_date"], name="step_overdue_idx", condition=models.Q(status="open", escalated_at=None)
            ),
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.application.reference} / {self.department.code} / {self.status}"


class CaseNote(models.Model):
    """An internal note on a case, for staff only. Notes are never edited or deleted."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notes")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, null=True, blank=True, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.text[:40]}"
