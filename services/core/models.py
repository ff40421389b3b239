from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """A row of an append-only table was about to be changed or deleted."""


class AppendOnly(models.Model):
    """A table whose rows are written once, then never changed or deleted: the case history
    and the data-access log. The database refuses too (triggers, records migration 0005)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} rows are append-only")


class OutboxMessage(models.Model):
    """Work that a committed state change must cause. Written in the same transaction as the
    change; published to the broker after commit; marked done by the task that did the work.
    The broker may lose or repeat a message: the sweep re-publishes what is not done, and the
    tasks are idempotent."""

    task_name = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    queue = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The request that caused the work (core.tracing): its task logs under the same id,
    # however late the sweep publishes it.
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="outbox_pending_idx", condition=models.Q(done_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}({self.kwargs}) -> {self.queue}"


class CalendarDay(models.Model):
    """A day of the official holiday arrangement (the State Council's annual notice), entered
    by a system administrator: it overrides the chinesecalendar package for that day, so that
    a year the package does not know yet, or a late correction, counts right. Written through
    `core.calendar`, which moves the deadlines that cross a changed day."""

    day = models.DateField(_("day"), unique=True)
    working = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: a make-up working day (调休上班), e.g. a Sunday worked. Not ticked: a public holiday."),
    )
    name = models.CharField(_("occasion"), max_length=40, help_text=_("For example 春节 (Spring Festival)."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("official calendar day")
        verbose_name_plural = _("official calendar days")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"
