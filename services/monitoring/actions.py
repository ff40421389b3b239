"""Evaluating the rules (a beat task every minute) and answering alerts."""

import logging
from collections import defaultdict
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from services.accounts.selectors import security_admins
from services.audit.constants import Action
from services.audit.models import AuditEvent
from services.audit.trail import audit_record
from services.core.errors import NotFound, PortalError
from services.monitoring.models import Alert, AlertStatus
from services.monitoring.rules import Rule, rules
from services.notifications.actions import notify
from services.notifications.constants import NotificationKind

logger = logging.getLogger("services.security")

EVIDENCE_KEPT = 200
FIELDS = ("id", "at", "actor_id", "actor", "address", "detail")


def monitoring_evaluate(*, now: datetime | None = None) -> list[Alert]:
    """Every rule over its window of the audit trail; returns the alerts opened now (an open
    alert of the same incident grows instead of a new one: no alert storms)."""
    now = now or timezone.now()
    opened = []
    for rule in rules():
        start = now - rule.window
        events = AuditEvent.objects.filter(action__in=rule.actions, at__gt=start, at__lte=now)
        incidents: dict[str, list[dict]] = defaultdict(list)
        for row in events.order_by("-at", "-pk").values(*FIELDS):
            key = rule.key(row)
            if key is not None:
                incidents[key].append(row)
        for key, rows in incidents.items():
            alert = _incident(rule, key, rows, start)
            if alert is not None:
                opened.append(alert)
    return opened


def _incident(rule: Rule, key: str, rows: list[dict], start: datetime) -> Alert | None:
    latest = Alert.objects.filter(rule=rule.code, key=key).order_by("-opened_at", "-pk").first()
    if latest is not None and latest.status == AlertStatus.ACKNOWLEDGED and latest.acknowledged_at:
        # Acknowledged: what was seen then is answered; only what came after counts.
        rows = [row for row in rows if row["at"] > latest.acknowledged_at]
    if len(rows) <= rule.threshold:
        return None
    evidence = [row["id"] for row in rows[:EVIDENCE_KEPT]]
    if latest is not None and latest.status == AlertStatus.OPEN:
        Alert.objects.filter(pk=latest.pk).update(
            count=max(latest.count, len(rows)), last_seen_at=rows[0]["at"], evidence=evidence
        )
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule.code,
                key=key,
                subject=rule.subject(rows[0])[:200],
                last_seen_at=rows[0]["at"],
                count=len(rows),
                evidence=evidence,
            )
            notify(
                recipients=security_admins(),
                kind=NotificationKind.SECURITY_ALERT,
                params=_params(rule, alert),
                link=f"/security/alerts/{alert.pk}/",
            )
    except IntegrityError:
        return None  # another evaluation opened it a moment ago
    logger.warning("security alert", extra={"rule": rule.code, "subject": alert.subject, "count": alert.count})
    return alert


def _params(rule: Rule, alert: Alert) -> dict:
    with translation.override("zh-hans"):
        rule_zh = str(rule.label)
    with translation.override("en"):
        rule_en = str(rule.label)
    return {"rule_zh": rule_zh, "rule_en": rule_en, "subject": alert.subject, "count": alert.count}


def alert_acknowledge(*, alert_id: int, user, note: str, request=None) -> Alert:
    """A security administrator answers an open alert, saying what was found or done."""
    note = (note or "").strip()
    if not note:
        raise PortalError(_("Say what you found or did: the note is what the next person reads."), code="note")
    if len(note) > 2000:
        raise PortalError(_("Keep the note under 2000 characters."), code="note")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound(_("This alert does not exist."))
        if alert.status != AlertStatus.OPEN:
            raise PortalError(_("This alert was already acknowledged."), code="acknowledged", status=409)
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        alert.note = note
        alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note"])
        audit_record(Action.ALERT_ACKNOWLEDGED, request=request, actor=user, object_type="alert", object_id=alert.pk)
    return alert
