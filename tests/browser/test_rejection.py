"""A reviewer says no: with a reason the citizen reads; without one, nothing is decided."""

import re

import pytest
from playwright.sync_api import expect

from services.casework.models import Application, CaseEvent, Step
from tests.browser.helpers import (
    DEMO_CITIZEN,
    assert_fits_phone,
    open_from_nav,
    open_step_from_workbench,
    sign_in,
    submit_case,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

REASON = "经营场所使用证明已过期，请补充有效证明后重新申请。"


def test_reviewer_rejects_with_a_reason_and_the_citizen_reads_it(new_page, demo):
    reference = submit_case()

    amr = new_page()
    sign_in(amr, "amr.reviewer", demo)
    open_step_from_workbench(amr, reference)
    panel = amr.locator("#decision-panel")
    panel.locator("textarea#reason[name=reason]").fill(REASON)
    panel.locator("button[name=decision][value=reject]").tap()
    expect(panel.locator(".status-rejected")).to_be_visible()
    expect(panel.locator(".note")).to_have_text(REASON)
    expect(panel.locator("button[name=decision]")).to_have_count(0)
    assert_fits_phone(amr)

    application = Application.objects.get(reference=reference)
    assert application.status == "rejected"
    assert application.decided_at is not None
    step = Step.objects.get(application=application)
    assert (step.status, step.reason) == ("rejected", REASON)

    # The step leaves the queue.
    open_from_nav(amr, "/workbench/")
    expect(amr.locator("table.queue a", has_text=reference)).to_have_count(0)

    citizen = new_page()
    sign_in(citizen, DEMO_CITIZEN, demo)
    open_from_nav(citizen, "/my/applications/")
    card = citizen.locator("ul.card-list .card", has_text=reference)
    expect(card.locator(".status-rejected")).to_be_visible()
    card.locator(f"a[href='/my/applications/{reference}/']").tap()
    status = citizen.locator("#case-status")
    expect(status.locator(".status-rejected")).to_be_visible()
    # The reason is shown once, with the department that gave it.
    step_rejected = status.locator(".timeline > li.timeline-step_rejected")
    expect(step_rejected).to_have_count(1)
    expect(step_rejected.locator(".note")).to_contain_text(REASON)
    expect(status.locator(".timeline > li.timeline-rejected")).to_have_count(1)
    expect(status.locator(".timeline .note")).to_have_count(1)
    assert_fits_phone(citizen)

    for page in (amr, citizen):
        assert page.errors == [], page.errors


def _open_case_step(new_page, demo, *, javascript: bool = True):
    reference = submit_case()
    application = Application.objects.get(reference=reference)
    amr = new_page(javascript=javascript)
    sign_in(amr, "amr.reviewer", demo)
    open_step_from_workbench(amr, reference)
    return amr, application


def _assert_nothing_decided(application, events_before: int) -> None:
    application.refresh_from_db()
    assert application.status == "in_review"
    assert application.decided_at is None
    assert Step.objects.get(application=application).status == "open"
    assert CaseEvent.objects.filter(application=application).count() == events_before


def test_rejecting_without_a_reason_shows_an_error_and_decides_nothing(new_page, demo):
    """Through htmx, as a reviewer with JavaScript uses it: the refusal is a 400 whose
    fragment (the panel with its error) must be swapped in, not dropped."""
    amr, application = _open_case_step(new_page, demo)
    events_before = CaseEvent.objects.filter(application=application).count()
    panel = amr.locator("#decision-panel")
    expect(panel.locator("#reason")).to_have_value("")

    with amr.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/decide/")) as sent:
        panel.locator("button[name=decision][value=reject]").tap()
    response = sent.value
    assert response.request.headers.get("hx-request") == "true"
    assert response.status == 400

    # The error shows in the panel, swapped in place (no page load); the form is still there.
    expect(panel.locator(".error-summary[role=alert]")).to_be_visible()
    expect(amr).to_have_url(re.compile(r"/workbench/steps/\d+/$"))
    expect(panel.locator("button[name=decision][value=approve]")).to_be_visible()
    expect(panel.locator(".status-rejected")).to_have_count(0)
    assert_fits_phone(amr)
    _assert_nothing_decided(application, events_before)

    # With a reason, the same form now decides.
    panel.locator("#reason").fill(REASON)
    panel.locator("button[name=decision][value=reject]").tap()
    expect(panel.locator(".status-rejected")).to_be_visible()
    expect(panel.locator(".error-summary")).to_have_count(0)
    application.refresh_from_db()
    assert application.status == "rejected"
    assert amr.errors == [], amr.errors


def test_rejecting_with_a_blank_reason_without_javascript_shows_an_error_and_decides_nothing(new_page, demo):
    """The same refusal through the plain form post (no JavaScript, or before htmx loads):
    a reason of only spaces counts as none."""
    amr, application = _open_case_step(new_page, demo, javascript=False)
    events_before = CaseEvent.objects.filter(application=application).count()
    step_url = amr.url
    panel = amr.locator("#decision-panel")
    panel.locator("#reason").fill("   ")
    with amr.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/decide/")) as sent:
        panel.locator("button[name=decision][value=reject]").tap()
    assert sent.value.status == 400

    expect(amr).to_have_url(step_url + "decide/")
    expect(panel.locator(".error-summary[role=alert]")).to_be_visible()
    expect(panel.locator("button[name=decision][value=reject]")).to_be_visible()
    expect(panel.locator(".status-rejected")).to_have_count(0)
    assert_fits_phone(amr)
    _assert_nothing_decided(application, events_before)
