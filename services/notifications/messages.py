"""Notifications in the reader's language."""

from django.conf import settings
from django.utils.translation import gettext as _

from services.core.i18n import localized_value
from services.notifications.constants import NotificationKind
from services.notifications.models import Channel, DeliveryStatus


def notification_text(notification) -> str:
    p = dict(notification.params)
    if "step_zh" in p:
        p["step"] = localized_value(p, "step")
    if notification.kind == NotificationKind.DEADLINE_MOVED:
        return _("The official holiday calendar changed: step “%(step)s” of case %(reference)s is now due %(due)s.") % p
    if notification.kind == NotificationKind.STEP_OVERDUE:
        return _("Step “%(step)s” of case %(reference)s is overdue (due %(due)s).") % p
    if notification.kind == NotificationKind.STEP_ASSIGNED:
        return _("Case %(reference)s, step “%(step)s”, was assigned to you.") % p
    if notification.kind == NotificationKind.CORRECTION_REQUESTED:
        return _("Your application %(reference)s needs a correction before it can go on.") % p
    if notification.kind == NotificationKind.ATTRIBUTE_DISPUTED:
        return _("A citizen reports that a value from %(registry)s is wrong. Check the record.") % {
            "registry": localized_value(p, "registry")
        }
    if notification.kind == NotificationKind.LICENCE_ISSUED:
        return _("The e-licence %(number)s of your application %(reference)s is in your wallet.") % p
    if notification.kind == NotificationKind.DRAFT_EXPIRING:
        service = localized_value(p, "service")
        return _(
            "Your unfinished application for %(service)s will be deleted on %(date)s. Finish it or it is gone."
        ) % {
            "service": service,
            "date": p.get("date"),
        }
    if notification.kind == NotificationKind.CASE_DECIDED:
        return _("Your application %(reference)s was decided.") % p
    if notification.kind == NotificationKind.FOLLOW_UP_OPENED:
        return _("Case %(reference)s was rated %(score)s out of 5: reply to the applicant by %(due)s.") % p
    if notification.kind == NotificationKind.FOLLOW_UP_REPLIED:
        return _("The department replied to your rating of application %(reference)s.") % p
    if notification.kind == NotificationKind.SECURITY_ALERT:
        return _("Security alert: %(rule)s (%(subject)s, %(count)s times). Look at the evidence and answer it.") % {
            "rule": localized_value(p, "rule"),
            "subject": p.get("subject", ""),
            "count": p.get("count", ""),
        }
    return notification.get_kind_display()


# Outside channels -------------------------------------------------------------------------
# Email and text messages are written when they are sent, in the recipient's language. The
# portal keeps no language per person yet, so that is Chinese, its default language.

RECIPIENT_LANGUAGE = "zh-hans"


def email_subject(notification) -> str:
    return str(notification.get_kind_display())


def email_body(notification) -> str:
    lines = [
        notification_text(notification),
        _("Sign in to %(portal)s to see the details.") % {"portal": settings.PORTAL_NAME},
    ]
    if notification.link.startswith("/"):
        # Only the portal's own pages: a link in an email is where phishing starts.
        lines.append(settings.PORTAL_PUBLIC_URL.rstrip("/") + notification.link)
    lines.append(_("This message was sent automatically; please do not reply to it."))
    return "\n\n".join(lines)


def sms_body(notification) -> str:
    """Short: the notification's sentence after the sender's name (the signature that text
    messages in China start with)."""
    return _("[%(portal)s] %(text)s") % {"portal": settings.PORTAL_NAME, "text": notification_text(notification)}


def delivery_status_text(delivery) -> str:
    """What happened to one email or text message, for its recipient."""
    texts = {
        (Channel.EMAIL, DeliveryStatus.PENDING): _("Email waiting to be sent"),
        (Channel.EMAIL, DeliveryStatus.SENT): _("Email sent"),
        (Channel.EMAIL, DeliveryStatus.FAILED): _("Email could not be sent"),
        (Channel.SMS, DeliveryStatus.PENDING): _("Text message waiting to be sent"),
        (Channel.SMS, DeliveryStatus.SENT): _("Text message sent"),
        (Channel.SMS, DeliveryStatus.DELIVERED): _("Text message delivered to your phone"),
        (Channel.SMS, DeliveryStatus.FAILED): _("Text message could not be sent"),
    }
    return texts.get((delivery.channel, delivery.status), f"{delivery.channel}: {delivery.status}")
