import hmac
import json
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from services.core.views import or_404
from services.notifications import actions, selectors
from services.notifications.messages import delivery_status_text, notification_text
from services.notifications.templatetags.inbox import remember_unread_count

# How old a signed receipt may be (seconds).
RECEIPT_SECONDS = 300

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


@csrf_exempt  # signed by the gateway instead: it holds no session
@require_POST
def sms_receipt(request):
    """The SMS gateway posts here what became of a message (HttpSmsBackend sends it the
    address). Signed with the shared secret like the portal's requests to it; a stale or
    repeated signature is refused, so a receipt cannot be replayed."""
    from services.notifications.backends import gateway_signature

    timestamp = request.headers.get("X-Timestamp", "")
    nonce = request.headers.get("X-Nonce", "")
    signature = request.headers.get("X-Signature", "")
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= RECEIPT_SECONDS
    expected = (
        gateway_signature(secret=settings.SMS_GATEWAY_SECRET, timestamp=timestamp, nonce=nonce, body=request.body)
        if settings.SMS_GATEWAY_SECRET
        else ""
    )
    if not (
        fresh
        and nonce
        and expected
        and request.headers.get("X-Key-Id", "") == settings.SMS_GATEWAY_KEY_ID
        and hmac.compare_digest(expected, signature)
    ):
        return JsonResponse(
            {"code": "bad_signature", "detail": "The receipt is not signed by the gateway."}, status=403
        )
    if not cache.add(f"sms-receipt-nonce:{nonce}", 1, RECEIPT_SECONDS * 2):
        return JsonResponse({"code": "replayed", "detail": "This receipt was already received."}, status=403)
    try:
        receipt = json.loads(request.body.decode())
        provider_id, state = str(receipt["message_id"]), receipt["status"]
        if state not in ("delivered", "failed"):
            raise ValueError(state)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return JsonResponse(
            {"code": "invalid_input", "detail": "Send message_id and status (delivered or failed)."}, status=400
        )
    actions.delivery_receipt(
        provider_id=provider_id, delivered=state == "delivered", error=str(receipt.get("error", ""))
    )
    return HttpResponse(status=204)
