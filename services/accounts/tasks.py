from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from services.accounts.tokens import tokens_prune


@shared_task(name="accounts.prune", ignore_result=True)
def prune() -> dict[str, int]:
    """Expired API tokens and expired sessions, once a day: neither is ever accepted again."""
    sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"tokens": tokens_prune(), "sessions": sessions}
