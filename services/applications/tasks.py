from celery import shared_task

from services.applications import actions


@shared_task(name="applications.drafts_sweep", acks_late=True, ignore_result=True)
def drafts_sweep() -> tuple[int, int]:
    """Remind of drafts about to go, delete the expired ones (beat, daily)."""
    return actions.drafts_sweep()
