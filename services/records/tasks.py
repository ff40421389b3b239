from celery import shared_task

from services.core.outbox import outbox_mark_done


@shared_task(
    bind=True,
    name="records.fetch",
    acks_late=True,
    ignore_result=True,
    max_retries=None,  # the action counts attempts against REGISTRY_MAX_ATTEMPTS
)
def fetch(self, fetch_id: int, outbox_id: int | None = None) -> str:
    """Runs on the registry department's queue (the outbox names it)."""
    from services.records.actions import RETRY, fetch_run

    status = fetch_run(fetch_id=fetch_id)
    if status == RETRY:
        # The attempt is counted in the database; the outbox sweep also re-publishes if this is lost.
        raise self.retry(countdown=min(2**self.request.retries * 5, 300))
    outbox_mark_done(outbox_id=outbox_id)
    return status
