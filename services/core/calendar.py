"""The official holiday calendar as system administrators maintain it: each year's
arrangement (public holidays and make-up working days) entered from the State Council's
notice overrides the chinesecalendar package, which stays the default for the years it knows.

A change that turns a working day into a day off or back sends `calendar_changed` with each
changed day's former meaning, inside the change's transaction: casework moves the deadlines
that cross it there and then (one change after the other, each counted against the calendar
as it was just before it; a rare act of an administrator, so a few thousand steps at most)."""

from datetime import date, timedelta

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from services.core.errors import InvalidInput
from services.core.models import CalendarDay
from services.core.workdays import calendar_known, entered_days_changed, is_working_day

# Sent with `changed`: {day (ISO): whether it was a working day before}. Casework listens.
calendar_changed = Signal()
# An arrangement names a few weeks at most; a longer range is a typing mistake.
MOST_DAYS_AT_ONCE = 31


def calendar_days_enter(*, first: date, last: date | None = None, working: bool, name: str) -> list[CalendarDay]:
    """Enter (or correct) the days from `first` to `last` as public holidays or make-up
    working days of one occasion."""
    last = last or first
    if last < first:
        raise InvalidInput(_("The last day is before the first."), errors={"last": [_("Before the first day.")]})
    if (last - first).days >= MOST_DAYS_AT_ONCE:
        raise InvalidInput(
            _("Enter at most %(days)s days at once.") % {"days": MOST_DAYS_AT_ONCE},
            errors={"last": [_("Too many days at once.")]},
        )
    name = (name or "").strip()[:40]
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    with transaction.atomic():
        _one_change_at_a_time()
        before = {day: is_working_day(day) for day in days}
        entered = [
            CalendarDay.objects.update_or_create(day=day, defaults={"working": working, "name": name})[0]
            for day in days
        ]
        _changed(before)
    return entered


def calendar_days_remove(*, days: list[date]) -> int:
    """Remove entered days: each counts again as the package says (or as a weekday or weekend
    day in a year it does not know)."""
    with transaction.atomic():
        _one_change_at_a_time()
        before = {day: is_working_day(day) for day in days}
        removed = CalendarDay.objects.filter(day__in=days).delete()[0]
        _changed(before)
    return removed


def _one_change_at_a_time() -> None:
    """Two administrators' changes at once would each count the deadlines against a calendar
    without the other's change."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE core_calendarday IN SHARE ROW EXCLUSIVE MODE")


def _changed(before: dict[date, bool]) -> None:
    entered_days_changed()
    transaction.on_commit(entered_days_changed)  # other processes, once it is visible to them
    changed = {day.isoformat(): was for day, was in before.items() if is_working_day(day) != was}
    if changed:
        calendar_changed.send(sender=CalendarDay, changed=changed)


def calendar_missing_year(*, today: date | None = None) -> int | None:
    """From October, next year while its arrangement is neither in the package nor entered."""
    today = today or timezone.localdate()
    if today.month < 10:
        return None
    return None if calendar_known(today.year + 1) else today.year + 1
