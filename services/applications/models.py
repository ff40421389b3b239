from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Department
from services.applications.constants import ApplicationStatus, EventKind
from services.catalog.models import Service, WorkflowTemplate
from services.core.fields import ProtectedJSONField


class Application(models.Model):
    """A case, as submitted by a citizen. Casework adds its steps; the status here is the
    one the citizen sees."""

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
        constraints = [models.UniqueConstraint(fields=["application", "digest"], name="identity_once_per_case")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.digest[:8]}…"


class ReferenceCounter(models.Model):
    """One row per day; reference numbers are the day and a sequence: 20261126-0001."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class AppendOnlyError(RuntimeError):
    pass


class CaseEvent(models.Model):
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
        ordering = ["at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {self.at}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("case history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("case history is append-only")


class CorrectionRequest(models.Model):
    """A request to the citizen to fix listed items (补正). While it is open the case waits
    for the citizen and its deadline clock stops."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="corrections")
    step_id = models.PositiveBigIntegerField(help_text="The casework step that asked.")
    items = models.JSONField(_("items to fix"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    paused_working_days = models.PositiveSmallIntegerField(default=0)
    citizen_comment = models.TextField(blank=True)

    class Meta:
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


def upload_path(instance, filename: str) -> str:
    """Private storage, outside static files, under a name that tells nothing."""
    import uuid

    return f"uploads/{instance.owner_id}/{uuid.uuid4().hex}"


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


class Upload(models.Model):
    """A file a citizen gave for one material: first on a draft, then on the application."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads")
    draft = models.ForeignKey(Draft, on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="uploads"
    )
    material = models.ForeignKey("catalog.Material", on_delete=models.PROTECT, related_name="uploads")
    file = models.FileField(upload_to=upload_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")

    def __str__(self) -> str:
        return self.original_name


class Rating(models.Model):
    """The citizen's rating of a finished case (好差评), one per case."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField(_("rating"))
    tags = models.JSONField(default=list)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["department", "replied_at", "due_date"], name="follow_up_queue_idx")]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.rating_id} → {self.department_id}"
