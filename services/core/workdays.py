"""Working days in China: weekends and official public holidays are off, make-up workdays
(调休) are on. The calendar comes from the chinesecalendar package, which follows the State
Council's annual notices; a year it does not know yet is an error, never a guess."""

from datetime import date, timedelta

import chinese_calendar

from services.core.errors import PortalError


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise PortalError(f"The official calendar for {day.year} is not available yet.") from exc


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
