from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from services.analytics import actions


@shared_task(
    name="analytics.refresh",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
)
def refresh() -> int | None:
    """Rebuild the recent months of the summary tables, where figures still change (the whole
    history the first time). None when another refresh was running."""
    done = actions.summary_refresh_recent(months=settings.ANALYTICS_REFRESH_MONTHS)
    return done.pk if done else None
