"""Accounts through the API and the pages: tokens, registration, sign-in."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from services.accounts.constants import UserKind
from tests.factories import PASSWORD, CitizenFactory, StaffFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REGISTER_URL = "/accounts/register/"
REGISTER_CONFIRM_URL = "/accounts/register/confirm/"
SIGNIN_URL = "/accounts/signin/"

NEW_PASSWORD = "Quiet-River-7391"


def _register_data(**overrides) -> dict:
    data = {
        "full_name": "李四",
        "mobile": "13912340000",
        "email": "",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


# --- how passwords are stored ---------------------------------------------------------------


@pytest.fixture
def production_hashers(settings):
    """The password hashers of production (the suite swaps in a fast one for every test)."""
    import portal.settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def test_a_new_password_is_stored_as_an_argon2_hash(client, production_hashers, sms):
    _register(client, sms)

    user = get_user_model().objects.get(mobile="13912340000")
    assert user.password.startswith("argon2$")
    assert NEW_PASSWORD not in user.password
    assert user.check_password(NEW_PASSWORD)


def test_an_older_hash_becomes_argon2_when_its_owner_signs_in(client, production_hashers):
    citizen = CitizenFactory(mobile="13800000011")
    get_user_model().objects.filter(pk=citizen.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

    response = client.post(SIGNIN_URL, {"username": "13800000011", "password": PASSWORD})

    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.password.startswith("argon2$")
    assert citizen.check_password(PASSWORD)


# --- token endpoint ---------------------------------------------------------------------------


def test_token_is_issued_for_a_citizen_mobile_number_and_password(api_client):
    citizen = CitizenFactory(mobile="13800000001")

    response = api_client.post(TOKEN_URL, {"username": "13800000001", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["kind"] == UserKind.CITIZEN
    assert _signs_in_as(response.json()["token"]) == citizen


def test_token_is_issued_for_a_mobile_number_written_with_country_code_and_spaces(api_client):
    CitizenFactory(mobile="13800000002")

    response = api_client.post(TOKEN_URL, {"username": "+86 138 0000 0002", "password": PASSWORD}, format="json")

    assert response.status_code == 200


def test_token_is_issued_for_an_email_whatever_its_letter_case(api_client):
    citizen = CitizenFactory(email="wang.xiaoming@example.cn")

    response = api_client.post(TOKEN_URL, {"username": "Wang.XiaoMing@EXAMPLE.cn", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert _signs_in_as(response.json()["token"]) == citizen


def test_token_is_issued_for_a_staff_username(api_client):
    staff = StaffFactory(username="reviewer.zhang")
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    code = f"{TOTP(device.bin_key).token():06d}"

    response = api_client.post(
        TOKEN_URL, {"username": "reviewer.zhang", "password": PASSWORD, "otp": code}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["kind"] == UserKind.STAFF
    assert _signs_in_as(response.json()["token"]) == staff


def test_each_sign_in_is_a_new_token_for_another_device(api_client):
    citizen = CitizenFactory(mobile="13800000003")
    body = {"username": "13800000003", "password": PASSWORD}

    first = api_client.post(TOKEN_URL, body, format="json").json()["token"]
    second = api_client.post(TOKEN_URL, body, format="json").json()["token"]

    assert first != second
    assert _signs_in_as(first) == _signs_in_as(second) == citizen


def _signs_in_as(token: str):
    """Whom the token signs in (through the API's own authentication)."""
    from django.test import RequestFactory

    from services.accounts.tokens import PortalTokenAuthentication

    request = RequestFactory().get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}")
    return PortalTokenAuthentication().authenticate(request)[0]


def test_token_with_a_wrong_password_is_refused_with_a_message(api_client):
    CitizenFactory(mobile="13800000004")

    response = api_client.post(TOKEN_URL, {"username": "13800000004", "password": "wrong-password"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["detail"].strip()
    assert "token" not in response.json()


def test_token_for_an_unknown_account_is_refused_like_a_wrong_password(api_client):
    CitizenFactory(mobile="13800000005")
    wrong_password = api_client.post(TOKEN_URL, {"username": "13800000005", "password": "nope-nope"}, format="json")

    unknown = api_client.post(TOKEN_URL, {"username": "13899999999", "password": "nope-nope"}, format="json")

    assert unknown.status_code == 401
    assert unknown.json() == wrong_password.json()


def test_token_without_a_password_is_a_400(api_client):
    response = api_client.post(TOKEN_URL, {"username": "13800000006"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


# --- registration page --------------------------------------------------------------------------


def test_register_page_shows_the_form(client):
    response = client.get(REGISTER_URL)

    assert response.status_code == 200
    assert 'name="mobile"' in response.text
    assert 'name="password_again"' in response.text


def _register(client, sms, **overrides):
    """Both steps: the details, then the code from the text message."""
    data = _register_data(**overrides)
    assert client.post(REGISTER_URL, data).status_code == 302
    mobile = "".join(ch for ch in data["mobile"] if ch.isdigit())[-11:]
    return client.post(REGISTER_CONFIRM_URL, {"code": sms.last_code(mobile)})


def test_registration_confirms_the_mobile_with_a_code_then_signs_the_citizen_in(client, sms):
    first = client.post(REGISTER_URL, _register_data(mobile="139 1234 0000"))
    assert first.status_code == 302 and first.url == REGISTER_CONFIRM_URL
    assert not get_user_model().objects.exists()  # nothing until the number is proven
    assert "139****0000" in client.get(REGISTER_CONFIRM_URL).content.decode()

    response = client.post(REGISTER_CONFIRM_URL, {"code": sms.last_code("13912340000")})

    assert response.status_code == 302
    assert response.url == reverse("applications:mine")
    user = get_user_model().objects.get(mobile="13912340000")
    assert user.kind == UserKind.CITIZEN and user.full_name == "李四"
    assert user.mobile_confirmed_at is not None
    assert user.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_code_creates_nothing_and_five_wrong_codes_use_the_code_up(client, sms):
    client.post(REGISTER_URL, _register_data())
    right = sms.last_code("13912340000")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        refused = client.post(REGISTER_CONFIRM_URL, {"code": wrong})
        assert refused.status_code == 400 and "error-summary" in refused.content.decode()
    assert client.post(REGISTER_CONFIRM_URL, {"code": right}).status_code == 400  # too late: used up
    assert not get_user_model().objects.exists()


def test_registration_with_an_email_too_stores_it_in_lower_case(client, sms):
    _register(client, sms, email="Li.Si@Example.CN")

    user = get_user_model().objects.get(email="li.si@example.cn")
    assert user.mobile == "13912340000" and user.is_citizen


@pytest.mark.parametrize("mobile", ["", "12345", "23812345678", "1381234567a", "138123456789", "+86 12345678"])
def test_registration_without_a_good_mobile_number_shows_a_form_error(client, sms, mobile):
    response = client.post(REGISTER_URL, _register_data(mobile=mobile))

    assert response.status_code == 400
    assert response.context["form"].errors["mobile"]
    assert "error-summary" in response.text
    assert sms.SENT == []


def test_registering_a_number_that_has_an_account_tells_nothing_on_the_page(client, sms):
    CitizenFactory(mobile="13912340000")

    response = client.post(REGISTER_URL, _register_data(mobile="+86 139-1234-0000"))

    # The same answer as for a free number ...
    assert response.status_code == 302 and response.url == REGISTER_CONFIRM_URL
    # ... and the number's owner is told, without a code.
    (text,) = sms.texts_to("13912340000")
    assert "已有账户" in text or "already has one" in text
    assert not any(ch.isdigit() for ch in text.replace("13912340000", ""))
    refused = client.post(REGISTER_CONFIRM_URL, {"code": "123456"})
    assert refused.status_code == 400
    assert get_user_model().objects.count() == 1


def test_registration_with_full_width_digits_does_not_create_a_second_account(client, sms):
    CitizenFactory(mobile="13812345678")

    assert client.post(REGISTER_URL, _register_data(mobile="13８１２３４５６７８")).status_code == 302
    assert "已有账户" in sms.texts_to("13812345678")[0] or "already has one" in sms.texts_to("13812345678")[0]
    assert get_user_model().objects.count() == 1


def test_registration_with_an_email_another_account_has_is_refused_after_the_code(client, sms):
    CitizenFactory(email="li.si@example.cn")

    response = _register(client, sms, email="LI.SI@example.cn")

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert get_user_model().objects.count() == 1


def test_codes_for_one_number_come_at_most_every_minute_and_five_an_hour(client, sms, settings):
    client.post(REGISTER_URL, _register_data())
    again = client.post(REGISTER_CONFIRM_URL, {"action": "resend"})
    assert again.status_code == 429 and 0 < int(again["Retry-After"]) <= 60
    settings.PHONE_CODE_RESEND_SECONDS = 0
    for _ in range(4):
        assert client.post(REGISTER_CONFIRM_URL, {"action": "resend"}).status_code == 302
    refused = client.post(REGISTER_CONFIRM_URL, {"action": "resend"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert len(sms.texts_to("13912340000")) == 5


def test_registration_with_different_passwords_shows_an_error_on_the_second(client):
    response = client.post(REGISTER_URL, _register_data(password_again="Something-Else-99"))

    assert response.status_code == 400
    assert response.context["form"].errors["password_again"]
    assert not get_user_model().objects.exists()


def test_registration_with_a_weak_password_shows_an_error(client):
    response = client.post(REGISTER_URL, _register_data(password="12345678", password_again="12345678"))

    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    assert not get_user_model().objects.exists()


# --- sign-in page -------------------------------------------------------------------------------


def test_signin_page_shows_the_form(client):
    response = client.get(SIGNIN_URL)

    assert response.status_code == 200
    assert 'name="username"' in response.text


def test_signin_with_a_mobile_number_signs_the_citizen_in(client):
    citizen = CitizenFactory(mobile="13800000007")

    response = client.post(SIGNIN_URL, {"username": "13800000007", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_signin_follows_the_next_address(client):
    CitizenFactory(mobile="13800000008")
    target = reverse("applications:mine")

    response = client.post(SIGNIN_URL, {"username": "13800000008", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response.url == target


def test_signin_with_an_email_in_another_letter_case_signs_the_citizen_in(client):
    citizen = CitizenFactory(email="zhao@example.cn")

    response = client.post(SIGNIN_URL, {"username": "ZHAO@example.cn", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(citizen.pk)


def test_signin_with_a_wrong_password_shows_an_error_and_does_not_sign_in(client):
    CitizenFactory(mobile="13800000009")

    response = client.post(SIGNIN_URL, {"username": "13800000009", "password": "wrong-password"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "error-summary" in response.text
    assert "_auth_user_id" not in client.session


def test_signin_with_an_unknown_account_shows_an_error_not_a_server_error(client):
    response = client.post(SIGNIN_URL, {"username": "13899999999", "password": "whatever-it-is"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
