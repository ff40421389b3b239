from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    STEP_OVERDUE = "step_overdue", _("A step is overdue")
    STEP_ASSIGNED = "step_assigned", _("A step was assigned to you")
    CORRECTION_REQUESTED = "correction_requested", _("Your application needs a correction")
    CASE_DECIDED = "case_decided", _("Your application was decided")
