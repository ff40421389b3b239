"""The unread count in the header: one COUNT query per page, none for visitors."""

from django import template

from services.notifications.selectors import notification_unread_count

register = template.Library()

_CACHE_ATTRIBUTE = "_notifications_unread_count"


def remember_unread_count(request, count: int) -> None:
    """A view that has counted already hands the number to the header."""
    setattr(request, _CACHE_ATTRIBUTE, count)


@register.simple_tag(takes_context=True)
def inbox_unread_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, _CACHE_ATTRIBUTE):
        remember_unread_count(request, notification_unread_count(user=user))
    return getattr(request, _CACHE_ATTRIBUTE)
