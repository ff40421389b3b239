"""The security pages: open alerts and their trend, one alert with its evidence (answered with
a note), and the audit trail, which reading is itself recorded."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from services.audit.constants import Action
from services.audit.trail import audit_record
from services.core.errors import PortalError
from services.core.views import or_404, staff_required
from services.monitoring import actions, selectors


def _security_admin(request) -> None:
    if not request.user.is_security_admin:
        raise PermissionDenied


@staff_required
def security_home(request):
    _security_admin(request)
    trend = selectors.alert_trend(days=30)
    labels = selectors.rule_labels()
    open_alerts = [(alert, labels.get(alert.rule, alert.rule)) for alert in selectors.alerts_open()[:100]]
    answered = [(alert, labels.get(alert.rule, alert.rule)) for alert in selectors.alerts_answered(days=30)[:50]]
    return render(
        request,
        "monitoring/security_home.html",
        {
            "open": open_alerts,
            "answered": answered,
            "trend": trend,
            "trend_total": sum(n for _, n in trend),
            "bars": _bars(trend),
            "first_day": trend[0][0],
            "last_day": trend[-1][0],
        },
    )


def _bars(trend) -> list[dict]:
    """The trend as SVG bars (attributes, not styles: the Content-Security-Policy allows no
    inline style), 10 units apart, at most 58 high."""
    peak = max([n for _, n in trend] + [1])
    bars = []
    for i, (day, count) in enumerate(trend):
        height = round(58 * count / peak, 1) if count else 0
        bars.append({"x": i * 10 + 1, "y": 60 - height, "height": height, "day": day, "count": count})
    return bars


@staff_required
def alert_detail(request, pk: int):
    _security_admin(request)
    alert, events = or_404(selectors.alert_get, pk=pk)
    error = None
    if request.method == "POST":
        try:
            actions.alert_acknowledge(
                alert_id=alert.pk, user=request.user, note=request.POST.get("note", ""), request=request
            )
        except PortalError as exc:
            error = exc
        else:
            messages.success(request, _("The alert is acknowledged."))
            return redirect("monitoring:alert", pk=alert.pk)
    audit_record(Action.AUDIT_READ, request=request, object_type="alert", object_id=alert.pk)
    return render(
        request,
        "monitoring/alert_detail.html",
        {
            "alert": alert,
            "events": events,
            "label": selectors.rule_labels().get(alert.rule, alert.rule),
            "error": error,
        },
        status=error.status if error else 200,
    )


@staff_required
def audit_trail(request):
    if not request.user.reads_audit_trail:
        raise PermissionDenied
    filters = {name: request.GET.get(name, "").strip()[:150] for name in ("action", "account", "address")}
    before = request.GET.get("before", "")
    events = selectors.audit_events(**filters, before_id=int(before) if before.isascii() and before.isdigit() else None)
    more = len(events) > selectors.PAGE
    events = events[: selectors.PAGE]
    audit_record(
        Action.AUDIT_READ, request=request, object_type="audit_trail", detail={k: v for k, v in filters.items() if v}
    )
    next_query = urlencode({**{k: v for k, v in filters.items() if v}, "before": events[-1].pk}) if more else ""
    return render(
        request,
        "monitoring/audit_trail.html",
        {"events": events, "filters": filters, "actions": Action.choices, "next_query": next_query},
    )
