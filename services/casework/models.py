"""The case and everything that happens to it after submission: the `Application` (the case
record the citizen follows), its blind-indexed ID numbers, reference numbers, the
append-only history, correction requests, the departments' steps and internal notes, and
the rating of a finished case with the follow-up a bad one opens.

These tables were first made by the applications app: each keeps its name (`db_table`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department
from services.casework.constants import ApplicationStatus, EventKind, StepStatus
from services.catalog.constants import StepRole
from services.catalog.models import Service, StageStep, WorkflowTemplate
from services.core.fields import ProtectedJSONField
from services.core.models import AppendOnly


class Application(models.Model):
    """A case, as submitted by a citizen: the status the citizen sees, the stage it is in,
    its deadline and its answers. Its steps say which departments hold it."""

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    workflow = models.ForeignKey(WorkflowTemplate, on_delete=models.PROTECT, related_name="applications")
    # Resident ID numbers in the answers are encrypted at rest (see core.crypto).
    answers = ProtectedJSONField(_("answers"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    current_stage = models.PositiveSmallIntegerField(_("current stage"), null=True, blank=True)
    # Incremented when a stage is sent back: the steps of each pass through a stage are kept.
    round = models.PositiveSmallIntegerField(default=1)
    submitted_at = models.DateTimeField(_("submitted at"))
    due_date = models.DateField(_("due date"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Working days from submission to decision, less the days the case waited for the citizen.
    processing_working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (NULL: no key, many rows)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "applications_application"
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["citizen", "idempotency_key"], name="application_idempotency_unique"),
        ]
        indexes = [
            models.Index(fields=["citizen", "-submitted_at"], name="application_citizen_idx"),
            # The backlog of the statistics: the open cases only, a small part of the table,
            # with all the backlog counts need (an index-only scan on PostgreSQL).
            models.Index(
                fields=["service", "submitted_at"],
                include=["status", "due_date"],
                name="application_open_idx",
                condition=models.Q(status__in=["submitted", "in_review", "correction"]),
            ),
            # The predicted date on a case page: the processing days of the service's latest
            # approved cases, read from the index alone.
            models.Index(
                fields=["service", "-decided_at"],
                include=["processing_working_days"],
                name="application_approved_idx",
                condition=models.Q(status="completed", processing_working_days__isnull=False),
            ),
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.reference


class ApplicationIdentity(models.Model):
    """The keyed blind index of each resident ID number in a case's answers: staff find a
    case by ID number without the number being stored in clear."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="identities")
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        db_table = "applications_applicationidentity"
        constraints = [models.UniqueConstraint(fields=["application", "digest"], name="identity_once_per_case")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.digest[:8]}…"


class ReferenceCounter(models.Model):
    """One row per day; reference numbers are the day and a sequence: 20261126-0001."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "applications_referencecounter"

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class CaseEvent(AppendOnly):
    """Append-only history of a case: who did what, when, from which status to which."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    stage_name_zh = models.CharField(max_length=100, blank=True)
    stage_name_en = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        db_table = "applications_caseevent"
        ordering = ["at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {self.at}"


class CorrectionRequest(models.Model):
    """A request to the citizen to fix listed items (补正). While it is open the case waits
    for the citizen and its deadline clock stops."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="corrections")
    step_id = models.PositiveBigIntegerField(help_text="The step that asked.")
    items = models.JSONField(_("items to fix"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    paused_working_days = models.PositiveSmallIntegerField(default=0)
    citizen_comment = models.TextField(blank=True)

    class Meta:
        db_table = "applications_correctionrequest"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(resolved_at__isnull=True), name="one_open_correction"
            )
        ]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")

    def __str__(self) -> str:
        return f"{self.application_id}: {len(self.items)} items"


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
    # For display, set by selectors.steps_with_deadline_state (a DeadlineState value).
    deadline_state: str
    deadline_label: str

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


class Rating(models.Model):
    """The citizen's rating of a finished case (好差评), one per case."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField(_("rating"))
    tags = models.JSONField(default=list)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_rating"
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5")
        ]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.score}"


class FollowUp(models.Model):
    """A bad rating opens one: the department answers the citizen by a deadline."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="follow_up")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="follow_ups")
    due_date = models.DateField()
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_followup"
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["department", "replied_at", "due_date"], name="follow_up_queue_idx")]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.rating_id} → {self.department_id}"
