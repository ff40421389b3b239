"""Ratings of decided cases (好差评) and the follow-ups a bad one opens.

A citizen rates a decided case once, on five levels, with tags and a comment. A rating of
BAD_RATING_MAX or less opens a follow-up for the department that decided the case last: its
administrators are told, a colleague replies by a deadline in working days, and the citizen
reads the reply on the case page. (What staff and citizens read of them is in `selectors`.)
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.accounts.selectors import department_admins, staff_department_ids
from services.casework.constants import BAD_RATING_MAX, DECIDED_STATUSES, DECISION_EVENT_KINDS, EventKind, RatingTag
from services.casework.history import event_record
from services.casework.models import Application, CaseEvent, FollowUp, Rating
from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.core.workdays import add_working_days
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind

COMMENT_MAX = 1000
REPLY_MAX = 2000
SCORES = (1, 2, 3, 4, 5)

# The five levels of 好差评, best first, as the national evaluation system names them.
SCORE_LABELS = {
    5: gettext_lazy("Very satisfied"),
    4: gettext_lazy("Satisfied"),
    3: gettext_lazy("Fairly satisfied"),
    2: gettext_lazy("Dissatisfied"),
    1: gettext_lazy("Very dissatisfied"),
}


def score_label(score: int) -> str:
    return str(SCORE_LABELS.get(score, score))


def tag_labels(tags) -> list[str]:
    """The labels of stored tags, in the reader's language (a tag no longer known is left out)."""
    return [str(RatingTag(tag).label) for tag in tags if tag in RatingTag.values]


def is_decided(application: Application) -> bool:
    """Approved or not approved: the case has its result and may be rated."""
    return application.status in DECIDED_STATUSES


def _rating_clean(*, score, tags, comment) -> tuple[int, list[str], str]:
    errors: dict[str, list[str]] = {}
    if isinstance(score, str) and score.strip().isascii() and score.strip().isdigit():
        score = int(score)
    elif isinstance(score, bool) or not isinstance(score, int):
        score = None
    if score not in SCORES:
        errors["score"] = [_("Choose one of the five levels, from 1 (very dissatisfied) to 5 (very satisfied).")]
    if tags is None:
        tags = []
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        errors["tags"] = [_("Choose the tags from the list.")]
        tags = []
    unknown = [tag for tag in tags if tag not in RatingTag.values]
    if unknown:
        errors["tags"] = [_("These tags are not in the list: %(tags)s.") % {"tags": ", ".join(unknown)}]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [
            _("Keep the comment to %(max)d characters (it has %(count)d).")
            % {"max": COMMENT_MAX, "count": len(comment)}
        ]
    if errors:
        messages = [m for field in errors.values() for m in field]
        raise InvalidInput(
            messages[0] if len(messages) == 1 else _("Some of the rating needs your attention."), errors=errors
        )
    return score, list(dict.fromkeys(tags)), comment


def follow_up_department_id(*, application: Application) -> int:
    """The department that decided the case last, read from the case history; the service's
    lead department when no department decided anything (every stage skipped)."""
    department_id = (
        CaseEvent.objects.filter(application=application, department__isnull=False, kind__in=DECISION_EVENT_KINDS)
        .order_by("-at", "-pk")
        .values_list("department_id", flat=True)
        .first()
    )
    return department_id or application.service.lead_department_id


def application_rate(*, application_id: int, citizen, score, tags, comment: str = "") -> Rating:
    """The owner rates a decided case (approved or not approved), once. A rating of
    BAD_RATING_MAX or less opens a follow-up for the department that decided last, due in
    FOLLOW_UP_WORKING_DAYS working days, and tells its administrators."""
    score, tags, comment = _rating_clean(score=score, tags=tags, comment=comment)
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("service")
            .filter(pk=application_id, citizen_id=getattr(citizen, "pk", None))
            .first()
        )
        if application is None or not getattr(citizen, "is_citizen", False):
            raise NotFound(_("No application with this reference number was found in your account."))
        if not is_decided(application):
            raise Conflict(
                _("You can rate this case when it is finished. It is %(status)s.")
                % {"status": application.get_status_display()},
                code="not_finished",
            )
        if Rating.objects.filter(application=application).exists():
            raise _already_rated()
        try:
            with transaction.atomic():
                rating = Rating.objects.create(application=application, score=score, tags=tags, comment=comment)
        except IntegrityError:
            # Two ratings of one case at once (where the row lock does not serialise them).
            raise _already_rated() from None
        event_record(application=application, kind=EventKind.RATED, actor=citizen)
        if score <= BAD_RATING_MAX:
            _follow_up_open(application=application, rating=rating)
    return rating


def _already_rated() -> Conflict:
    return Conflict(_("You have already rated this case. A case can be rated once."), code="already_rated")


def _follow_up_open(*, application: Application, rating: Rating) -> FollowUp:
    department_id = follow_up_department_id(application=application)
    follow_up = FollowUp.objects.create(
        rating=rating,
        department_id=department_id,
        due_date=add_working_days(timezone.localdate(), settings.FOLLOW_UP_WORKING_DAYS),
    )
    admins = department_admins(department_id=department_id)
    notify(
        recipients=admins,
        kind=NotificationKind.FOLLOW_UP_OPENED,
        params={"reference": application.reference, "score": rating.score, "due": follow_up.due_date.isoformat()},
        link=reverse("casework:follow-up", args=[follow_up.pk]),
    )
    return follow_up


def follow_up_not_found() -> NotFound:
    return NotFound(_("This follow-up does not exist or is not for your department."))


def follow_up_reply(*, follow_up_id: int, user, reply: str) -> FollowUp:
    """A staff member of the follow-up's department (any role there) answers the citizen,
    once. Staff of another department are told it does not exist."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_portal_staff", False)):
        raise Forbidden(_("Only department staff can reply to a rating."))
    reply = (reply or "").strip()
    with transaction.atomic():
        follow_up = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("rating__application__citizen", "replied_by")
            .filter(pk=follow_up_id, department_id__in=staff_department_ids(user=user))
            .first()
        )
        if follow_up is None:
            raise follow_up_not_found()
        if follow_up.replied_at is not None:
            raise Conflict(
                _("This follow-up was already answered by %(who)s.") % {"who": follow_up.replied_by},
                code="already_replied",
            )
        if not reply:
            raise InvalidInput(
                _("Write the reply to the applicant."), errors={"reply": [_("Write the reply to the applicant.")]}
            )
        if len(reply) > REPLY_MAX:
            message = _("Keep the reply to %(max)d characters (it has %(count)d).") % {
                "max": REPLY_MAX,
                "count": len(reply),
            }
            raise InvalidInput(message, errors={"reply": [message]})
        follow_up.reply, follow_up.replied_by, follow_up.replied_at = reply, user, timezone.now()
        follow_up.save(update_fields=["reply", "replied_by", "replied_at"])
        application = follow_up.rating.application
        notify(
            recipients=[application.citizen],
            kind=NotificationKind.FOLLOW_UP_REPLIED,
            params={"reference": application.reference},
            link=reverse("applications:detail", args=[application.reference]),
        )
    return follow_up
