from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value) -> str:
    """A share as "92.5%", or a dash when there was nothing to divide."""
    return "–" if value is None else f"{value:g}%"


@register.filter
def none_dash(value) -> str:
    return "–" if value is None else value


@register.filter
def published(value, smallest: int) -> str:
    """A public count, or "fewer than five" where it was withheld."""
    return _("fewer than %(count)s") % {"count": smallest} if value is None else value
