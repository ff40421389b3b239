"""Working days in China: weekends and official public holidays are off, make-up workdays
(调休) are on. A day a system administrator entered (`core.CalendarDay`, from the State
Council's notice) counts as entered; every other day as the chinesecalendar package says,
which follows the notices when it is upgraded. For a year neither knows, see `is_working_day`."""

import functools
import logging
import math
import time as monotonic_clock
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

logger = logging.getLogger(__name__)

# Every process keeps the entered days in memory; an entry bumps this version in the shared
# cache, and each process reloads within CALENDAR_CHECK_SECONDS of it.
CALENDAR_VERSION_KEY = "core:calendar:version"
_entered: dict = {"days": {}, "version": None, "checked_at": -math.inf}


def entered_days() -> dict[date, bool]:
    """The days a system administrator entered: day -> working."""
    now = monotonic_clock.monotonic()
    if now - _entered["checked_at"] < settings.CALENDAR_CHECK_SECONDS:
        return _entered["days"]
    version = cache.get(CALENDAR_VERSION_KEY, 0)
    if version != _entered["version"]:
        from services.core.models import CalendarDay

        try:
            _entered["days"] = dict(CalendarDay.objects.values_list("day", "working"))
        except DatabaseError:  # before the table exists (a migration computing a date)
            _entered["days"] = {}
        _entered["version"] = version
    _entered["checked_at"] = now
    return _entered["days"]


def entered_days_changed() -> None:
    """Every process (this one at once) reads the entered days again."""
    try:
        cache.incr(CALENDAR_VERSION_KEY)
    except ValueError:
        cache.set(CALENDAR_VERSION_KEY, 1, timeout=None)
    _entered["checked_at"] = -math.inf
    _entered["version"] = None


def calendar_known(year: int) -> bool:
    """Whether the year's official arrangement is known: in the package, or entered."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return any(day.year == year and not working for day, working in entered_days().items())


def package_says(day: date) -> bool | None:
    """The chinesecalendar package's view of a day (None: a year it does not know)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def is_working_day(day: date) -> bool:
    entered = entered_days().get(day)
    if entered is not None:
        return entered
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


WorkingDay = Callable[[date], bool]


def add_working_days(start: date, days: int, *, is_working: WorkingDay | None = None) -> date:
    """The date `days` working days after `start`. The day of application does not count,
    as in the promised deadlines of 政务服务: an application on a Wednesday with a 1-day
    promise is due on Thursday (or the next working day)."""
    if days < 0:
        raise ValueError("days must not be negative")
    is_working = is_working or is_working_day
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, *, is_working: WorkingDay | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    is_working = is_working or is_working_day
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working(current):
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
