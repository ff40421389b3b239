"""What every answer tells the browser: run only the portal's own scripts and styles (a
strict Content-Security-Policy, no inline code), use no camera, microphone or location, and
keep nothing that was shown to someone signed in."""

import pytest
from django.test import Client

from services.accounts.tokens import token_issue
from tests.factories import CitizenFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }


@pytest.mark.parametrize("url", ["/", "/services/", "/accounts/signin/", "/verify/", "/open-data/", "/no-such-page/"])
def test_every_page_carries_a_strict_content_security_policy(url):
    response = Client().get(url)
    policy = _policy(response)
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data:"  # the charts are SVG images in data: URLs


def test_the_api_documentation_alone_may_style_inline():
    policy = _policy(Client().get("/api/docs/"))
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"


def test_no_page_may_use_the_camera_the_microphone_or_the_location():
    header = Client().get("/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in header


def test_pages_shown_to_someone_signed_in_are_not_stored():
    client = Client()
    client.force_login(CitizenFactory())
    for url in ("/my/applications/", "/services/", "/inbox/"):
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url
    staff = Client()
    staff.force_login(StaffFactory())
    assert "no-store" in staff.get("/workbench/")["Cache-Control"]


def test_api_answers_for_a_token_are_not_stored(api_client):
    citizen = CitizenFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=citizen)[1]}")
    assert "no-store" in api_client.get("/api/v1/applications/")["Cache-Control"]


def test_a_public_page_for_a_visitor_is_not_marked_personal():
    assert "no-store" not in Client().get("/services/").get("Cache-Control", "")
