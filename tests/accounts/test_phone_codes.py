"""A code sent by text message proves a mobile number: for a password reset (which lifts a
sign-in lock too), and for a change of number. Neither says whether a number has an account,
and codes are kept only as a keyed digest."""

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from services.accounts.models import PhoneCode
from tests.factories import PASSWORD, CitizenFactory

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
RESET_CONFIRM = "/accounts/password/reset/confirm/"
NEW = "Brand-New-Secret-2027"


def _reset(client, mobile):
    return client.post(RESET, {"mobile": mobile})


def test_a_forgotten_password_is_reset_with_a_code_and_the_new_one_signs_in(sms):
    citizen = CitizenFactory(mobile="13800000601")
    client = Client()
    assert _reset(client, "138 0000 0601").status_code == 302
    done = client.post(RESET_CONFIRM, {"code": sms.last_code("13800000601"), "password": NEW, "password_again": NEW})
    assert done.status_code == 302 and done.url == "/accounts/signin/"
    citizen.refresh_from_db()
    assert citizen.check_password(NEW) and citizen.mobile_confirmed_at is not None
    assert Client().post("/accounts/signin/", {"username": "13800000601", "password": NEW}).status_code == 302


def test_a_number_without_an_account_gets_the_same_answer_and_no_text(sms):
    client = Client()
    answer = _reset(client, "13800000699")
    assert answer.status_code == 302 and answer.url == RESET_CONFIRM
    assert sms.SENT == []
    assert "138****0699" in client.get(RESET_CONFIRM).content.decode()
    refused = client.post(RESET_CONFIRM, {"code": "123456", "password": NEW, "password_again": NEW})
    assert refused.status_code == 400


def test_the_owner_lifts_a_sign_in_lock_with_a_password_reset(sms):
    CitizenFactory(mobile="13800000602")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(10):
            Client().post("/accounts/signin/", {"username": "13800000602", "password": "wrong"})
            clock.shift(3600)
        assert Client().post("/accounts/signin/", {"username": "13800000602", "password": PASSWORD}).status_code == 403
        client = Client()
        _reset(client, "13800000602")
        client.post(RESET_CONFIRM, {"code": sms.last_code("13800000602"), "password": NEW, "password_again": NEW})
        assert Client().post("/accounts/signin/", {"username": "13800000602", "password": NEW}).status_code == 302


def test_codes_are_kept_only_as_a_keyed_digest_and_expire(sms, settings):
    CitizenFactory(mobile="13800000603")
    client = Client()
    _reset(client, "13800000603")
    code = sms.last_code("13800000603")
    stored = PhoneCode.objects.get(mobile="13800000603")
    assert code not in stored.digest and len(stored.digest) == 64
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=settings.PHONE_CODE_SECONDS + 1)):
        late = client.post(RESET_CONFIRM, {"code": code, "password": NEW, "password_again": NEW})
    assert late.status_code == 400
    assert not get_user_model().objects.get(mobile="13800000603").check_password(NEW)


def test_a_citizen_changes_their_number_with_a_code_sent_to_the_new_one(sms):
    citizen = CitizenFactory(mobile="13800000604")
    client = Client()
    client.force_login(citizen)
    assert client.post("/accounts/mobile/", {"mobile": "13900000604"}).status_code == 302
    assert client.post("/accounts/mobile/confirm/", {"code": "000000"}).status_code in (400,)
    done = client.post("/accounts/mobile/confirm/", {"code": sms.last_code("13900000604")})
    assert done.status_code == 302
    citizen.refresh_from_db()
    assert citizen.mobile == "13900000604" and citizen.mobile_confirmed_at is not None


def test_a_number_another_account_has_is_not_taken_and_its_owner_is_told(sms):
    CitizenFactory(mobile="13900000605")
    citizen = CitizenFactory(mobile="13800000605")
    client = Client()
    client.force_login(citizen)
    assert client.post("/accounts/mobile/", {"mobile": "13900000605"}).status_code == 302  # the same answer
    (notice,) = sms.texts_to("13900000605")
    assert "Nothing was changed" in notice or "未作任何更改" in notice or "账户" in notice
    assert client.post("/accounts/mobile/confirm/", {"code": "123456"}).status_code == 400
    citizen.refresh_from_db()
    assert citizen.mobile == "13800000605"


def test_the_mobile_pages_are_for_citizens_signed_in():
    assert Client().get("/accounts/mobile/").status_code == 302  # to sign in
