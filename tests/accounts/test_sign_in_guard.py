"""Sign-in that an attacker cannot wear down: per account, wrong passwords make the next try
wait, twice as long each time, then lock the account until someone lifts the lock; per
address, too many wrong passwords make the address wait. The same on the sign-in page, the
token API and the admin's login; a forged X-Forwarded-For changes nothing; every failure and
lock is in the security log; a department administrator lifts the lock of their staff."""

import logging
from itertools import count

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from services.accounts.constants import StaffRole
from tests.factories import PASSWORD, CitizenFactory, DepartmentFactory, StaffFactory, staff_of

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/signin/"
TOKEN = "/api/v1/auth/token/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"
_forged = count(1)


def _forged_address() -> str:
    """A different X-Forwarded-For on every try, as an attacker would send."""
    return f"203.0.113.{next(_forged) % 250 + 1}"


def _page(username: str, password: str):
    return Client().post(SIGN_IN, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=_forged_address())


def _api(username: str, password: str):
    return APIClient().post(
        TOKEN, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=_forged_address(), format="json"
    )


def _admin(username: str, password: str):
    return Client().post(
        ADMIN_LOGIN, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=_forged_address()
    )


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_after_three_wrong_passwords_an_account_waits_longer_each_time_whatever_address_it_claims(clock):
    CitizenFactory(mobile="13800000111")
    for _ in range(3):
        assert _page("13800000111", "wrong-guess").status_code == 200  # the form, with its error
    waiting = _page("13800000111", PASSWORD)  # even the right password waits
    assert waiting.status_code == 429
    assert waiting["Retry-After"] == "15"
    assert "Wait 15 seconds" in waiting.content.decode() or "15 秒" in waiting.content.decode()
    clock.shift(16)
    assert _page("13800000111", "wrong-again").status_code == 200
    assert _page("13800000111", PASSWORD)["Retry-After"] == "30"  # twice as long
    clock.shift(31)
    signed_in = _page("13800000111", PASSWORD)
    assert signed_in.status_code == 302
    assert not AccessAttempt.objects.filter(username="13800000111").exists()  # the count starts again


@pytest.mark.parametrize("path", [_page, _api, _admin], ids=["page", "token-api", "admin"])
def test_ten_wrong_passwords_lock_the_account_on_every_way_in(path, clock, caplog):
    StaffFactory(username="clerk.target", is_staff=True, is_superuser=True)
    caplog.set_level(logging.WARNING, logger="services.security")
    for _ in range(10):
        path("clerk.target", "wrong-guess")
        clock.shift(3600)  # past every wait: only the lock can stop the next try
    for way_in in (_page, _api, _admin):
        refused = way_in("clerk.target", PASSWORD)
        assert refused.status_code == 403, way_in
        assert "_auth_user_id" not in getattr(refused, "wsgi_request", refused).session
    assert _api("clerk.target", PASSWORD).json()["code"] == "account_locked"
    # Every wrong password, and the lock, are in the security log.
    assert AccessFailureLog.objects.filter(username="clerk.target").count() == 10
    assert any(r.getMessage() == "account locked after repeated wrong passwords" for r in caplog.records)
    assert sum(r.getMessage() == "sign-in failed" for r in caplog.records) == 10


def test_an_unknown_account_is_treated_like_a_known_one(clock):
    for _ in range(10):
        _page("13800000999", "wrong-guess")
        clock.shift(3600)
    known = CitizenFactory(mobile="13800000112")
    for _ in range(10):
        _page(known.mobile, "wrong-guess")
        clock.shift(3600)
    unknown, existing = _page("13800000999", "anything-at-all"), _page(known.mobile, "anything-at-all")
    assert unknown.status_code == existing.status_code == 403


def test_an_address_with_many_wrong_passwords_waits_whatever_account_it_tries(settings, clock):
    settings.SIGN_IN_ADDRESS_FAILURES = 5
    for n in range(5):
        Client().post(SIGN_IN, {"username": f"1380000020{n}", "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    someone = CitizenFactory(mobile="13800000300")
    waiting = Client().post(
        SIGN_IN,
        {"username": someone.mobile, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="192.0.2.99",  # not believed: no trusted proxy
    )
    assert waiting.status_code == 429 and 0 < int(waiting["Retry-After"]) <= settings.SIGN_IN_ADDRESS_WINDOW
    # Another address goes on as usual.
    assert Client().post(SIGN_IN, {"username": someone.mobile, "password": PASSWORD}).status_code == 302


def test_behind_a_trusted_proxy_each_client_counts_by_its_own_address(settings):
    settings.SIGN_IN_ADDRESS_FAILURES = 5
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(5):
        Client().post(
            SIGN_IN,
            {"username": f"1380000040{n}", "password": "wrong"},
            REMOTE_ADDR="10.1.2.3",
            HTTP_X_FORWARDED_FOR="198.51.100.8",
        )
    someone = CitizenFactory(mobile="13800000500")
    other_client = Client().post(
        SIGN_IN,
        {"username": someone.mobile, "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert other_client.status_code == 302
    same_client = Client().post(
        SIGN_IN,
        {"username": someone.mobile, "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert same_client.status_code == 429


def test_a_service_hall_signing_in_all_day_from_one_address_is_never_held_up():
    clerks = [StaffFactory() for _ in range(30)]
    for clerk in clerks:
        response = Client().post(SIGN_IN, {"username": clerk.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
        assert response.status_code == 302


def test_a_department_administrator_lifts_the_lock_of_their_staff_only(clock, caplog):
    DepartmentFactory(code="psb")
    DepartmentFactory(code="mca")
    admin = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    theirs = staff_of("psb", StaffRole.REVIEWER)
    elsewhere = staff_of("mca", StaffRole.REVIEWER)
    caplog.set_level(logging.WARNING, logger="services.security")
    for person in (theirs, elsewhere):
        for _ in range(10):
            _page(person.username, "wrong-guess")
            clock.shift(3600)
    client = Client()
    client.force_login(admin)
    page = client.get("/accounts/staff/locked/").content.decode()
    assert theirs.username in page and elsewhere.username not in page
    assert client.post("/accounts/staff/locked/", {"username": elsewhere.username}).status_code == 404
    assert client.post("/accounts/staff/locked/", {"username": theirs.username}).status_code == 302
    assert _page(theirs.username, PASSWORD).status_code == 302
    assert _page(elsewhere.username, PASSWORD).status_code == 403  # still locked
    assert any(r.getMessage() == "account unlocked" for r in caplog.records)
    # Someone who administers no department has no such page.
    reviewer = Client()
    reviewer.force_login(theirs)
    assert reviewer.get("/accounts/staff/locked/").status_code == 403
