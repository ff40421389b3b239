from django.db import models
from django.utils.translation import gettext_lazy as _


class StepStatus(models.TextChoices):
    OPEN = "open", _("Waiting for decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Closed")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
