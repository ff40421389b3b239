"""Celery tasks of the case: each takes ids, calls one idempotent action, and marks its
outbox message done."""

from celery import shared_task
from django.db import OperationalError

from services.casework.checks import step_check_run
from services.casework.deadlines import steps_escalate_overdue
from services.casework.licences import case_licence_issue
from services.casework.routing import case_route
from services.core.outbox import outbox_mark_done


@shared_task(
    name="casework.route_case",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
    ignore_result=True,
)
def route_case(application_id: int, outbox_id: int | None = None) -> str:
    result = case_route(application_id=application_id)
    outbox_mark_done(outbox_id=outbox_id)
    return result


@shared_task(
    name="casework.run_check",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
    ignore_result=True,
)
def run_check(step_id: int, outbox_id: int | None = None) -> str:
    """Runs on the queue of the step's department (the outbox names it)."""
    result = step_check_run(step_id=step_id)
    outbox_mark_done(outbox_id=outbox_id)
    return result


@shared_task(
    name="casework.issue_licence",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=8,
    ignore_result=True,
)
def issue_licence(application_id: int, outbox_id: int | None = None) -> str:
    """Runs on the issuing department's queue (the outbox names it)."""
    document = case_licence_issue(application_id=application_id)
    outbox_mark_done(outbox_id=outbox_id)
    return document.number if document else "nothing to issue"


@shared_task(name="casework.escalate_overdue", acks_late=True, ignore_result=True)
def escalate_overdue() -> int:
    return steps_escalate_overdue()
