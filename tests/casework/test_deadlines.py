"""Step deadlines in Chinese working days, the clock stopped during a correction, and the
escalation sweep."""

from datetime import date

import pytest
import time_machine

from services.casework import citizen as case_citizen
from services.casework import claims, deadlines
from services.casework.constants import ApplicationStatus, DeadlineState, EventKind
from services.casework.models import CaseEvent, CorrectionRequest, Step
from services.catalog.models import StageStep
from services.notifications.models import Notification
from tests.casework.helpers import decide, open_steps, reviewer_of, submit
from tests.factories import CitizenFactory, make_service, staff_of

pytestmark = pytest.mark.django_db

# Noon in Beijing, so that the local date is the one named.
EVE_OF_NATIONAL_DAY = "2026-09-30 12:00 +08:00"


def test_five_working_days_from_the_eve_of_national_day():
    due_soon_on, due_date = deadlines.step_deadline(start=date(2026, 9, 30), days=5)
    # 1-7 October are the holiday; Saturday 10 October is a make-up workday.
    assert due_date == date(2026, 10, 13)
    assert due_soon_on == date(2026, 10, 12)  # 4 of 5 working days (70% rounded up)


def test_a_step_opened_on_the_eve_of_national_day_is_due_after_the_holiday(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]], promised_days=10)
    StageStep.objects.update(days=5)
    with time_machine.travel(EVE_OF_NATIONAL_DAY, tick=False):
        application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    assert step.started_on == date(2026, 9, 30)
    assert step.due_date == date(2026, 10, 13)
    # The case's promise: 10 working days -> 8,9,10,12,13,14,15,16,19,20 October.
    assert application.due_date == date(2026, 10, 20)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 10, 9), DeadlineState.ON_TRACK),
        (date(2026, 10, 12), DeadlineState.DUE_SOON),
        (date(2026, 10, 13), DeadlineState.DUE_SOON),
        (date(2026, 10, 14), DeadlineState.OVERDUE),
    ],
)
def test_deadline_state_follows_the_working_days_used(today, state):
    step = Step(due_soon_on=date(2026, 10, 12), due_date=date(2026, 10, 13))
    assert deadlines.deadline_state(step=step, today=today) == state
    assert deadlines.deadline_state(step=step, today=today, paused=True) == DeadlineState.PAUSED


def test_the_clock_stops_while_the_citizen_corrects(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]], promised_days=10)
    StageStep.objects.update(days=5)
    citizen = CitizenFactory()
    reviewer = reviewer_of("psb")
    with time_machine.travel("2026-11-02 10:00 +08:00", tick=False):  # a Monday
        application = submit(citizen, service, django_capture_on_commit_callbacks)
        (step,) = open_steps(application)
        assert step.due_date == date(2026, 11, 9)
        decide(step, "correction", django_capture_on_commit_callbacks, user=reviewer, items=["户口簿页面不清晰"])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION

    # While waiting, the step cannot be decided and is never escalated.
    with time_machine.travel("2026-11-20 10:00 +08:00", tick=False):
        assert deadlines.steps_escalate_overdue() == 0
    # The citizen answers on Thursday 5 November: 3 working days with the clock stopped.
    with time_machine.travel("2026-11-05 16:00 +08:00", tick=False):
        case_citizen.case_correction_submit(
            application_id=application.pk, citizen=citizen, answers={}, comment="已补正"
        )
    step.refresh_from_db()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert step.status == "open"
    assert step.due_date == date(2026, 11, 12)  # 9 November + 3 working days
    assert application.due_date == date(2026, 11, 19)  # 16 November + 3 working days
    correction = CorrectionRequest.objects.get(application=application)
    assert correction.paused_working_days == 3


def test_escalation_notifies_the_department_admin_and_assignee_once(django_capture_on_commit_callbacks):
    from services.accounts.constants import StaffRole

    service = make_service(stages=[["psb"]])
    StageStep.objects.update(days=2)
    admin = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    reviewer = reviewer_of("psb")
    with time_machine.travel("2026-11-02 10:00 +08:00", tick=False):
        application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
        (step,) = open_steps(application)
        claims.step_claim(step_id=step.pk, user=reviewer)
    with time_machine.travel("2026-11-04 10:00 +08:00", tick=False):  # due today: not overdue yet
        assert deadlines.steps_escalate_overdue() == 0
    with time_machine.travel("2026-11-05 10:00 +08:00", tick=False):
        assert deadlines.steps_escalate_overdue() == 1
        assert deadlines.steps_escalate_overdue() == 0
    recipients = set(Notification.objects.filter(kind="step_overdue").values_list("recipient_id", flat=True))
    assert recipients == {admin.pk, reviewer.pk}
    assert CaseEvent.objects.filter(application=application, kind=EventKind.ESCALATED).count() == 1
