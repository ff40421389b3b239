from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    STEP_OVERDUE = "step_overdue", _("A step is overdue")
    STEP_ASSIGNED = "step_assigned", _("A step was assigned to you")
    CORRECTION_REQUESTED = "correction_requested", _("Your application needs a correction")
    CASE_DECIDED = "case_decided", _("Your application was decided")
    DRAFT_EXPIRING = "draft_expiring", _("A draft will be deleted soon")
    LICENCE_ISSUED = "licence_issued", _("An e-licence is in your wallet")
    ATTRIBUTE_DISPUTED = "attribute_disputed", _("A citizen reports an error in your registry")
    FOLLOW_UP_OPENED = "follow_up_opened", _("A bad rating needs your department's reply")
    FOLLOW_UP_REPLIED = "follow_up_replied", _("The department replied to your rating")
    SECURITY_ALERT = "security_alert", _("Security alert")
    DEADLINE_MOVED = "deadline_moved", _("A step's deadline moved with the official calendar")
