from django.db import models
from django.utils.translation import gettext_lazy as _


class StepStatus(models.TextChoices):
    OPEN = "open", _("Waiting for decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Closed")


# Which steps each staff role works on, within its own department.
STEP_ROLES_FOR_STAFF_ROLE = {
    "clerk": ("clerk",),
    "reviewer": ("reviewer",),
    "dept_admin": ("clerk", "reviewer"),
}


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
