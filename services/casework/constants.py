from django.db import models
from django.utils.translation import gettext_lazy as _


class StepStatus(models.TextChoices):
    OPEN = "open", _("Waiting for decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Closed")
    RETURNED = "returned", _("Sent back to the previous stage")


# Which steps each staff role works on, within its own department.
STEP_ROLES_FOR_STAFF_ROLE = {
    "clerk": ("clerk",),
    "reviewer": ("reviewer",),
    "dept_admin": ("clerk", "reviewer"),
}


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    CORRECTION = "correction", _("Request a correction")
    RETURN = "return", _("Return to the previous stage")


class DeadlineState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    PAUSED = "paused", _("Clock stopped")


# A step is "due soon" once this share of its working days is used.
DUE_SOON_SHARE = 0.7

ROUTE_TASK = "casework.route_case"
CHECK_TASK = "casework.run_check"
ESCALATE_TASK = "casework.escalate_overdue"
LICENCE_TASK = "records.issue_licence"
