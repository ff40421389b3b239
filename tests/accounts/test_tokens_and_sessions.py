"""API tokens that are kept as digests, expire (a citizen's after days, a staff member's after
hours), are listed on "My devices" and revoked there or by signing out through the API; and
sessions that end after a while without activity (staff sooner than citizens) and some hours
after signing in, whatever happens."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from services.accounts.models import ApiToken
from services.accounts.tokens import token_issue
from tests.factories import PASSWORD, CitizenFactory, StaffFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
MINE = "/api/v1/applications/"


def _api(token: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_is_kept_only_as_a_digest():
    citizen = CitizenFactory(mobile="13800000021")

    secret = APIClient().post(TOKEN, {"username": "13800000021", "password": PASSWORD}, format="json").json()["token"]

    stored = ApiToken.objects.get(user=citizen)
    assert secret not in {stored.digest, stored.token_key}
    assert len(stored.digest) == 128  # SHA-512
    assert _api(secret).get(MINE).status_code == 200


def test_a_citizens_token_lasts_days_and_a_staff_members_hours(settings):
    settings.API_TOKEN_DAYS_CITIZEN = 7
    settings.API_TOKEN_HOURS_STAFF = 8
    now = timezone.now()
    citizen_token, _ = token_issue(user=CitizenFactory())
    staff_token, _ = token_issue(user=StaffFactory())

    assert timedelta(days=7) - (citizen_token.expiry - now) < timedelta(minutes=1)
    assert timedelta(hours=8) - (staff_token.expiry - now) < timedelta(minutes=1)


def test_an_expired_token_gets_401_and_use_does_not_prolong_it(settings):
    settings.API_TOKEN_DAYS_CITIZEN = 2
    citizen = CitizenFactory()
    _, secret = token_issue(user=citizen)

    with time_machine.travel(timezone.now() + timedelta(days=1, hours=23)):
        assert _api(secret).get(MINE).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        refused = _api(secret).get(MINE)

    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    assert refused["WWW-Authenticate"] == "Token"
    assert not ApiToken.objects.filter(user=citizen).exists()


def test_a_token_is_checked_with_one_query_whatever_else_the_account_holds(django_assert_num_queries):
    citizen = CitizenFactory()
    for device in ("old phone", "tablet", "laptop"):
        token_issue(user=citizen, device=device)
    _, secret = token_issue(user=citizen, device="phone")
    client = _api(secret)
    assert client.get(MINE).status_code == 200  # notes "last used" once

    # the token (with its account), then the count of the citizen's cases: none to list
    with django_assert_num_queries(2):
        assert client.get(MINE).status_code == 200


def test_the_daily_prune_deletes_expired_tokens_and_sessions_only(settings):
    from django.contrib.sessions.models import Session

    from services.accounts.tasks import prune

    settings.API_TOKEN_DAYS_CITIZEN = 1
    citizen = CitizenFactory()
    token_issue(user=citizen, device="old")
    signed_in = Client()
    signed_in.force_login(citizen)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        token_issue(user=StaffFactory(), device="new")
        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
        assert prune() == {"tokens": 1, "sessions": 1}
        assert ApiToken.objects.count() == 1


def test_signing_out_through_the_api_revokes_that_token_only():
    citizen = CitizenFactory()
    _, phone = token_issue(user=citizen, device="phone")
    _, tablet = token_issue(user=citizen, device="tablet")

    assert _api(phone).post("/api/v1/auth/logout/").status_code == 204

    assert _api(phone).get(MINE).status_code == 401
    assert _api(tablet).get(MINE).status_code == 200
    assert _api(tablet).post("/api/v1/auth/logout-all/").status_code == 204
    assert _api(tablet).get(MINE).status_code == 401


def test_my_devices_lists_the_tokens_and_signs_one_out(client):
    citizen = CitizenFactory()
    phone, phone_secret = token_issue(user=citizen, device="张伟的手机")
    _, tablet_secret = token_issue(user=citizen, device="tablet")
    other, _ = token_issue(user=CitizenFactory(), device="someone else's")
    client.force_login(citizen)

    page = client.get("/accounts/devices/")
    html = page.content.decode()
    assert "张伟的手机" in html and "tablet" in html and "someone else" not in html
    assert phone_secret not in html

    client.post("/accounts/devices/", {"token": phone.token_key})
    assert _api(phone_secret).get(MINE).status_code == 401
    assert _api(tablet_secret).get(MINE).status_code == 200

    # Another account's token is not theirs to revoke.
    client.post("/accounts/devices/", {"token": other.token_key})
    assert ApiToken.objects.filter(digest=other.digest).exists()

    client.post("/accounts/devices/", {"all": "1"})
    assert not ApiToken.objects.filter(user=citizen).exists()


def test_an_account_keeps_only_so_many_tokens_the_oldest_going_first(settings):
    settings.API_TOKENS_PER_ACCOUNT = 3
    citizen = CitizenFactory()
    secrets = [token_issue(user=citizen)[1] for _ in range(4)]

    assert ApiToken.objects.filter(user=citizen).count() == 3
    assert _api(secrets[0]).get(MINE).status_code == 401
    assert _api(secrets[-1]).get(MINE).status_code == 200


def test_a_malformed_token_header_is_refused_clearly():
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION="Token")
    assert client.get(MINE).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token a b")
    assert client.get(MINE).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token " + "x" * 5000)
    assert client.get(MINE).status_code == 401


# --- sessions ------------------------------------------------------------------------------------


def _signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_staff_session_idle_past_its_limit_is_signed_out(settings):
    settings.SESSION_IDLE_MINUTES_STAFF = 30
    staff = StaffFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = _signed_in(staff)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/accounts/devices/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/accounts/devices/").status_code == 200  # activity keeps it alive
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        response = client.get("/accounts/devices/", follow=True)

    assert response.redirect_chain[0][0] == "/accounts/signin/?next=/accounts/devices/"
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_citizen_session_idles_longer_than_a_staff_one(settings):
    settings.SESSION_IDLE_MINUTES_CITIZEN = 120
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = _signed_in(CitizenFactory())
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        assert client.get("/my/applications/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=221), tick=False):
        assert client.get("/my/applications/").status_code == 302


def test_a_session_ends_hours_after_signing_in_however_busy(settings):
    settings.SESSION_MAX_HOURS_CITIZEN = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = _signed_in(CitizenFactory())
    for hour in range(1, 24):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            assert client.get("/my/applications/").status_code == 200
    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        response = client.get("/my/applications/", follow=True)
    assert "24 hours after signing in" in response.content.decode()


def test_an_expired_session_gets_401_from_the_api_and_htmx_is_sent_to_sign_in(settings):
    settings.SESSION_IDLE_MINUTES_CITIZEN = 120
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api_user = _signed_in(CitizenFactory())
        page_user = _signed_in(CitizenFactory())
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        api = api_user.get(MINE)
        htmx = page_user.get("/my/applications/", HTTP_HX_REQUEST="true")

    assert api.status_code == 401
    assert api.json()["code"] == "session_expired"
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"].startswith("/accounts/signin/?next=")


def test_bad_input_to_the_token_api_and_the_devices_page_changes_nothing():
    citizen = CitizenFactory(mobile="13800000031")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    long_name = api.post(TOKEN, {"username": "13800000031", "password": PASSWORD, "device": "x" * 101}, format="json")
    assert long_name.status_code == 400 and "device" in long_name.json()["errors"]
    assert api.post(TOKEN, [1, 2], format="json").status_code == 400
    assert not ApiToken.objects.filter(user=citizen).exists()

    token, _ = token_issue(user=citizen)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen)
    answer = client.post("/accounts/devices/", {"token": "no-such-token"}, follow=True)
    assert "already signed out" in answer.content.decode()
    assert ApiToken.objects.filter(digest=token.digest).exists()
