"""The case's vocabulary: its statuses and the only changes between them, the kinds of
history entry, the steps' statuses and deadline states, decisions, rating tags, and the
names of the Celery tasks that move a case."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("Being handled")
    CORRECTION = "correction", _("Waiting for your correction")
    # Stored (and answered by the API) as "completed": every stage approved.
    APPROVED = "completed", _("Approved")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The only status changes there are. Anything else is a bug and is refused.
TRANSITIONS: dict[str, set[str]] = {
    ApplicationStatus.SUBMITTED: {
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    },
    ApplicationStatus.IN_REVIEW: {
        ApplicationStatus.CORRECTION,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    },
    ApplicationStatus.CORRECTION: {
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    },
    ApplicationStatus.APPROVED: set(),
    ApplicationStatus.REJECTED: set(),
    ApplicationStatus.WITHDRAWN: set(),
}

OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW, ApplicationStatus.CORRECTION)
# Decided by the departments: the case has its result (and may be rated).
DECIDED_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    STAGE_STARTED = "stage_started", _("Stage started")
    STEP_APPROVED = "step_approved", _("Step approved")
    STEP_REJECTED = "step_rejected", _("Step rejected")
    # Stored as "step_cancelled": the case ended elsewhere, or went back a stage.
    STEP_CLOSED = "step_cancelled", _("Step closed without a decision")
    APPROVED = "completed", _("Case approved")
    REJECTED = "rejected", _("Case not approved")
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
    DEADLINE_MOVED = "deadline_moved", _("Deadline moved by the official calendar")


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

# History entries in which a department decided (a person or its automatic check). The last
# of them names the department a bad rating goes to; later entries with a department (a note,
# a reveal of masked data after the end) decide nothing.
DECISION_EVENT_KINDS = (EventKind.STEP_APPROVED, EventKind.STEP_REJECTED, EventKind.REJECTED, EventKind.CHECK_DONE)


class StepStatus(models.TextChoices):
    OPEN = "open", _("Waiting for decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # Stored as "cancelled": closed because the case ended elsewhere or went back a stage.
    CLOSED = "cancelled", _("Closed without a decision")
    RETURNED = "returned", _("Sent back to the previous stage")


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

# The Celery tasks that move a case (the outbox stores these names with each message).
ROUTE_TASK = "casework.route_case"
CHECK_TASK = "casework.run_check"
LICENCE_TASK = "casework.issue_licence"
