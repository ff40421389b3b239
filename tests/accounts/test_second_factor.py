"""Staff and administrators sign in with a second factor (an authenticator app, TOTP): until
it is given, a staff session reaches no staff page, no staff API and no admin; the first
sign-in enrols it and hands out recovery codes; a department administrator clears it for their
staff who lost their phone; the token API gives staff a token only with a code. Citizens are
never asked."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from services.accounts.constants import StaffRole
from tests.factories import PASSWORD, CitizenFactory, DepartmentFactory, StaffFactory, staff_of

pytestmark = pytest.mark.django_db

SECOND_FACTOR = "/accounts/second-factor/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def police(db):
    return DepartmentFactory(code="psb")


def _code(device: TOTPDevice, *, ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, drift=ahead)
    return f"{totp.token():0{device.digits}d}"


def _wrong(device: TOTPDevice) -> str:
    return "000000" if _code(device) != "000000" else "111111"


def _after(*, seconds: int):
    return timezone.now() + timedelta(seconds=seconds)


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _password_only(user) -> Client:
    client = Client()
    client.force_login(user, second_factor=False)
    return client


@pytest.mark.parametrize("path", ["/workbench/", "/analytics/", "/admin/"])
def test_a_staff_member_with_only_a_password_reaches_no_staff_page(police, path):
    reviewer = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    reviewer.is_superuser = True
    reviewer.save()

    response = _password_only(reviewer).get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(SECOND_FACTOR + "?next=")


def test_a_staff_member_with_only_a_password_gets_nothing_from_the_staff_api(police):
    reviewer = staff_of("psb")

    response = _password_only(reviewer).get("/api/v1/tasks/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert "second factor" in response.json()["detail"]


def test_a_citizen_is_never_asked_for_a_second_factor():
    client = Client()
    client.force_login(CitizenFactory())

    assert client.get("/my/applications/").status_code == 200
    assert client.get(SECOND_FACTOR).status_code == 302  # nothing to do there: sent on


def test_the_first_sign_in_enrols_the_authenticator_and_hands_out_recovery_codes(police, caplog):
    reviewer = staff_of("psb")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    signed_in = client.post("/accounts/signin/", {"username": reviewer.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get(signed_in["Location"])["Location"].startswith(SECOND_FACTOR)

    page = client.get(SECOND_FACTOR + "?next=/workbench/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="[^"]+"', html), "no QR code picture"
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert page.context["key"].replace(" ", "") in html.replace(" ", "")
    assert client.get("/workbench/").status_code == 302  # not yet

    wrong = client.post(SECOND_FACTOR, {"code": _wrong(device), "next": "/"})
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()

    with caplog.at_level(logging.WARNING, logger="services.security"), time_machine.travel(_after(seconds=2)):
        done = client.post(SECOND_FACTOR, {"code": _code(device), "next": "/workbench/"})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/workbench/").status_code == 200
    assert "second factor enrolled" in caplog.text


def test_a_later_sign_in_asks_for_the_code_and_takes_each_code_once(police):
    reviewer = staff_of("psb")
    device = _enrolled(reviewer)
    first = _password_only(reviewer)
    page = first.get(SECOND_FACTOR)
    assert page.status_code == 200 and "qr" not in page.context

    code = _code(device)
    assert first.post(SECOND_FACTOR, {"code": code, "next": "/workbench/"})["Location"] == "/workbench/"
    assert first.get("/workbench/").status_code == 200

    # Someone who saw the code over the shoulder cannot use it again.
    replay = _password_only(reviewer).post(SECOND_FACTOR, {"code": code, "next": "/workbench/"})
    assert replay.status_code == 400


def test_a_recovery_code_signs_in_once_instead_of_the_app(police):
    reviewer = staff_of("psb")
    _enrolled(reviewer)
    recovery = StaticDevice.objects.create(user=reviewer, name="Recovery codes", confirmed=True)
    recovery.token_set.create(token="abcd2345")

    client = _password_only(reviewer)
    assert client.post(SECOND_FACTOR, {"code": "ABCD 2345", "next": "/workbench/"}).status_code == 302
    assert client.get("/workbench/").status_code == 200

    assert _password_only(reviewer).post(SECOND_FACTOR, {"code": "abcd2345"}).status_code == 400


def test_the_page_sends_on_only_to_this_site(police):
    reviewer = staff_of("psb")
    device = _enrolled(reviewer)

    response = _password_only(reviewer).post(SECOND_FACTOR, {"code": _code(device), "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_a_department_administrator_clears_the_second_factor_of_their_staff(police, caplog):
    admin = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    reviewer = staff_of("psb")
    _enrolled(reviewer)
    StaticDevice.objects.create(user=reviewer, name="Recovery codes", confirmed=True)
    client = Client()
    client.force_login(admin)
    assert reviewer.username in client.get("/accounts/staff/locked/").content.decode()

    with caplog.at_level(logging.WARNING, logger="services.security"):
        response = client.post("/accounts/staff/second-factor/", {"username": reviewer.username})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    assert "second factor reset" in caplog.text
    # The next sign-in enrols a new authenticator.
    assert "qr" in _password_only(reviewer).get(SECOND_FACTOR).context


def test_a_department_administrator_cannot_clear_another_departments_staff(police):
    DepartmentFactory(code="amr")
    admin = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    other = staff_of("amr")
    _enrolled(other)
    client = Client()
    client.force_login(admin)

    assert client.post("/accounts/staff/second-factor/", {"username": other.username}).status_code == 404
    assert TOTPDevice.objects.filter(user=other).exists()

    reviewer = staff_of("psb")
    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    assert reviewer_client.post("/accounts/staff/second-factor/", {"username": other.username}).status_code == 403


def test_the_token_api_gives_staff_a_token_only_with_their_code(police):
    reviewer = StaffFactory(username="reviewer.li")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    body = {"username": "reviewer.li", "password": PASSWORD}

    not_enrolled = api.post(TOKEN, body, format="json")
    assert not_enrolled.status_code == 403
    assert "set up your second factor" in not_enrolled.json()["detail"]

    device = _enrolled(reviewer)
    assert api.post(TOKEN, body, format="json").status_code == 403

    with time_machine.travel(_after(seconds=2)):
        issued = api.post(TOKEN, body | {"otp": _code(device)}, format="json")
    assert issued.status_code == 200
    assert issued.json()["token"]


def test_wrong_codes_make_the_next_try_wait_twice_as_long_each_time(police):
    reviewer = staff_of("psb")
    device = _enrolled(reviewer)
    client = _password_only(reviewer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        assert client.post(SECOND_FACTOR, {"code": _wrong(device)}).status_code == 400
        # The right code, at once after a wrong one, waits too: guessing cannot go fast.
        hurried = client.post(SECOND_FACTOR, {"code": _code(device)})
    assert hurried.status_code == 429
    assert hurried["Retry-After"] == "1"
    assert "Wait 1 seconds" in hurried.content.decode()
    with time_machine.travel(start + timedelta(seconds=1.5), tick=False):
        assert client.post(SECOND_FACTOR, {"code": _wrong(device)}).status_code == 400
    with time_machine.travel(start + timedelta(seconds=2), tick=False):
        hurried = client.post(SECOND_FACTOR, {"code": _code(device)})
        assert client.get("/workbench/").status_code == 302
    assert hurried.status_code == 429
    assert hurried["Retry-After"] == "2"  # two seconds after the second wrong code
    with time_machine.travel(start + timedelta(seconds=4), tick=False):
        assert client.post(SECOND_FACTOR, {"code": _code(device), "next": "/workbench/"}).status_code == 302
    assert client.get("/workbench/").status_code == 200


def test_the_token_api_asks_citizens_for_no_code():
    CitizenFactory(mobile="13800000009")

    response = APIClient().post(TOKEN, {"username": "13800000009", "password": PASSWORD}, format="json")

    assert response.status_code == 200


def test_bad_input_is_answered_clearly_and_changes_nothing(police):
    reviewer = staff_of("psb")
    device = _enrolled(reviewer)
    client = _password_only(reviewer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    oversized = client.post(SECOND_FACTOR, {"code": "1" * 5000})
    assert oversized.status_code == 400 and "at most 12 characters" in oversized.content.decode()
    empty = client.post(SECOND_FACTOR, {})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    # Neither counted as a wrong code: the right one is taken at once.
    assert client.post(SECOND_FACTOR, {"code": _code(device), "next": "/workbench/"}).status_code == 302
    # The verify page offers the whole keyboard, for recovery codes.
    assert 'inputmode="text"' in _password_only(reviewer).get(SECOND_FACTOR).content.decode()
