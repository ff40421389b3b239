"""A staff member's first sign-in on a phone: the password, then the authenticator app set up
from a picture (a QR code the page's Content-Security-Policy lets show), its first code, the
recovery codes shown once, and only then the workbench."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.a11y import axe_violations, describe_violations
from tests.browser.helpers import assert_fits_phone

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_a_staff_members_first_sign_in_sets_up_the_authenticator(new_page, demo, screenshot):
    TOTPDevice.objects.filter(user__username="amr.reviewer").delete()  # a new member of staff
    page = new_page()
    page.goto("/workbench/")
    expect(page).to_have_url("/accounts/signin/?next=/workbench/")
    page.locator("#id_username").fill("amr.reviewer")
    page.locator("#id_password").fill(demo)
    page.locator("main form button[type=submit]").tap()

    expect(page).to_have_url("/accounts/second-factor/?next=/workbench/")
    picture = page.locator("main img[src^='data:image/svg+xml']")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code did not show"
    assert_fits_phone(page)
    violations = axe_violations(page)
    assert violations == [], describe_violations(page.url, violations)
    screenshot(page, "staff-second-factor")

    # The app is set up with the key the page shows, as a phone that cannot scan would be.
    key = page.locator("main code").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user__username="amr.reviewer", confirmed=False)
    assert key == _base32(device.bin_key)
    page.locator("#id_code").fill(f"{TOTP(device.bin_key).token():06d}")
    page.locator("main form button[type=submit]").tap()

    codes = page.locator("main ul.codes li")
    expect(codes).to_have_count(10)
    violations = axe_violations(page)
    assert violations == [], describe_violations(page.url, violations)
    page.locator("main a.button").tap()
    expect(page).to_have_url("/workbench/")
    expect(page.locator("main h1")).to_be_visible()
    assert page.errors == []


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode()
