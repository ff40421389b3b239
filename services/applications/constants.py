from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("Being handled")
    CORRECTION = "correction", _("Waiting for your correction")
    COMPLETED = "completed", _("Approved")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The only status changes there are. Anything else is a bug and is refused.
TRANSITIONS: dict[str, set[str]] = {
    ApplicationStatus.SUBMITTED: {
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.COMPLETED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    },
    ApplicationStatus.IN_REVIEW: {
        ApplicationStatus.CORRECTION,
        ApplicationStatus.COMPLETED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    },
    ApplicationStatus.CORRECTION: {
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    },
    ApplicationStatus.COMPLETED: set(),
    ApplicationStatus.REJECTED: set(),
    ApplicationStatus.WITHDRAWN: set(),
}

OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW, ApplicationStatus.CORRECTION)
# Decided by the departments: the case has its result (and may be rated).
DECIDED_STATUSES = (ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED)


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    STAGE_STARTED = "stage_started", _("Stage started")
    STEP_APPROVED = "step_approved", _("Step approved")
    STEP_REJECTED = "step_rejected", _("Step rejected")
    STEP_CANCELLED = "step_cancelled", _("Step closed")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    STAGE_SKIPPED = "stage_skipped", _("Stage skipped")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    CORRECTION_SUBMITTED = "correction_submitted", _("Correction submitted")
    RETURNED = "returned", _("Returned to the previous stage")
    CHECK_DONE = "check_done", _("Automatic check done")
    STEP_CLAIMED = "step_claimed", _("Step claimed")
    STEP_ASSIGNED = "step_assigned", _("Step assigned")
    NOTE_ADDED = "note_added", _("Internal note")
    ESCALATED = "escalated", _("Overdue step escalated")
    DATA_REVEALED = "data_revealed", _("Masked data revealed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    MATERIAL_ADDED = "material_added", _("Material added")
    RATED = "rated", _("Rated")


class RatingTag(models.TextChoices):
    """Reasons a citizen gives with a rating (好差评), good and bad."""

    FAST = "fast", _("Quick")
    CLEAR = "clear", _("Clear guidance")
    FRIENDLY = "friendly", _("Helpful staff")
    ONCE = "once", _("Done in one go")
    SLOW = "slow", _("Too slow")
    UNCLEAR = "unclear", _("Unclear what was needed")
    REPEAT = "repeat", _("Asked for the same thing again")
    UNHELPFUL = "unhelpful", _("Unhelpful")


# A rating at or below this opens a follow-up for the department.
BAD_RATING_MAX = 2


# History entries only staff see: how the back office organises itself.
INTERNAL_EVENT_KINDS = frozenset(
    {
        EventKind.STEP_CLAIMED,
        EventKind.STEP_ASSIGNED,
        EventKind.NOTE_ADDED,
        EventKind.ESCALATED,
        EventKind.DATA_REVEALED,
        EventKind.STAGE_SKIPPED,
    }
)


ROUTE_TASK = "casework.route_case"
