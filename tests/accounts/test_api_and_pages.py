"""Accounts through the API and the pages: tokens, registration, sign-in."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from services.accounts.constants import UserKind
from tests.factories import PASSWORD, CitizenFactory, StaffFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REGISTER_URL = "/accounts/register/"
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


def test_a_new_password_is_stored_as_an_argon2_hash(client, production_hashers):
    client.post(REGISTER_URL, _register_data())

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
    assert response.json()["token"] == citizen.auth_token.key


def test_token_is_issued_for_a_mobile_number_written_with_country_code_and_spaces(api_client):
    CitizenFactory(mobile="13800000002")

    response = api_client.post(TOKEN_URL, {"username": "+86 138 0000 0002", "password": PASSWORD}, format="json")

    assert response.status_code == 200


def test_token_is_issued_for_an_email_whatever_its_letter_case(api_client):
    citizen = CitizenFactory(email="wang.xiaoming@example.cn")

    response = api_client.post(TOKEN_URL, {"username": "Wang.XiaoMing@EXAMPLE.cn", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["token"] == citizen.auth_token.key


def test_token_is_issued_for_a_staff_username(api_client):
    staff = StaffFactory(username="reviewer.zhang")

    response = api_client.post(TOKEN_URL, {"username": "reviewer.zhang", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["kind"] == UserKind.STAFF
    assert response.json()["token"] == staff.auth_token.key


def test_the_same_token_is_returned_on_each_request(api_client):
    CitizenFactory(mobile="13800000003")
    body = {"username": "13800000003", "password": PASSWORD}

    first = api_client.post(TOKEN_URL, body, format="json").json()["token"]
    second = api_client.post(TOKEN_URL, body, format="json").json()["token"]

    assert first == second


def test_token_with_a_wrong_password_is_refused_with_a_message(api_client):
    CitizenFactory(mobile="13800000004")

    response = api_client.post(TOKEN_URL, {"username": "13800000004", "password": "wrong-password"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.json()["errors"]["__all__"][0].strip()
    assert response.json()["detail"] == response.json()["errors"]["__all__"][0]
    assert "token" not in response.json()


def test_token_for_an_unknown_account_is_refused_like_a_wrong_password(api_client):
    CitizenFactory(mobile="13800000005")
    wrong_password = api_client.post(TOKEN_URL, {"username": "13800000005", "password": "nope-nope"}, format="json")

    unknown = api_client.post(TOKEN_URL, {"username": "13899999999", "password": "nope-nope"}, format="json")

    assert unknown.status_code == 400
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


def test_registration_creates_a_citizen_and_signs_them_in(client):
    response = client.post(REGISTER_URL, _register_data(mobile="139 1234 0000"))

    assert response.status_code == 302
    assert response.url == reverse("applications:mine")
    user = get_user_model().objects.get(mobile="13912340000")
    assert user.kind == UserKind.CITIZEN
    assert user.full_name == "李四"
    assert user.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("applications:mine")).status_code == 200


def test_registration_with_an_email_only_stores_it_in_lower_case(client):
    response = client.post(REGISTER_URL, _register_data(mobile="", email="Li.Si@Example.CN"))

    assert response.status_code == 302
    user = get_user_model().objects.get(email="li.si@example.cn")
    assert user.mobile is None
    assert user.is_citizen


@pytest.mark.parametrize("mobile", ["12345", "23812345678", "1381234567a", "138123456789", "+86 12345678"])
def test_registration_with_a_malformed_mobile_number_shows_a_form_error(client, mobile):
    response = client.post(REGISTER_URL, _register_data(mobile=mobile))

    assert response.status_code == 200
    assert response.context["form"].errors["mobile"]
    assert "error-summary" in response.text
    assert not get_user_model().objects.exists()
    assert "_auth_user_id" not in client.session


def test_registration_with_full_width_digits_does_not_create_a_second_account_for_a_taken_number(client):
    CitizenFactory(mobile="13812345678")

    response = client.post(REGISTER_URL, _register_data(mobile="13８１２３４５６７８"))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert get_user_model().objects.count() == 1


def test_registration_with_a_mobile_number_already_registered_shows_an_error(client):
    CitizenFactory(mobile="13912340000")

    response = client.post(REGISTER_URL, _register_data(mobile="13912340000"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "error-summary" in response.text
    assert get_user_model().objects.filter(mobile="13912340000").count() == 1
    assert "_auth_user_id" not in client.session


def test_registration_with_a_taken_mobile_number_in_another_spelling_shows_an_error(client):
    CitizenFactory(mobile="13912340000")

    response = client.post(REGISTER_URL, _register_data(mobile="+86 139-1234-0000"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert get_user_model().objects.count() == 1


def test_registration_with_an_email_already_registered_in_another_case_shows_an_error(client):
    CitizenFactory(email="li.si@example.cn")

    response = client.post(REGISTER_URL, _register_data(mobile="", email="LI.SI@example.cn"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert get_user_model().objects.count() == 1


def test_registration_without_mobile_or_email_shows_an_error(client):
    response = client.post(REGISTER_URL, _register_data(mobile="", email=""))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not get_user_model().objects.exists()


def test_registration_with_different_passwords_shows_an_error_on_the_second(client):
    response = client.post(REGISTER_URL, _register_data(password_again="Something-Else-99"))

    assert response.status_code == 200
    assert response.context["form"].errors["password_again"]
    assert not get_user_model().objects.exists()


def test_registration_with_a_weak_password_shows_an_error(client):
    response = client.post(REGISTER_URL, _register_data(password="12345678", password_again="12345678"))

    assert response.status_code == 200
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
