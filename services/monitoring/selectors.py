from datetime import date, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from services.audit.models import AuditEvent
from services.core.errors import NotFound
from services.monitoring.models import Alert, AlertStatus
from services.monitoring.rules import rules

PAGE = 50


def rule_labels() -> dict[str, str]:
    return {rule.code: str(rule.label) for rule in rules()}


def alerts_open() -> QuerySet[Alert]:
    return Alert.objects.filter(status=AlertStatus.OPEN).order_by("-last_seen_at", "-pk")


def alerts_answered(*, days: int = 30) -> QuerySet[Alert]:
    since = timezone.now() - timedelta(days=days)
    return (
        Alert.objects.filter(status=AlertStatus.ACKNOWLEDGED, acknowledged_at__gte=since)
        .select_related("acknowledged_by")
        .order_by("-acknowledged_at", "-pk")
    )


def alert_trend(*, days: int = 30) -> list[tuple[date, int]]:
    """Alerts opened per day over the last `days` days, every day listed (zero too)."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    counts = dict(
        Alert.objects.filter(opened_at__date__gte=first)
        .annotate(day=TruncDate("opened_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [(first + timedelta(days=n), counts.get(first + timedelta(days=n), 0)) for n in range(days)]


def alert_get(*, pk: int) -> tuple[Alert, list[AuditEvent]]:
    """The alert and the audit events that make its case, the latest first."""
    alert = Alert.objects.select_related("acknowledged_by").filter(pk=pk).first()
    if alert is None:
        raise NotFound("no such alert")
    events = list(AuditEvent.objects.filter(pk__in=alert.evidence).order_by("-at", "-pk"))
    return alert, events


def audit_events(
    *, action: str = "", account: str = "", address: str = "", before_id: int | None = None
) -> list[AuditEvent]:
    """A page of the audit trail, the latest first, filtered; `before_id` pages back."""
    events = AuditEvent.objects.order_by("-pk")
    if action:
        events = events.filter(action=action)
    if account:
        events = events.filter(actor=account)
    if address:
        events = events.filter(address=address)
    if before_id is not None:
        events = events.filter(pk__lt=before_id)
    return list(events[: PAGE + 1])


def alerts_open_by_rule() -> dict[str, int]:
    """How many alerts are open, per rule (for the operators' metrics; one grouped query)."""
    rows = Alert.objects.filter(status=AlertStatus.OPEN).values("rule").annotate(open=Count("pk")).order_by()
    return {row["rule"]: row["open"] for row in rows}
