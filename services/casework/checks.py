"""Automatic checks (registered by name in catalog.constants.AutomaticCheck). Each takes the
application's answers and says approve, reject or hand over to a person, with a reason the
history records. `step_check_run` runs a step's check on its department's queue (the Celery
task `casework.run_check`)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from services.casework.constants import ApplicationStatus, EventKind, StepStatus
from services.casework.decisions import step_approve, step_reject
from services.casework.history import event_record
from services.casework.steps import step_locked
from services.catalog.constants import AutomaticCheck
from services.core.errors import NotFound

APPROVE, REJECT, HANDOVER = "approve", "reject", "handover"

# Monthly household income per person at or under which public rental housing is granted
# without further review (yuan), and over which the case goes to a reviewer.
HOUSING_INCOME_LIMIT_PER_PERSON = 3000


@dataclass(frozen=True)
class CheckResult:
    outcome: str
    reason: str


def _birth_date(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (TypeError, ValueError, IndexError):
        return None


def applicant_adult(answers: dict, today: date) -> CheckResult:
    born = _birth_date(answers.get("applicant_id_number") or answers.get("id_number") or "")
    if born is None:
        return CheckResult(HANDOVER, _("No resident ID number to read the date of birth from."))
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age >= 18:
        return CheckResult(APPROVE, _("The applicant is %(age)d years old.") % {"age": age})
    return CheckResult(REJECT, _("The applicant is %(age)d years old; the service is for adults.") % {"age": age})


def housing_income_limit(answers: dict, today: date) -> CheckResult:
    try:
        size = int(answers["household_size"])
        income = int(answers["monthly_income"])
    except (KeyError, TypeError, ValueError):
        return CheckResult(HANDOVER, _("Household size or income is missing: a reviewer must check."))
    per_person = income / max(size, 1)
    if per_person <= HOUSING_INCOME_LIMIT_PER_PERSON:
        return CheckResult(
            APPROVE, _("Income per person %(income).0f yuan is within the limit.") % {"income": per_person}
        )
    return CheckResult(
        HANDOVER,
        _("Income per person %(income).0f yuan is over the limit of %(limit)d: a reviewer decides.")
        % {"income": per_person, "limit": HOUSING_INCOME_LIMIT_PER_PERSON},
    )


# By name: a step stores the name as text (AutomaticCheck is a str enum).
CHECKS: dict[str, Callable[[dict, date], CheckResult]] = {
    AutomaticCheck.APPLICANT_ADULT: applicant_adult,
    AutomaticCheck.HOUSING_INCOME_LIMIT: housing_income_limit,
}


def check_run(name: str, answers: dict) -> CheckResult:
    check = CHECKS.get(name)
    if check is None:
        return CheckResult(
            HANDOVER, _("The automatic check “%(name)s” is not known: a person decides.") % {"name": name}
        )
    return check(answers, timezone.localdate())


def step_check_run(*, step_id: int) -> str:
    """Run a step's automatic check; approve, reject, or hand the step to a person. A step
    already decided or handed over is left alone, so a repeated message does nothing."""
    with transaction.atomic():
        try:
            application, step = step_locked(step_id)
        except NotFound:
            return "missing"
        if step.status != StepStatus.OPEN or not step.automatic_check:
            return "done"
        if application.status != ApplicationStatus.IN_REVIEW:
            # Waiting for the citizen: the check runs again when the correction comes.
            return "waiting"
        result = check_run(step.automatic_check, application.answers)
        event_record(application=application, kind=EventKind.CHECK_DONE, department=step.department, note=result.reason)
        # The check has spoken: from now on the step is an ordinary one. Handed over, it
        # appears in the department queue for a person to decide.
        step.automatic_check = ""
        step.save(update_fields=["automatic_check"])
        if result.outcome == APPROVE:
            step_approve(application=application, step=step, user=None, reason=result.reason)
        elif result.outcome == REJECT:
            step_reject(application=application, step=step, user=None, reason=result.reason)
        return result.outcome
