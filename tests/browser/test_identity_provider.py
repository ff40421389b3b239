"""A member of staff on a phone signs in with the government account: from the sign-in page's
link, through the identity provider's own login page (a real OpenID Connect provider started
locally, tests/oidc), to the workbench; signing out ends the provider's session too. The
Content-Security-Policy refuses nothing on the way: the start is a link, and the sign-out
form's redirect goes to the provider's origin, which form-action allows when it is
configured. Someone whose groups give no role sees why, in Chinese."""

import re

import pytest
from playwright.sync_api import expect

from services.accounts.constants import StaffRole
from services.accounts.models import Membership, ProviderGroup
from tests.browser.a11y import axe_violations, describe_violations
from tests.browser.helpers import assert_fits_phone
from tests.factories import DepartmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def mapped(transactional_db):
    psb = DepartmentFactory(code="psb", name_zh="公安局", name_en="Public Security Bureau")
    ProviderGroup.objects.create(group="psb-reviewers", department=psb, role=StaffRole.REVIEWER)


def _sign_in_at_the_provider(page, issuer: str, login: str) -> None:
    expect(page).to_have_url(re.compile(rf"^{re.escape(issuer)}/interaction/"))
    page.locator("#login").fill(login)
    page.locator("#sign-in").tap()


def test_staff_sign_in_with_the_government_account_and_sign_out_of_both(new_page, identity_provider, mapped):
    reviewer = {"sub": "sub-li", "name": "李审批", "preferred_username": "li", "groups": ["psb-reviewers"]}
    reviewer["amr"] = ["pwd", "mfa"]
    identity_provider.accounts({"li": reviewer})
    page = new_page()
    page.goto("/workbench/")
    expect(page).to_have_url("/accounts/signin/?next=/workbench/")
    link = page.locator("main a#identity-provider")
    expect(link).to_have_attribute("href", "/accounts/oidc/start/?next=/workbench/")
    assert_fits_phone(page)
    violations = axe_violations(page)
    assert violations == [], describe_violations(page.url, violations)

    link.tap()
    _sign_in_at_the_provider(page, identity_provider.issuer, "li")

    expect(page).to_have_url("/workbench/")
    expect(page.locator("header nav a[href='/workbench/']")).to_be_visible()
    assert Membership.objects.filter(user__username="li", department__code="psb", role=StaffRole.REVIEWER).exists()

    page.locator("header nav form[action='/accounts/signout/'] button").tap()
    expect(page).to_have_url(re.compile(rf"^{re.escape(identity_provider.issuer)}/session/end"))
    page.locator("#sign-out").tap()

    expect(page).to_have_url("/")
    expect(page.locator("header nav a[href='/accounts/signin/']")).to_be_visible()
    # The provider forgot the person too: the next sign-in asks who it is.
    page.goto("/accounts/oidc/start/")
    expect(page).to_have_url(re.compile(rf"^{re.escape(identity_provider.issuer)}/interaction/"))
    assert page.errors == []


def test_someone_whose_groups_give_no_role_is_told_why_in_chinese(new_page, identity_provider, mapped):
    identity_provider.accounts({"wang": {"sub": "sub-wang", "name": "王食堂", "groups": ["canteen"], "amr": ["mfa"]}})
    page = new_page()
    page.goto("/accounts/signin/")
    page.locator("main a#identity-provider").tap()
    _sign_in_at_the_provider(page, identity_provider.issuer, "wang")

    expect(page).to_have_url(re.compile(r"/accounts/oidc/callback/"))
    expect(page.locator("main h1")).to_have_text("您无法登录本平台")
    expect(page.locator("main")).to_contain_text("canteen")
    expect(page.locator("header nav a[href='/accounts/signin/']")).to_be_visible()  # not signed in
    assert_fits_phone(page)
    violations = axe_violations(page)
    assert violations == [], describe_violations(page.url, violations)
