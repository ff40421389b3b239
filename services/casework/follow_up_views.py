"""Follow-ups of bad ratings on the workbench: the open ones of the staff member's
departments, oldest due first, and one follow-up with the reply form. The reply form posts
plainly, and with htmx only its panel is replaced."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.casework import ratings, selectors
from services.core.errors import PortalError
from services.core.views import or_404, staff_required

FOLLOW_UP_LIST_LIMIT = 200


def _decorated(follow_ups, today=None) -> list:
    today = today or timezone.localdate()
    for follow_up in follow_ups:
        follow_up.overdue = selectors.follow_up_is_overdue(follow_up, today)
        follow_up.score_label = ratings.score_label(follow_up.rating.score)
        follow_up.tag_labels = ratings.tag_labels(follow_up.rating.tags)
    return follow_ups


@staff_required
def follow_up_list(request):
    follow_ups = list(selectors.follow_up_list_for_staff(user=request.user)[: FOLLOW_UP_LIST_LIMIT + 1])
    more = len(follow_ups) > FOLLOW_UP_LIST_LIMIT
    return render(
        request,
        "casework/follow_up_list.html",
        {"follow_ups": _decorated(follow_ups[:FOLLOW_UP_LIST_LIMIT]), "more": more, "limit": FOLLOW_UP_LIST_LIMIT},
    )


def _detail(request, pk: int, *, template: str = "casework/follow_up_detail.html", status: int = 200, **extra):
    follow_up = or_404(selectors.follow_up_get_for_staff, user=request.user, pk=pk)
    _decorated([follow_up])
    return render(request, template, {"follow_up": follow_up, "rating": follow_up.rating, **extra}, status=status)


@staff_required
def follow_up_detail(request, pk: int):
    return _detail(request, pk)


@staff_required
@require_POST
def follow_up_reply(request, pk: int):
    # follow_up_reply looks for the follow-up among the user's departments before it reads the
    # reply, and _detail answers its "not found" with a 404: staff of another department learn
    # nothing, not even that the reply was empty.
    fragment = "casework/_follow_up_reply.html"
    try:
        ratings.follow_up_reply(follow_up_id=pk, user=request.user, reply=request.POST.get("reply", ""))
    except PortalError as exc:
        extra = {"error": exc.message, "reply_text": request.POST.get("reply", "")}
        if request.htmx:
            return _detail(request, pk, template=fragment, status=exc.status, **extra)
        return _detail(request, pk, status=exc.status, **extra)
    if request.htmx:
        return _detail(request, pk, template=fragment, replied=True)
    messages.success(request, _("Your reply was sent to the applicant."))
    return redirect("casework:follow-up", pk=pk)
