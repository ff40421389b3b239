from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("Being handled")
    COMPLETED = "completed", _("Approved")
    REJECTED = "rejected", _("Not approved")


# The only status changes there are. Anything else is a bug and is refused.
TRANSITIONS: dict[str, set[str]] = {
    ApplicationStatus.SUBMITTED: {ApplicationStatus.IN_REVIEW, ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED},
    ApplicationStatus.IN_REVIEW: {ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED},
    ApplicationStatus.COMPLETED: set(),
    ApplicationStatus.REJECTED: set(),
}

OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW)


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    STAGE_STARTED = "stage_started", _("Stage started")
    STEP_APPROVED = "step_approved", _("Step approved")
    STEP_REJECTED = "step_rejected", _("Step rejected")
    STEP_CANCELLED = "step_cancelled", _("Step closed")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


ROUTE_TASK = "casework.route_case"
