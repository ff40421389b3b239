"""Every security-relevant event is in the audit trail, with who, from where, what, which
object, when and the outcome: sign-ins and their failures, locks and unlocks, the second
factor, tokens, reads of personal data, role changes, changes in the admin, exports and reads
of the audit records themselves."""

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from services.accounts.constants import StaffRole
from services.accounts.models import Membership
from services.audit.models import AuditEvent
from services.records.actions import data_access_record
from tests.factories import PASSWORD, CitizenFactory, DepartmentFactory, StaffFactory, staff_of

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"


def _last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("pk")


def _client(user=None) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    if user is not None:
        client.force_login(user)
    return client


def test_sign_in_and_its_failure_and_sign_out():
    citizen = CitizenFactory(mobile="13800000051")
    client = _client()
    client.post("/accounts/signin/", {"username": "13800000051", "password": "wrong"})
    failed = _last("sign_in_failed")
    assert (failed.actor, failed.address, failed.outcome) == ("13800000051", ADDRESS, "failure")

    client.post("/accounts/signin/", {"username": "13800000051", "password": PASSWORD})
    signed_in = _last("sign_in")
    assert (signed_in.actor_id, signed_in.actor, signed_in.address) == (citizen.pk, citizen.username, ADDRESS)
    assert abs((timezone.now() - signed_in.at).total_seconds()) < 60

    client.post("/accounts/signout/")
    assert _last("sign_out").actor_id == citizen.pk


def test_a_lock_and_its_lifting(settings):
    settings.AXES_FAILURE_LIMIT = settings.SIGN_IN_LOCK_AFTER = 2
    settings.SIGN_IN_DELAY_AFTER = 5
    DepartmentFactory(code="psb")
    clerk = staff_of("psb", StaffRole.CLERK)
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(2):
            _client().post("/accounts/signin/", {"username": clerk.username, "password": "wrong"})
    locked = _last("account_locked")
    assert (locked.object_type, locked.object_id) == ("account", clerk.username)

    admin = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    _client(admin).post("/accounts/staff/locked/", {"username": clerk.username})
    unlocked = _last("account_unlocked")
    assert (unlocked.actor_id, unlocked.object_id, unlocked.address) == (admin.pk, clerk.username, ADDRESS)


def test_the_second_factor_enrolment_failure_and_reset():
    DepartmentFactory(code="psb")
    reviewer = staff_of("psb")
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(reviewer, second_factor=False)
    client.get("/accounts/second-factor/")
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    client.post("/accounts/second-factor/", {"code": f"{TOTP(device.bin_key).token():06d}"})
    assert _last("second_factor_enrolled").actor_id == reviewer.pk

    other = Client(REMOTE_ADDR=ADDRESS)
    other.force_login(reviewer, second_factor=False)
    other.post("/accounts/second-factor/", {"code": "000000"})
    failed = _last("second_factor_failed")
    assert (failed.actor_id, failed.outcome, failed.address) == (reviewer.pk, "failure", ADDRESS)

    admin = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    _client(admin).post("/accounts/staff/second-factor/", {"username": reviewer.username})
    reset = _last("second_factor_reset")
    assert (reset.actor_id, reset.object_id) == (admin.pk, reviewer.username)


def test_a_token_issued_and_revoked():
    citizen = CitizenFactory(mobile="13800000052")
    api = APIClient(REMOTE_ADDR=ADDRESS)
    token = api.post(
        "/api/v1/auth/token/", {"username": "13800000052", "password": PASSWORD, "device": "手机"}, format="json"
    ).json()["token"]
    issued = _last("token_issued")
    assert (issued.actor_id, issued.address, issued.detail["device"]) == (citizen.pk, ADDRESS, "手机")
    assert token not in str(issued.detail) and token[:15] not in issued.object_id

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    api.post("/api/v1/auth/logout-all/")
    assert _last("token_revoked").actor_id == citizen.pk


def test_a_staff_read_of_personal_data():
    DepartmentFactory(code="psb")
    reviewer, citizen = staff_of("psb"), CitizenFactory()

    data_access_record(actor=reviewer, citizen=citizen, what="id_number", purpose="审核", case_reference="X-1")

    read = _last("personal_data_read")
    assert (read.actor_id, read.object_type, read.object_id) == (reviewer.pk, "citizen", str(citizen.pk))
    assert read.detail["data"] == "id_number" and read.detail["case"] == "X-1"


def test_role_changes():
    psb = DepartmentFactory(code="psb")
    person = StaffFactory()

    membership = Membership.objects.create(user=person, department=psb, role=StaffRole.REVIEWER)
    added = _last("membership_added")
    assert added.object_id == person.username and added.detail == {"role": "reviewer", "department": "psb"}
    membership.delete()
    assert _last("membership_removed").object_id == person.username


def test_a_change_made_in_the_admin():
    psb = DepartmentFactory(code="psb", name_zh="公安局", name_en="Police")
    admin = StaffFactory(is_staff=True, is_superuser=True)
    client = _client(admin)

    response = client.post(
        f"/admin/accounts/department/{psb.pk}/change/", {"code": "psb", "name_zh": "市公安局", "name_en": "Police"}
    )

    assert response.status_code == 302
    change = _last("admin_changed")
    assert (change.actor_id, change.address) == (admin.pk, ADDRESS)
    assert (change.object_type, change.object_id) == ("accounts.department", str(psb.pk))
    assert "市公安局" in change.detail["object"]


def test_an_export_and_a_read_of_the_audit_records():
    leader = staff_of(None, StaffRole.LEADER)
    response = _client(leader).get("/analytics/export/services.csv?month_from=2026-09&month_to=2026-11")
    assert response.status_code == 200
    export = _last("export")
    assert (export.actor_id, export.object_id, export.detail["from"]) == (leader.pk, "services", "2026-09")

    auditor = staff_of(None, StaffRole.AUDITOR)
    assert _client(auditor).get("/audit/data-access/?reference=X-1").status_code == 200
    read = _last("audit_read")
    assert (read.actor_id, read.object_type, read.detail) == (auditor.pk, "data_access_log", {"reference": "X-1"})
