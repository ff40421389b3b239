"""The security pages: open alerts and their trend for the security administrators, an alert
with its evidence answered with a note, and the audit trail for them and the auditors; its
reading is recorded; nobody else gets in."""

import pytest
from django.test import Client

from services.accounts.constants import StaffRole
from services.audit.constants import Action
from services.audit.models import AuditEvent
from services.monitoring.models import Alert, AlertStatus
from tests.factories import CitizenFactory, DepartmentFactory, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def security(db):
    return staff_of(None, StaffRole.SECURITY_ADMIN)


@pytest.fixture
def alert(db):
    events = [
        AuditEvent.objects.create(action=Action.SIGN_IN_FAILED, actor="13800000001", outcome="failure")
        for _ in range(3)
    ]
    return Alert.objects.create(
        rule="sign_in_failures_account",
        key="account:13800000001",
        subject="13800000001",
        last_seen_at=events[-1].at,
        count=3,
        evidence=[e.pk for e in events],
    )


def _as(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_security_page_lists_the_open_alerts_and_the_trend(security, alert, django_assert_max_num_queries):
    client = _as(security)
    with django_assert_max_num_queries(12):
        page = client.get("/security/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 open alert" in html and "Many failed sign-ins to one account" in html
    assert f'href="/security/alerts/{alert.pk}/"' in html
    assert html.count("<rect") == 30 and "1 alert opened in the last 30 days" in html


def test_an_alert_shows_its_evidence_and_is_acknowledged_with_a_note(security, alert):
    client = _as(security)
    page = client.get(f"/security/alerts/{alert.pk}/")
    assert page.status_code == 200 and page.content.decode().count("13800000001") >= 4

    refused = client.post(f"/security/alerts/{alert.pk}/", {"note": "  "})
    assert refused.status_code == 400 and "the note is what the next person reads" in refused.content.decode()
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN

    done = client.post(f"/security/alerts/{alert.pk}/", {"note": "已联系账户本人，系忘记密码。"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.note) == (
        "acknowledged",
        security,
        "已联系账户本人，系忘记密码。",
    )
    assert AuditEvent.objects.filter(action=Action.ALERT_ACKNOWLEDGED, actor_id=security.pk).exists()
    again = client.post(f"/security/alerts/{alert.pk}/", {"note": "again"})
    assert again.status_code == 409 and "already acknowledged" in again.content.decode()
    assert Alert.objects.get(pk=alert.pk).note == "已联系账户本人，系忘记密码。"


@pytest.mark.parametrize("who", ["auditor", "security"])
def test_the_audit_trail_is_read_by_auditors_and_security_administrators_and_the_reading_recorded(who, security):
    reader = security if who == "security" else staff_of(None, StaffRole.AUDITOR)
    AuditEvent.objects.create(action=Action.EXPORT, actor="leader", address="10.0.0.8")
    AuditEvent.objects.create(action=Action.SIGN_IN, actor="someone", address="10.0.0.9")

    page = _as(reader).get("/security/audit/?action=export")

    html = page.content.decode()
    assert page.status_code == 200
    assert "10.0.0.8" in html and "10.0.0.9" not in html
    read = AuditEvent.objects.filter(action=Action.AUDIT_READ).latest("pk")
    assert (read.actor_id, read.object_type, read.detail) == (reader.pk, "audit_trail", {"action": "export"})


def test_nobody_else_gets_in(security, alert):
    DepartmentFactory(code="psb")
    for user in (staff_of("psb", StaffRole.DEPARTMENT_ADMIN), staff_of(None, StaffRole.AUDITOR)):
        client = _as(user)
        assert client.get("/security/").status_code == 403
        assert client.get(f"/security/alerts/{alert.pk}/").status_code == 403
    reviewer = _as(staff_of("psb"))
    assert reviewer.get("/security/audit/").status_code == 403
    citizen = _as(CitizenFactory())
    assert citizen.get("/security/audit/").status_code == 403
    assert Client().get("/security/")["Location"].startswith("/accounts/signin/")


def test_an_unknown_alert_is_not_found(security):
    assert _as(security).get("/security/alerts/999999/").status_code == 404
