from celery import shared_task

from services.monitoring.actions import monitoring_evaluate


@shared_task(name="monitoring.evaluate", ignore_result=True)
def evaluate() -> int:
    return len(monitoring_evaluate())
