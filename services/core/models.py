from django.db import models


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
