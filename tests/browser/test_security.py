"""A security administrator on a phone: the alert in the inbox, the security page, the
evidence, the acknowledgment with a note; and the audit trail."""

import pytest
from playwright.sync_api import expect

from services.audit.constants import Action
from services.audit.models import AuditEvent
from services.monitoring.actions import monitoring_evaluate
from services.monitoring.models import Alert
from tests.browser.a11y import axe_violations, describe_violations
from tests.browser.helpers import assert_fits_phone, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def _axe(page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe_violations(page.url, violations)


def test_a_security_administrator_answers_an_alert(new_page, demo, screenshot):
    for _ in range(6):  # wrong passwords for one account, from one address
        AuditEvent.objects.create(
            action=Action.SIGN_IN_FAILED, actor="13800138002", address="203.0.113.50", outcome="failure"
        )
    assert [a.rule for a in monitoring_evaluate()] == ["sign_in_failures_account"]

    page = new_page()
    sign_in(page, "security", demo)
    page.locator("header nav a[href='/security/']").tap()
    expect(page).to_have_url("/security/")
    expect(page.locator("main .card-list li.card.needs")).to_have_count(1)
    assert_fits_phone(page)
    _axe(page)
    screenshot(page, "staff-security")

    page.locator("main .card-list li.card.needs a").tap()
    expect(page.locator("main table.queue tbody tr")).to_have_count(6)
    page.locator("main form button[type=submit]").tap()
    expect(page.locator(".error-summary")).to_be_visible()
    _axe(page)
    page.locator("#note").fill("已电话联系李娜本人：忘记密码，已指导其通过短信重置。")
    page.locator("main form button[type=submit]").tap()
    expect(page.locator("main form textarea#note")).to_have_count(0)
    assert Alert.objects.get().status == "acknowledged"
    assert_fits_phone(page)

    page.goto("/security/audit/")
    expect(page.locator("main table.queue tbody tr").first).to_be_visible()
    _axe(page)
    assert page.errors == []
