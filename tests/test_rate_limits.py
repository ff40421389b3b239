"""Rate limits on the public and the state-changing endpoints: past the rate, a page answers
429 with a page that says how long to wait and the API its error body, both with
Retry-After; the limit counts per address for the public, per account for what a signed-in
person does; a forged X-Forwarded-For changes nothing; signing in is left to its own guard."""

from itertools import count

import pytest
from django.test import Client

from portal.ratelimits import LIMITS
from tests.factories import CitizenFactory, DepartmentFactory, staff_of

pytestmark = pytest.mark.django_db
_forged = count(1)


def _anyone() -> Client:
    """A client with a new forged X-Forwarded-For on each request, as an attacker would send."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    original = client.request

    def request(**kwargs):
        kwargs["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{next(_forged) % 250 + 1}"
        return original(**kwargs)

    client.request = request  # type: ignore[method-assign]
    return client


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("/verify/NOT-A-CODE/", "verify"),
        ("/verify/?code=ABC", "verify"),
        ("/api/v1/licences/verify/NOT-A-CODE/", "verify"),
        ("/open-data/", "open-data"),
        ("/api/v1/open-data/statistics/", "open-data"),
    ],
)
def test_the_public_endpoints_are_limited_per_address(settings, path, group):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {group: "3/m"}
    client = _anyone()

    answers = [client.get(path) for _ in range(4)]

    assert [a.status_code for a in answers[:3]] == [answers[0].status_code] * 3
    assert answers[0].status_code in (200, 302, 404)
    refused = answers[3]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()["detail"] if path.startswith("/api/") else refused.content.decode()
    assert "Too many requests. Wait" in body


def test_a_refusal_is_in_the_users_language(settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"verify": "1/m"}
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.get("/verify/NOT-A-CODE/")

    refused = client.get("/verify/NOT-A-CODE/")

    assert refused.status_code == 429
    assert "请求过于频繁" in refused.content.decode()


def test_submissions_are_limited_per_account_on_the_page_and_the_api(settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"submit": "2/h"}
    citizen = CitizenFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen)

    # The limit counts before the view: what the submission says does not matter here.
    first = client.post("/services/no-such-service/apply/check/", {})
    second = client.post("/api/v1/applications/", {}, content_type="application/json")
    third = client.post("/api/v1/applications/", {}, content_type="application/json")
    page = client.post("/services/no-such-service/apply/check/", {})

    assert first.status_code != 429 and second.status_code != 429
    assert third.status_code == 429 and third.json()["code"] == "too_many_requests"
    assert page.status_code == 429 and page["Retry-After"]
    # Another citizen is not held up.
    other = Client()
    other.force_login(CitizenFactory())
    assert other.post("/api/v1/applications/", {}, content_type="application/json").status_code != 429


def test_token_submissions_count_per_account_not_per_address_and_the_token_is_checked_once(
    settings, django_assert_num_queries
):
    """An integration sends for many residents from one address: each account has its own
    budget; a refused token counts for the address."""
    from services.accounts.tokens import token_issue

    settings.RATE_LIMITS = settings.RATE_LIMITS | {"submit": "2/h", "writes-anonymous": "100/h"}
    clients = []
    for _ in range(2):
        client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {token_issue(user=CitizenFactory())[1]}")
        client.get("/api/v1/applications/")  # notes the token's first use
        clients.append(client)
    first, second = clients

    statuses = [first.post("/api/v1/applications/", {}, content_type="application/json").status_code for _ in range(3)]
    assert statuses[:2] == [400, 400] and statuses[2] == 429
    assert second.post("/api/v1/applications/", {}, content_type="application/json").status_code == 400
    # The token is looked up once (with its account), for the limit and the API alike.
    with django_assert_num_queries(1):
        assert second.post("/api/v1/applications/", [], content_type="application/json").status_code == 400
    refused = Client(HTTP_AUTHORIZATION="Token not-a-token-at-all").post(
        "/api/v1/applications/", {}, content_type="application/json"
    )
    assert refused.status_code == 401


def test_reveals_are_limited_per_staff_member(settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"reveal": "2/h"}
    DepartmentFactory(code="psb")
    client = Client()
    client.force_login(staff_of("psb"))

    answers = [client.post("/api/v1/tasks/999999/reveal/", {"field": "x", "reason": "y"}) for _ in range(3)]
    page = client.post("/workbench/steps/999999/reveal/", {"field": "x", "reason": "y"})

    assert [a.status_code for a in answers] == [404, 404, 429]
    assert page.status_code == 429


def test_every_other_change_counts_towards_a_general_limit(settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"writes": "3/m", "writes-anonymous": "2/m"}
    citizen = Client()
    citizen.force_login(CitizenFactory())
    statuses = [citizen.post("/api/v1/notifications/read/").status_code for _ in range(4)]
    assert statuses[-1] == 429 and 429 not in statuses[:3]

    anyone = _anyone()
    statuses = [anyone.post("/preferences/elder-mode/", {"on": "1"}).status_code for _ in range(3)]
    assert statuses[-1] == 429 and 429 not in statuses[:2]


def test_signing_in_is_left_to_its_own_guard(settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"writes-anonymous": "1/m"}
    client = Client()
    for _ in range(3):
        assert client.post("/accounts/signin/", {"username": "nobody", "password": "wrong"}).status_code == 200


def test_every_limit_has_a_rate_and_names_views_that_exist():
    from django.conf import settings
    from django.urls import URLPattern, URLResolver, get_resolver

    def names(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from names(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}"

    known = set(names(get_resolver().url_patterns))
    for limit in LIMITS:
        assert limit.group in settings.RATE_LIMITS
        assert limit.views <= known, limit.views - known
