from datetime import date

from services.core import workdays
from services.core.workdays import add_working_days, is_working_day, working_days_back, working_days_between


def test_national_day_holiday_is_not_a_working_day():
    assert not is_working_day(date(2026, 10, 1))
    assert not is_working_day(date(2026, 10, 7))


def test_make_up_workday_on_a_weekend_counts():
    # 2026-10-10 is a Saturday worked in exchange for the National Day holiday.
    assert date(2026, 10, 10).weekday() == 5
    assert is_working_day(date(2026, 10, 10))


def test_five_working_days_from_the_eve_of_national_day():
    # 30 Sept (Wed) +5: 8 Oct, 9 Oct, 10 Oct (make-up Saturday), 12 Oct, 13 Oct.
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_one_working_day_from_friday_is_monday():
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)


def test_working_days_between_counts_the_end_not_the_start():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == 0


def test_a_year_the_calendar_does_not_know_counts_only_weekends_and_warns(caplog):
    workdays._warn_calendar_missing.cache_clear()
    # Never a later due date than the official calendar would give: holidays only add days off.
    assert is_working_day(date(2099, 1, 5))  # a Monday
    assert not is_working_day(date(2099, 1, 3))  # a Saturday
    assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)
    assert caplog.text.count("calendar for 2099") == 1  # warned once, not on every day counted


def test_working_days_back_skips_the_holiday():
    # Up to 2 working days before 9 October: 8 and 9 October; 30 September is the third.
    assert working_days_back(date(2026, 10, 9), 2) == date(2026, 9, 30)
