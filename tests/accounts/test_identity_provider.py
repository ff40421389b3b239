"""Staff sign in through the government's identity provider (OpenID Connect), tested against
a real provider started locally (tests/oidc, the Node package oidc-provider) over real HTTP:
the portal's live server and the provider talk to each other as in production, and the
person is a requests session following the redirects. The provider's groups give the roles,
through the mapping kept in the admin; a group that maps to no role gets a clear refusal and
nothing else; a second factor at the provider counts, otherwise the portal asks its own."""

import logging
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from services.accounts.constants import StaffRole, UserKind
from services.accounts.models import Membership, ProviderAccount, ProviderGroup
from services.audit.models import AuditEvent
from tests.factories import CitizenFactory, DepartmentFactory, StaffFactory

TIMEOUT = 10


@pytest.fixture
def departments(transactional_db):
    """Two departments, and the groups of the provider a system administrator mapped."""
    psb = DepartmentFactory(code="psb", name_zh="公安局", name_en="Public Security Bureau")
    amr = DepartmentFactory(code="amr", name_zh="市场监管局", name_en="Market Regulation")
    ProviderGroup.objects.create(group="psb-reviewers", department=psb, role=StaffRole.REVIEWER)
    ProviderGroup.objects.create(group="amr-clerks", department=amr, role=StaffRole.CLERK)
    ProviderGroup.objects.create(group="city-audit", department=None, role=StaffRole.AUDITOR)
    return {"psb": psb, "amr": amr}


def _account(sub: str, *, groups: list[str], amr: list[str] | None = None, **claims) -> dict:
    return {"sub": sub, "name": "李审批", "preferred_username": "li.reviewer", "groups": groups, "amr": amr} | claims


def _browser(language: str = "zh-CN") -> requests.Session:
    http = requests.Session()
    http.headers["Accept-Language"] = language
    return http


def _roles(user) -> set[tuple[str | None, str, bool]]:
    return {
        (m.department.code if m.department else None, m.role, m.from_provider)
        for m in Membership.objects.filter(user=user).select_related("department")
    }


def _post_form(http: requests.Session, page: requests.Response, action: str, **data) -> requests.Response:
    """Send a form of the portal's page, with its CSRF token, as the browser would."""
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return http.post(
        f"{_origin(page.url)}{action}",
        data=data | {"csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
        timeout=TIMEOUT,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_a_mapped_reviewer_signs_in_through_the_provider_and_reaches_the_workbench(
    identity_provider, live_server, departments, caplog
):
    identity_provider.accounts({"li": _account("sub-li-0001", groups=["psb-reviewers"], amr=["pwd", "otp"])})
    http = _browser()

    with caplog.at_level(logging.INFO, logger="services.security"):
        landed = identity_provider.sign_in(http, live_server.url, "li")

    assert landed.status_code == 200
    assert landed.url == f"{live_server.url}/workbench/"
    account = ProviderAccount.objects.select_related("user").get(issuer=identity_provider.issuer)
    assert account.subject == "sub-li-0001" and account.last_sign_in_at is not None
    user = account.user
    assert user.kind == UserKind.STAFF and not user.is_staff and not user.is_superuser
    assert user.username == "li.reviewer" and user.full_name == "李审批"
    assert not user.has_usable_password()  # it signs in through the provider only
    assert _roles(user) == {("psb", StaffRole.REVIEWER, True)}
    assert "signed in through the identity provider" in caplog.text
    assert AuditEvent.objects.filter(action="sign_in", actor_id=user.pk).exists()
    role = AuditEvent.objects.get(action="membership_added", object_id=user.username)
    assert role.detail["from"] == "identity provider" and role.detail["role"] == StaffRole.REVIEWER


def test_a_group_that_maps_to_no_role_is_refused_clearly_with_no_account_and_no_session(
    identity_provider, live_server, departments, caplog
):
    identity_provider.accounts({"wang": _account("sub-wang", groups=["canteen", "sports-club"], amr=["mfa"])})
    http = _browser()

    with caplog.at_level(logging.WARNING, logger="services.security"):
        refused = identity_provider.sign_in(http, live_server.url, "wang")

    assert refused.status_code == 403
    assert refused.url.startswith(f"{live_server.url}/accounts/oidc/callback/")
    assert "您在政务统一身份认证平台的用户组未在本平台对应任何角色" in refused.text
    assert "canteen、sports-club" in refused.text  # what to tell the administrator
    assert "系统管理员" in refused.text  # whom to ask
    assert not get_user_model().objects.exists()
    assert not ProviderAccount.objects.exists()
    assert http.get(f"{live_server.url}/workbench/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
    assert "no group maps to a role" in caplog.text
    refusal = AuditEvent.objects.get(action="sign_in_failed")
    assert refusal.outcome == "refused" and refusal.detail["reason"] == "no_role"
    assert refusal.detail["groups"] == ["canteen", "sports-club"]

    english = _browser("en")
    refused = identity_provider.sign_in(english, live_server.url, "wang")
    assert refused.status_code == 403
    assert "identity provider give you no role in this portal." in refused.text
    assert "system administrator" in refused.text


def test_groups_taken_away_at_the_provider_take_their_roles_away_at_the_next_sign_in(
    identity_provider, live_server, departments
):
    groups = ["psb-reviewers", "amr-clerks", "city-audit", "canteen"]
    identity_provider.accounts({"li": _account("sub-li", groups=groups, amr=["mfa"])})
    identity_provider.sign_in(_browser(), live_server.url, "li")
    user = ProviderAccount.objects.get().user
    assert _roles(user) == {
        ("psb", StaffRole.REVIEWER, True),
        ("amr", StaffRole.CLERK, True),
        (None, StaffRole.AUDITOR, True),
    }
    # A role given in the portal itself is not the provider's to take away.
    Membership.objects.create(user=user, department=departments["amr"], role=StaffRole.DEPARTMENT_ADMIN)

    identity_provider.accounts({"li": _account("sub-li", groups=["psb-reviewers"], amr=["mfa"], name="李审核")})
    landed = identity_provider.sign_in(_browser(), live_server.url, "li")

    assert landed.url == f"{live_server.url}/workbench/"
    assert _roles(user) == {("psb", StaffRole.REVIEWER, True), ("amr", StaffRole.DEPARTMENT_ADMIN, False)}
    user.refresh_from_db()
    assert user.full_name == "李审核"  # the provider keeps the name too

    # Every group gone: refused, and the provider's last role goes with them.
    identity_provider.accounts({"li": _account("sub-li", groups=[], amr=["mfa"])})
    refused = identity_provider.sign_in(_browser(), live_server.url, "li")

    assert refused.status_code == 403
    assert _roles(user) == {("amr", StaffRole.DEPARTMENT_ADMIN, False)}


def test_a_second_factor_at_the_provider_counts_and_without_one_the_portal_asks_its_own(
    identity_provider, live_server, departments
):
    identity_provider.accounts(
        {
            "with": _account("sub-with", groups=["psb-reviewers"], amr=["pwd", "hwk"], preferred_username="zhao"),
            "without": _account("sub-without", groups=["psb-reviewers"], amr=["pwd"], preferred_username="qian"),
        }
    )
    trusted = identity_provider.sign_in(_browser(), live_server.url, "with")
    assert trusted.url == f"{live_server.url}/workbench/"
    assert not TOTPDevice.objects.filter(user__username="zhao").exists()

    http = _browser()
    asked = identity_provider.sign_in(http, live_server.url, "without")

    assert asked.url == f"{live_server.url}/accounts/second-factor/?next=/workbench/"
    assert http.get(f"{live_server.url}/workbench/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
    # The first time, the authenticator app is set up; its first code opens the workbench.
    device = TOTPDevice.objects.get(user__username="qian", confirmed=False)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    done = _post_form(http, asked, "/accounts/second-factor/", code=code, next="/workbench/")
    assert done.status_code == 200 and "codes" in done.text
    assert http.get(f"{live_server.url}/workbench/", timeout=TIMEOUT).status_code == 200


def test_the_providers_second_factor_goes_with_the_session(identity_provider, live_server, departments):
    identity_provider.accounts({"li": _account("sub-li", groups=["psb-reviewers"], amr=["mfa"])})
    http = _browser()
    landed = identity_provider.sign_in(http, live_server.url, "li")
    user = ProviderAccount.objects.get().user

    at_provider = _post_form(http, landed, "/accounts/signout/")

    # The provider's session ends too, so the next person at this computer is asked who they are.
    assert at_provider.url.startswith(f"{identity_provider.issuer}/session/end?id_token_hint=")
    action = re.search(r'<form id="op.logoutForm" method="post" action="([^"]+)"', at_provider.text).group(1)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', at_provider.text).group(1)
    signed_out = http.post(urljoin(at_provider.url, action), data={"xsrf": xsrf, "logout": "yes"}, timeout=TIMEOUT)
    assert signed_out.url == f"{live_server.url}/"
    assert http.get(f"{live_server.url}/workbench/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
    login_page = http.get(f"{live_server.url}/accounts/oidc/start/", timeout=TIMEOUT)
    assert login_page.url.startswith(f"{identity_provider.issuer}/interaction/")
    # A password sign-in of the same person in a new session is asked for the portal's code.
    client = _django_client_signed_in_without_second_factor(user)
    assert client.get("/workbench/").status_code == 302


def _django_client_signed_in_without_second_factor(user):
    from django.test import Client

    client = Client()
    client.force_login(user, second_factor=False)
    return client


def test_a_citizens_account_is_never_taken_over_through_the_provider(identity_provider, live_server, departments):
    citizen = CitizenFactory(mobile="13900000001", email="zhang@example.cn", full_name="张市民")
    # The provider's account names the citizen's user name, name and address: none is matched.
    identity_provider.accounts(
        {
            "zhang": _account(
                "13900000001",
                groups=["psb-reviewers"],
                amr=["mfa"],
                preferred_username="13900000001",
                name="张市民",
                email="zhang@example.cn",
            )
        }
    )
    http = _browser()
    landed = identity_provider.sign_in(http, live_server.url, "zhang")

    assert landed.url == f"{live_server.url}/workbench/"
    staff = ProviderAccount.objects.get().user
    assert staff.pk != citizen.pk and staff.kind == UserKind.STAFF
    assert staff.username.startswith("gov.")  # never a mobile number that a citizen signs in with
    citizen.refresh_from_db()
    assert citizen.kind == UserKind.CITIZEN and not citizen.memberships.exists()
    assert http.get(f"{live_server.url}/my/applications/", allow_redirects=False, timeout=TIMEOUT).status_code == 403

    # Even a subject linked to a citizen's account by mistake signs in as nobody.
    ProviderAccount.objects.filter(user=staff).update(user=citizen)
    staff.delete()
    refused = identity_provider.sign_in(_browser("en"), live_server.url, "zhang")
    assert refused.status_code == 403
    assert "not a staff account" in refused.text
    citizen.refresh_from_db()
    assert citizen.kind == UserKind.CITIZEN and not citizen.memberships.exists()


def test_a_failed_exchange_goes_back_to_the_sign_in_page_and_locks_nobody(identity_provider, live_server, departments):
    http = _browser("en")
    for _try in range(12):  # more than the wrong passwords that lock an account
        sent = http.get(f"{live_server.url}/accounts/oidc/start/", allow_redirects=False, timeout=TIMEOUT)
        assert sent.status_code == 302 and sent.headers["location"].startswith(identity_provider.issuer)
        state = parse_qs(urlsplit(sent.headers["location"]).query)["state"][0]
        # The provider refuses a code it never gave.
        back = http.get(
            f"{live_server.url}/accounts/oidc/callback/", params={"code": "made-up", "state": state}, timeout=TIMEOUT
        )

    assert back.url == f"{live_server.url}/accounts/signin/"
    assert "did not work" in back.text
    assert not AccessAttempt.objects.exists()  # no password was guessed: nothing to count or lock


def test_the_sign_in_page_offers_the_government_account_only_when_it_is_configured(client, db, settings):
    page = client.get("/accounts/signin/?next=/workbench/")
    assert 'id="identity-provider"' not in page.content.decode()
    assert client.get("/accounts/oidc/start/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404

    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_ISSUER = "http://127.0.0.1:9"  # nobody listens there
    page = client.get("/accounts/signin/?next=/workbench/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert 'id="identity-provider" href="/accounts/oidc/start/?next=/workbench/"' in html
    assert "政务账号登录" in html

    unreachable = client.get("/accounts/oidc/start/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert unreachable.redirect_chain == [("/accounts/signin/", 302)]
    assert "cannot be reached now" in unreachable.content.decode()


def test_a_password_sign_in_never_goes_near_the_provider(client, db, settings):
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_ISSUER = "http://127.0.0.1:9"
    staff = StaffFactory(username="reviewer.li")

    from tests.factories import PASSWORD

    signed_in = client.post("/accounts/signin/", {"username": "reviewer.li", "password": PASSWORD})

    assert signed_in.status_code == 302
    assert int(client.session["_auth_user_id"]) == staff.pk
    assert client.session["_auth_user_backend"] == "services.accounts.backends.MobileOrEmailBackend"
