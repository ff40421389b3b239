"""The warning administrators see from October while next year's official holiday calendar
is neither in the package nor entered: deadlines would then count weekends only."""

from django import template

from services.core.calendar import calendar_missing_year

register = template.Library()


@register.inclusion_tag("includes/calendar_missing.html")
def calendar_missing_notice(user) -> dict:
    administers = bool(user.is_authenticated and (user.is_superuser or getattr(user, "is_department_admin", False)))
    return {"year": calendar_missing_year() if administers else None, "sysadmin": user.is_superuser}
