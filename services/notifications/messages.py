"""Notifications in the reader's language."""

from django.utils.translation import gettext as _

from services.core.i18n import current_is_english
from services.notifications.constants import NotificationKind


def notification_text(notification) -> str:
    p = dict(notification.params)
    if "step_zh" in p:
        p["step"] = p["step_en"] if current_is_english() else p["step_zh"]
    if notification.kind == NotificationKind.STEP_OVERDUE:
        return _("Step “%(step)s” of case %(reference)s is overdue (due %(due)s).") % p
    if notification.kind == NotificationKind.STEP_ASSIGNED:
        return _("Case %(reference)s, step “%(step)s”, was assigned to you.") % p
    if notification.kind == NotificationKind.CORRECTION_REQUESTED:
        return _("Your application %(reference)s needs a correction before it can go on.") % p
    if notification.kind == NotificationKind.CASE_DECIDED:
        return _("Your application %(reference)s was decided.") % p
    return notification.get_kind_display()
