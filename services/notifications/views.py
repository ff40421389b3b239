from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.core.views import or_404
from services.notifications import actions, selectors
from services.notifications.messages import delivery_status_text, notification_text
from services.notifications.templatetags.inbox import remember_unread_count

PAGE_SIZE = 30


def _inbox_context(request) -> dict:
    page = Paginator(selectors.notification_list_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    entries = [
        {
            "notification": n,
            "text": notification_text(n),
            "deliveries": [delivery_status_text(d) for d in n.deliveries.all()],
        }
        for n in page
    ]
    unread = selectors.notification_unread_count(user=request.user)
    remember_unread_count(request, unread)  # the header shows the same number without asking again
    return {"page": page, "entries": entries, "unread_count": unread}


@login_required
def inbox(request):
    return render(request, "notifications/inbox.html", _inbox_context(request))


@login_required
@require_POST
def inbox_mark_all_read(request):
    actions.notifications_mark_all_read(user=request.user)
    if request.htmx:
        # The list, and the header's count out of band.
        return render(request, "notifications/_inbox.html", {**_inbox_context(request), "oob_header": True})
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:inbox")


@login_required
def notification_open(request, pk: int):
    """Opening a notification marks it read and goes where it points."""
    notification = or_404(actions.notification_open, user=request.user, notification_id=pk)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:inbox")
