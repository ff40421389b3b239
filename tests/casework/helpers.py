from services.accounts.constants import StaffRole
from services.casework import decisions, submission
from services.casework.models import Step
from tests.factories import VALID_ANSWERS, staff_of


def submit(citizen, service, capture, **kwargs):
    """Submit and run what the commit publishes (eager tasks), like the real relay does."""
    with capture(execute=True):
        application, _created = submission.application_submit(
            citizen=citizen, service_code=service.code, answers=dict(VALID_ANSWERS), **kwargs
        )
    application.refresh_from_db()
    return application


def reviewer_of(department_code: str):
    return staff_of(department_code, StaffRole.REVIEWER)


def decide(step: Step, decision: str, capture, reason: str = "", user=None, items=None):
    user = user or reviewer_of(step.department.code)
    with capture(execute=True):
        return decisions.step_decide(step_id=step.pk, user=user, decision=decision, reason=reason, items=items)


def open_steps(application) -> list[Step]:
    return list(Step.objects.filter(application=application, status="open").select_related("department").order_by("pk"))


def approve_all(application, users: dict, capture) -> None:
    """Approve stage after stage, each step by its department's clerk or reviewer in `users`."""
    for _ in range(6):
        steps = list(Step.objects.filter(application=application, status="open").select_related("department"))
        if not steps:
            return
        for step in steps:
            role = "clerk" if step.role == "clerk" else "reviewer"
            with capture(execute=True):
                decisions.step_decide(step_id=step.pk, user=users[f"{step.department.code}.{role}"], decision="approve")
