"""The official holiday calendar as system administrators maintain it: a year's arrangement
entered in the admin overrides the chinesecalendar package (which knows nothing after 2026),
moves the deadlines that cross the changed days with a history entry and a word to whoever
holds the step; removing an entry gives the package's view back; from October the
administrators are warned while next year is missing."""

from datetime import date

import pytest
import time_machine
from django.test import Client

from services.casework.constants import EventKind
from services.casework.models import CaseEvent
from services.catalog.models import StageStep
from services.core.calendar import calendar_days_enter, calendar_days_remove, calendar_missing_year
from services.core.models import CalendarDay
from services.core.workdays import add_working_days, is_working_day
from services.notifications.models import Notification
from tests.casework.helpers import open_steps, reviewer_of, submit
from tests.factories import CitizenFactory, StaffFactory, make_service, staff_of

pytestmark = pytest.mark.django_db

# Spring Festival 2027 (an arrangement as the State Council's notice gives one): Wednesday 10
# to Tuesday 16 February off, Saturday 20 February worked instead.
HOLIDAY = (date(2027, 2, 10), date(2027, 2, 16))
MAKE_UP_SATURDAY = date(2027, 2, 20)


def _enter_spring_festival(capture) -> None:
    with capture(execute=True):
        calendar_days_enter(first=HOLIDAY[0], last=HOLIDAY[1], working=False, name="春节")
        calendar_days_enter(first=MAKE_UP_SATURDAY, working=True, name="春节调休")


def test_entering_the_2027_spring_festival_moves_an_open_step_and_writes_the_history(
    django_capture_on_commit_callbacks,
):
    service = make_service(stages=[["psb"]], promised_days=10)
    StageStep.objects.update(days=5)
    with time_machine.travel("2027-02-08 10:00 +08:00", tick=False):  # a Monday
        application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
        (step,) = open_steps(application)
        # Not known yet: weekends only. 9-12 February, then Monday 15.
        assert step.due_date == date(2027, 2, 15)
        assert application.due_date == date(2027, 2, 22)
        reviewer = reviewer_of("psb")

        _enter_spring_festival(django_capture_on_commit_callbacks)

    step.refresh_from_db()
    application.refresh_from_db()
    # Tuesday 9, then Wednesday 17 to Friday 19 and the make-up Saturday 20.
    assert step.due_date == date(2027, 2, 20)
    assert step.due_soon_on == date(2027, 2, 19)  # 4 of 5 working days
    # The case's 10 days: 9, 17, 18, 19, 20, 22, 23, 24, 25, 26 February.
    assert application.due_date == date(2027, 2, 26)
    moves = CaseEvent.objects.filter(application=application, kind=EventKind.DEADLINE_MOVED)
    # Two changes (the holiday, then the make-up Saturday), each in the history.
    assert [(event.department_id is not None, event.note[-23:]) for event in moves.order_by("pk")] == [
        (True, "2027-02-15 → 2027-02-22"),
        (False, "2027-02-22 → 2027-03-01"),
        (True, "2027-02-22 → 2027-02-20"),
        (False, "2027-03-01 → 2027-02-26"),
    ]
    told = Notification.objects.filter(kind="deadline_moved").order_by("pk")
    assert [(n.recipient, n.params["due"]) for n in told] == [(reviewer, "2027-02-22"), (reviewer, "2027-02-20")]
    # Entered again, the same arrangement changes nothing and moves nothing.
    _enter_spring_festival(django_capture_on_commit_callbacks)
    assert moves.count() == 4


def test_a_make_up_sunday_counts_as_a_working_day(django_capture_on_commit_callbacks):
    sunday = date(2027, 2, 7)
    assert not is_working_day(sunday)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_days_enter(first=sunday, working=True, name="春节调休")
    assert is_working_day(sunday)
    assert add_working_days(date(2027, 2, 5), 1) == sunday  # Friday, then the Sunday worked


def test_removing_an_entry_gives_back_the_packages_view(django_capture_on_commit_callbacks):
    national_day = date(2026, 10, 1)  # a holiday the package knows
    with django_capture_on_commit_callbacks(execute=True):
        calendar_days_enter(first=national_day, working=True, name="更正")
    assert is_working_day(national_day)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_days_remove(days=[national_day])
    assert not is_working_day(national_day)
    assert not CalendarDay.objects.exists()


def test_a_step_that_does_not_cross_the_changed_days_keeps_its_deadline(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]], promised_days=3)
    StageStep.objects.update(days=3)
    with time_machine.travel("2027-01-11 10:00 +08:00", tick=False):
        application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
        (step,) = open_steps(application)
        due = step.due_date
        _enter_spring_festival(django_capture_on_commit_callbacks)
    step.refresh_from_db()
    assert step.due_date == due
    assert not CaseEvent.objects.filter(kind=EventKind.DEADLINE_MOVED).exists()


def test_from_october_administrators_are_warned_while_next_years_calendar_is_missing(
    django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "en"
    make_service(stages=[["psb"]])
    admin = staff_of("psb", "dept_admin")
    reviewer = reviewer_of("psb")
    pages = {}
    for name, user in {"admin": admin, "reviewer": reviewer}.items():
        pages[name] = Client(HTTP_ACCEPT_LANGUAGE="en")
        pages[name].force_login(user)
    warning = "The official holiday calendar for 2027 is not known yet"

    with time_machine.travel("2026-09-30 12:00 +08:00", tick=False):
        assert calendar_missing_year() is None
        assert warning not in pages["admin"].get("/workbench/").content.decode()
    with time_machine.travel("2026-10-08 12:00 +08:00", tick=False):
        assert calendar_missing_year() == 2027
        assert warning in pages["admin"].get("/workbench/").content.decode()
        assert warning not in pages["reviewer"].get("/workbench/").content.decode()
        _enter_spring_festival(django_capture_on_commit_callbacks)
        assert calendar_missing_year() is None
        assert warning not in pages["admin"].get("/workbench/").content.decode()


def test_a_system_administrator_enters_a_holiday_range_in_the_admin(django_capture_on_commit_callbacks):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(StaffFactory(is_staff=True, is_superuser=True))
    with time_machine.travel("2026-11-30 12:00 +08:00", tick=False):
        assert "not known yet" in client.get("/admin/").content.decode()
        refused = client.post(
            "/admin/core/calendarday/add/",
            {"day": "2027-02-16", "last": "2027-02-10", "working": "", "name": "春节"},
        )
        assert refused.status_code == 200 and "before the first" in refused.content.decode()
        assert not CalendarDay.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(
                "/admin/core/calendarday/add/",
                {"day": "2027-02-10", "last": "2027-02-16", "working": "", "name": "春节"},
            )
        assert done.status_code == 302
        assert CalendarDay.objects.filter(working=False, name="春节").count() == 7
        assert "not known yet" not in client.get("/admin/").content.decode()
