"""Working days in China: weekends and official public holidays are off, make-up workdays
(调休) are on. The calendar comes from the chinesecalendar package, which follows the State
Council's annual notices. For a year it does not know yet, see `is_working_day`."""

import functools
import logging
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone

logger = logging.getLogger(__name__)


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # The State Council publishes next year's holidays late in the year and the package
        # follows. Until then only weekends count as days off: a deadline computed so is never
        # later than the real one, so no citizen is promised more time than the law gives.
        _warn_calendar_missing(day.year)
        return day.weekday() < 5


@functools.cache
def _warn_calendar_missing(year: int) -> None:
    logger.warning(
        "The official holiday calendar for %s is not in chinesecalendar yet: counting weekends only. "
        "Upgrade the package when the State Council's notice is out.",
        year,
    )


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`. The day of application does not count,
    as in the promised deadlines of 政务服务: an application on a Wednesday with a 1-day
    promise is due on Thursday (or the next working day)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def working_days_back(today: date, days: int) -> date:
    """The earliest date from which no more than `days` working days have passed by `today`
    (counted as in working_days_between: the first day does not count)."""
    current, counted = today, 0
    while True:
        counted += 1 if is_working_day(current) else 0
        if counted > days:
            return current
        current -= timedelta(days=1)


def start_of_day(day: date) -> datetime:
    """The moment `day` begins in the portal's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))
