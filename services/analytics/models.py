"""Summary tables. They hold counts and sums per service and month (the calendar month in
the portal's time zone), and histograms of working days, from which means and percentiles
come without reading a single case. `actions.summary_refresh` rebuilds them; nothing else
writes here."""

from django.db import models

from services.accounts.models import Department
from services.catalog.models import Service, StageStep


class ServiceMonth(models.Model):
    """One service's delivery in one month, for one department. Each count is dated by its own
    event: `received` by submission, the decision counts by the decision, ratings when given,
    follow-ups by their due date.

    The case figures belong to the service's lead department, which answers for the case as
    a whole; a follow-up belongs to the department that must answer it (the one that decided
    last), so a service may have a second row with only follow-ups."""

    month = models.DateField(help_text="The first day of the month.")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    received = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    # Decided cases that were sent back to the citizen for a correction at least once.
    corrected = models.PositiveIntegerField(default=0)
    processing_days = models.PositiveBigIntegerField(default=0, help_text="Sum over the decided cases.")
    # Materials of the month's applications met from the wallet (a trip saved), and files
    # the citizens uploaded for the others.
    materials_reused = models.PositiveIntegerField(default=0)
    uploads = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_points = models.PositiveIntegerField(default=0)
    bad_ratings = models.PositiveIntegerField(default=0)
    follow_ups_due = models.PositiveIntegerField(default=0)
    follow_ups_in_time = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "service", "department"], name="service_month_once")]
        indexes = [models.Index(fields=["department", "month"], name="service_month_dept_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.service_id}"


class ProcessingDays(models.Model):
    """How many of a service's cases decided in a month took `days` working days."""

    month = models.DateField()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField()
    cases = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "service", "days"], name="processing_days_once")]
        indexes = [models.Index(fields=["department", "month"], name="processing_days_dept_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.service_id}: {self.days} d × {self.cases}"


class StepWait(models.Model):
    """How many steps of one workflow step, decided in a month, were open `days` working days
    (less the days the case waited for the citizen). Steps closed because the case ended
    elsewhere are not counted: nobody decided them."""

    month = models.DateField()
    stage_step = models.ForeignKey(StageStep, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    # The department that works on the step, not the service's lead department.
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField()
    steps = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "stage_step", "days"], name="step_wait_once")]
        indexes = [
            models.Index(fields=["department", "month"], name="step_wait_dept_idx"),
            models.Index(fields=["service", "month"], name="step_wait_service_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.stage_step_id}: {self.days} d × {self.steps}"


class Refresh(models.Model):
    """When the summary tables were last rebuilt, and from which month on."""

    finished_at = models.DateTimeField()
    since = models.DateField(null=True, blank=True, help_text="Empty: the whole history.")
    seconds = models.FloatField()

    class Meta:
        get_latest_by = "finished_at"
        indexes = [models.Index(fields=["finished_at"], name="refresh_finished_idx")]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M}"
