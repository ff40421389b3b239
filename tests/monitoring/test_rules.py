"""Each monitoring rule, driven over its threshold, brings exactly one alert to the security
administrators (in their inbox, and by email); below the threshold, none; more of the same
grows the open alert instead of raising another; once acknowledged, only what comes after
counts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from services.accounts.constants import StaffRole
from services.audit.constants import Action
from services.audit.models import AuditEvent, Outcome
from services.monitoring.actions import alert_acknowledge, monitoring_evaluate
from services.monitoring.models import Alert
from services.notifications.models import Notification
from tests.casework.helpers import submit
from tests.factories import CitizenFactory, DepartmentFactory, make_service, staff_of

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
# A Wednesday, a working day, at 10:00 in Beijing; and the same day at 23:00.
DAY = datetime(2026, 6, 10, 10, 0, tzinfo=BEIJING)
NIGHT = datetime(2026, 6, 10, 23, 0, tzinfo=BEIJING)


@pytest.fixture
def security(db):
    return staff_of(None, StaffRole.SECURITY_ADMIN)


@pytest.fixture
def reviewer(db):
    DepartmentFactory(code="psb")
    return staff_of("psb")


def _events(n: int, action: str, *, at: datetime, actor=None, actor_name="", address="", **fields) -> None:
    """Audit events as the portal writes them (from where: an address, when given)."""
    for _ in range(n):
        AuditEvent.objects.create(
            action=action,
            at=at,
            actor_id=getattr(actor, "pk", None),
            actor=getattr(actor, "username", actor_name),
            address=address,
            **fields,
        )


def _alerts_to(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="security_alert"))


def _evaluate(at: datetime) -> list[Alert]:
    with time_machine.travel(at + timedelta(seconds=30), tick=False):
        return monitoring_evaluate()


FAILED = {"outcome": Outcome.FAILURE}

CASES = [
    # (rule, setting, threshold, the action, fields of each event, when)
    (
        "sign_in_failures_account",
        "SIGN_IN_FAILURES_PER_ACCOUNT",
        5,
        Action.SIGN_IN_FAILED,
        {"actor_name": "13800000001"},
        DAY,
    ),
    (
        "sign_in_failures_address",
        "SIGN_IN_FAILURES_PER_ADDRESS",
        8,
        Action.SIGN_IN_FAILED,
        {"address": "203.0.113.5"},
        DAY,
    ),
    ("sign_in_failures_city", "SIGN_IN_FAILURES_CITY", 12, Action.SIGN_IN_FAILED, {"actor_name": "y"}, DAY),
    ("personal_data_reads", "PERSONAL_DATA_READS_PER_HOUR", 6, Action.PERSONAL_DATA_READ, {"actor": "reviewer"}, DAY),
    (
        "personal_data_after_hours",
        "PERSONAL_DATA_READS_AFTER_HOURS",
        3,
        Action.PERSONAL_DATA_READ,
        {"actor": "reviewer"},
        NIGHT,
    ),
    ("exports", "EXPORTS_PER_DAY", 4, Action.EXPORT, {"actor": "reviewer"}, DAY),
    ("refused_objects", "REFUSED_OBJECTS_PER_HOUR", 5, Action.OBJECT_REFUSED, {"actor": "reviewer"}, DAY),
]


@pytest.mark.parametrize(("rule", "setting", "threshold", "action", "fields", "when"), CASES, ids=[c[0] for c in CASES])
def test_a_rule_over_its_threshold_brings_one_alert_and_below_none(
    settings, security, reviewer, rule, setting, threshold, action, fields, when
):
    # The other rules out of the way: only this one's threshold is low.
    others = [name for name in settings.MONITORING if name.startswith(("SIGN_IN_FAILURES", "PERSONAL_DATA", "EXPORTS"))]
    settings.MONITORING = {**settings.MONITORING, **dict.fromkeys(others, 10_000), setting: threshold}
    fields = {k: (reviewer if v == "reviewer" else v) for k, v in fields.items()}
    if action == Action.SIGN_IN_FAILED:
        fields |= FAILED
    _events(threshold, action, at=when, **fields)
    assert _evaluate(when) == []
    assert not Alert.objects.filter(rule=rule).exists() and _alerts_to(security) == []

    _events(1, action, at=when, **fields)
    opened = _evaluate(when)

    assert [a.rule for a in opened if a.rule == rule] == [rule]
    assert Alert.objects.filter(rule=rule).count() == 1
    alert = Alert.objects.get(rule=rule)
    assert alert.count == threshold + 1 and len(alert.evidence) == threshold + 1
    inbox = _alerts_to(security)
    assert len(inbox) == 1 and inbox[0].link == f"/security/alerts/{alert.pk}/"
    # More of the same, and another evaluation: the same alert grows, nobody is told twice.
    _events(2, action, at=when + timedelta(minutes=1), **fields)
    _evaluate(when + timedelta(minutes=1))
    assert Alert.objects.filter(rule=rule).count() == 1
    assert Alert.objects.get(rule=rule).count == threshold + 3
    assert len(_alerts_to(security)) == 1


def test_a_bulk_export_is_an_alert_of_its_own(settings, security, reviewer):
    settings.MONITORING = {**settings.MONITORING, "EXPORT_ROWS": 1000}
    _events(1, Action.EXPORT, at=DAY, actor=reviewer, detail={"rows": 1000})
    assert not Alert.objects.filter(rule="bulk_export").exists() or _evaluate(DAY) == []
    _events(1, Action.EXPORT, at=DAY, actor=reviewer, detail={"rows": 1001})

    assert [a.rule for a in _evaluate(DAY)] == ["bulk_export"]
    assert len(_alerts_to(security)) == 1


def test_a_staff_sign_in_from_a_new_address_is_an_alert_once(security, reviewer):
    def sign_in(address: str, at: datetime) -> None:
        with time_machine.travel(at, tick=False):
            AuditEvent.objects.create(
                action=Action.SIGN_IN,
                actor_id=reviewer.pk,
                actor=reviewer.username,
                address=address,
                detail={"kind": "staff"},
            )

    sign_in("10.1.1.5", DAY - timedelta(days=3))  # the usual office
    sign_in("10.1.1.5", DAY)
    assert _evaluate(DAY) == []

    sign_in("198.51.100.77", DAY + timedelta(minutes=2))
    opened = _evaluate(DAY + timedelta(minutes=2))
    assert [a.rule for a in opened] == ["staff_new_address"]
    assert "198.51.100.77" in opened[0].subject
    sign_in("198.51.100.77", DAY + timedelta(minutes=4))  # the same address again: not new any more
    assert _evaluate(DAY + timedelta(minutes=4)) == []
    assert len(_alerts_to(security)) == 1


def test_a_citizens_first_or_new_address_is_not_watched(security):
    with time_machine.travel(DAY, tick=False):
        AuditEvent.objects.create(
            action=Action.SIGN_IN, actor_id=1, actor="c", address="1.2.3.4", detail={"kind": "citizen"}
        )
    assert _evaluate(DAY) == []


def test_once_acknowledged_only_what_comes_after_counts(settings, security, reviewer):
    settings.MONITORING = {**settings.MONITORING, "REFUSED_OBJECTS_PER_HOUR": 3}
    _events(4, Action.OBJECT_REFUSED, at=DAY, actor=reviewer)
    alert = _evaluate(DAY)[0]
    with time_machine.travel(DAY + timedelta(minutes=5), tick=False):
        alert_acknowledge(alert_id=alert.pk, user=security, note="已与该审批人核实，系误操作。")

    assert _evaluate(DAY + timedelta(minutes=6)) == []  # the same events do not open another
    _events(4, Action.OBJECT_REFUSED, at=DAY + timedelta(minutes=10), actor=reviewer)
    assert [a.rule for a in _evaluate(DAY + timedelta(minutes=10))] == ["refused_objects"]
    assert Alert.objects.filter(rule="refused_objects").count() == 2
    assert len(_alerts_to(security)) == 2


def test_the_alert_reaches_the_security_administrators_by_email_too(
    settings, security, reviewer, django_capture_on_commit_callbacks
):
    security.email = "security@zwfw.example.gov.cn"
    security.save()
    settings.MONITORING = {**settings.MONITORING, "EXPORTS_PER_DAY": 0}
    _events(1, Action.EXPORT, at=DAY, actor=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        _evaluate(DAY)

    assert [m.to for m in mail.outbox] == [["security@zwfw.example.gov.cn"]]
    assert "/security/alerts/" in mail.outbox[0].body


def test_opening_another_departments_step_is_recorded(client, reviewer, django_capture_on_commit_callbacks):
    DepartmentFactory(code="amr")
    service = make_service(code="other", stages=[["amr"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    step = application.steps.get()
    client.force_login(reviewer)

    assert client.get(f"/workbench/steps/{step.pk}/").status_code == 404

    refused = AuditEvent.objects.get(action=Action.OBJECT_REFUSED)
    assert (refused.actor_id, refused.object_id, refused.outcome) == (reviewer.pk, str(step.pk), "refused")
    assert timezone.now() - refused.at < timedelta(minutes=1)
