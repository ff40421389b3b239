"""Punctuation that differs between the languages: Chinese uses 、 between names and a
full-width colon after a label."""

from django import template
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def names(items) -> str:
    """Names of objects (their `name`), joined as a list in the active language."""
    separator = pgettext("list separator", ", ")
    return separator.join(str(getattr(item, "name", item)) for item in items)


@register.simple_tag
def pair(label, value) -> str:
    """`label: value` with the active language's colon."""
    return pgettext("label and value", "%(label)s: %(value)s") % {"label": label, "value": value}
