"""The whole journey on a phone: a citizen applies for "opening a restaurant" (a business
licence, then a food permit and a fire safety check in parallel) and three department steps
decide it, each reviewer in their own browser."""

import re

import pytest
from playwright.sync_api import expect

from services.casework.models import Application, Step
from tests.browser.conftest import REFERENCE_RE
from tests.browser.helpers import (
    DEMO_CITIZEN,
    INVALID_ID_NUMBER,
    RESTAURANT_ANSWERS,
    SERVICE,
    VALID_ID_NUMBER,
    assert_default_language,
    assert_fits_phone,
    assert_tappable,
    open_from_nav,
    open_step_from_workbench,
    sign_in,
)
from tests.factories import SAMPLE_PDF

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def _approve(page) -> None:
    """Approve the open step shown on `page`; the decision panel swaps in place (htmx)."""
    panel = page.locator("#decision-panel")
    panel.locator("button[name=decision][value=approve]").tap()
    expect(panel.locator(".status-approved")).to_be_visible()
    expect(panel.locator("button[name=decision]")).to_have_count(0)


def test_citizen_applies_and_three_department_steps_approve(new_page, demo, screenshot):
    citizen = new_page()
    sign_in(citizen, DEMO_CITIZEN, demo)
    assert_default_language(citizen)

    # The service list.
    open_from_nav(citizen, "/services/")
    guide_link = citizen.locator(f"ul.card-list a[href='/services/{SERVICE}/']")
    expect(guide_link).to_be_visible()
    assert_fits_phone(citizen)
    screenshot(citizen, "citizen-services")

    # The guide shows the two stages; the second has two departments working in parallel.
    guide_link.tap()
    expect(citizen).to_have_url(f"/services/{SERVICE}/")
    stages = citizen.locator("ol.stages > li")
    expect(stages).to_have_count(2)
    expect(stages.nth(0).locator("ul > li")).to_have_count(1)
    expect(stages.nth(1).locator("ul > li")).to_have_count(2)
    expect(citizen.locator("ul.materials > li")).to_have_count(4)
    assert_fits_phone(citizen)
    screenshot(citizen, "citizen-guide")

    # The form, one group of questions a page; the first sent with one mistake: the check
    # character of the ID number.
    citizen.locator(f"main a.button[href='/services/{SERVICE}/apply/']").tap()
    expect(citizen).to_have_url(f"/services/{SERVICE}/apply/applicant/")
    expect(citizen.locator("main form fieldset")).to_have_count(1)
    applicant = {k: v for k, v in RESTAURANT_ANSWERS.items() if k.startswith("applicant_")}
    for name, value in applicant.items():
        citizen.locator(f"main form [name={name}]").fill(value)
    citizen.locator("#id_applicant_id_number").fill(INVALID_ID_NUMBER)
    citizen.locator("main form button[value=next]").tap()

    expect(citizen).to_have_url(f"/services/{SERVICE}/apply/applicant/")
    summary = citizen.locator(".error-summary[role=alert]")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_count(1)
    summary_link = summary.locator("a[href='#id_applicant_id_number']")
    expect(summary_link).to_be_visible()
    expect(citizen.locator(".field-error")).to_have_count(1)
    expect(citizen.locator(".field-error #id_applicant_id_number")).to_be_attached()
    expect(citizen.locator("#id_applicant_id_number-error")).to_be_visible()
    # What the citizen typed is kept, the wrong ID number included.
    expect(citizen.locator("#id_applicant_name")).to_have_value(RESTAURANT_ANSWERS["applicant_name"])
    expect(citizen.locator("#id_applicant_id_number")).to_have_value(INVALID_ID_NUMBER)
    assert Application.objects.count() == 0
    assert_fits_phone(citizen)
    screenshot(citizen, "citizen-apply-error")

    # The summary's link leads to the field; correct it and go on.
    summary_link.tap()
    expect(citizen).to_have_url(re.compile(r"#id_applicant_id_number$"))
    expect(citizen.locator("#id_applicant_id_number")).to_be_in_viewport()
    expect(citizen.locator("#id_applicant_id_number")).to_be_focused()
    citizen.locator("#id_applicant_id_number").fill(VALID_ID_NUMBER)
    citizen.locator("main form button[value=next]").tap()

    expect(citizen).to_have_url(f"/services/{SERVICE}/apply/business/")
    for name, value in RESTAURANT_ANSWERS.items():
        if not name.startswith("applicant_"):
            citizen.locator(f"main form [name={name}]").fill(value)
    citizen.locator("main form button[value=next]").tap()

    # Materials: every one that cannot follow later is uploaded.
    expect(citizen).to_have_url(f"/services/{SERVICE}/apply/materials/")
    for index in range(citizen.locator("form.upload").count()):
        form = citizen.locator("form.upload").nth(index)
        if form.locator("xpath=ancestor::li[contains(@class, 'needs')]").count():
            form.locator("input[type=file]").set_input_files(
                {"name": f"scan-{index}.pdf", "mimeType": "application/pdf", "buffer": SAMPLE_PDF}
            )
            form.locator("button").tap()
            expect(citizen.locator(".messages")).to_be_visible()
    citizen.locator("main form button[value=continue]").tap()

    # Check the answers, then send.
    expect(citizen).to_have_url(f"/services/{SERVICE}/apply/check/")
    expect(citizen.locator("main")).to_contain_text(RESTAURANT_ANSWERS["business_name"])
    assert_fits_phone(citizen)
    screenshot(citizen, "citizen-check-answers")
    citizen.locator("main form button[type=submit]").last.tap()

    expect(citizen).to_have_url(re.compile(r"/my/applications/\d{8}-\d{4}/submitted/$"))
    reference = citizen.locator(".panel-confirm .reference").inner_text().strip()
    assert REFERENCE_RE.match(reference), reference
    assert citizen.url.endswith(f"/my/applications/{reference}/submitted/")
    assert_fits_phone(citizen)
    screenshot(citizen, "citizen-submitted")

    application = Application.objects.get(reference=reference)
    assert application.answers["applicant_id_number"] == VALID_ID_NUMBER
    assert application.status == "in_review"  # routed when the submission committed

    # The case page: being handled, with the first stage started.
    citizen.locator(f"main a.button[href='/my/applications/{reference}/']").tap()
    expect(citizen).to_have_url(f"/my/applications/{reference}/")
    status = citizen.locator("#case-status")
    expect(status.locator(".reference")).to_have_text(reference)
    expect(status.locator(".status-in_review")).to_be_visible()
    expect(status.locator(".timeline > li.timeline-submitted")).to_have_count(1)
    expect(status.locator(".timeline > li.timeline-stage_started")).to_have_count(1)

    # Stage 1: the market regulator's reviewer approves the business licence.
    amr = new_page()
    sign_in(amr, "amr.reviewer", demo)
    open_from_nav(amr, "/workbench/")
    queue_link = amr.locator("table.queue a", has_text=reference)
    expect(queue_link).to_have_count(1)
    # At phone width the queue is a list of stacked rows, not a table wider than the screen.
    expect(amr.locator("table.queue thead")).to_be_hidden()
    assert_tappable(queue_link)
    assert_fits_phone(amr)
    screenshot(amr, "staff-workbench")
    open_step_from_workbench(amr, reference)
    # Staff screens mask personal identifiers.
    expect(amr.locator("main")).not_to_contain_text(VALID_ID_NUMBER)
    for control in ("#reason", "button[name=decision][value=approve]", "button[name=decision][value=reject]"):
        assert_tappable(amr.locator(f"#decision-panel {control}"), min_size=44)
    assert_fits_phone(amr)
    screenshot(amr, "staff-step")
    _approve(amr)

    # The case moved to the parallel stage: two steps, two departments.
    application.refresh_from_db()
    assert application.current_stage == 2
    open_steps = Step.objects.filter(application=application, status="open")
    assert sorted(open_steps.values_list("department__code", flat=True)) == ["amr", "fire"]
    citizen.reload()
    expect(status.locator(".status-in_review")).to_be_visible()
    expect(status.locator(".timeline > li.timeline-stage_started")).to_have_count(2)
    expect(status.locator(".timeline > li.timeline-step_approved")).to_have_count(1)

    # Stage 2, in parallel: the food permit (market regulator) and the fire safety check.
    open_step_from_workbench(amr, reference)
    _approve(amr)
    application.refresh_from_db()
    assert application.status == "in_review"  # the fire check is still open

    fire = new_page()
    sign_in(fire, "fire.reviewer", demo)
    open_step_from_workbench(fire, reference)
    assert_fits_phone(fire)
    _approve(fire)

    application.refresh_from_db()
    assert application.status == "completed"
    assert not Step.objects.filter(application=application, status="open").exists()

    # The queues are empty again.
    open_from_nav(fire, "/workbench/")
    expect(fire.locator("table.queue a", has_text=reference)).to_have_count(0)

    # The citizen sees the completed case and its whole history.
    citizen.reload()
    expect(status.locator(".status-completed")).to_be_visible()
    timeline = status.locator("ol.timeline > li")
    expect(timeline).to_have_count(7)
    kinds = [cls.removeprefix("timeline-") for cls in timeline.evaluate_all("items => items.map(i => i.className)")]
    assert kinds == [
        "submitted",
        "stage_started",
        "step_approved",
        "stage_started",
        "step_approved",
        "step_approved",
        "completed",
    ]
    expect(status).not_to_have_attribute("hx-get", re.compile(".*"))  # a finished case stops polling
    open_from_nav(citizen, "/my/applications/")
    expect(citizen.locator("ul.card-list .card", has_text=reference).locator(".status-completed")).to_be_visible()
    citizen.locator(f"a[href='/my/applications/{reference}/']").tap()
    expect(status.locator(".status-completed")).to_be_visible()
    assert_fits_phone(citizen)
    screenshot(citizen, "citizen-case-completed")

    for page in (citizen, amr, fire):
        assert page.errors == [], page.errors


def test_guide_switches_to_english(new_page, demo, screenshot):
    """The header's language button (a POST form) switches the page to English and keeps
    the visitor on the same page."""
    visitor = new_page()
    visitor.goto(f"/services/{SERVICE}/")
    assert_default_language(visitor)
    visitor.locator("header form.lang-switch button[name=language][value=en]").tap()
    expect(visitor).to_have_url(f"/services/{SERVICE}/")
    expect(visitor.locator("html")).to_have_attribute("lang", "en")
    expect(visitor.locator("header form.lang-switch button[name=language][value=zh-hans]")).to_be_visible()
    expect(visitor.locator("ol.stages > li")).to_have_count(2)
    assert_fits_phone(visitor)
    screenshot(visitor, "citizen-guide-en")

    # The choice sticks for the next page, and the other button switches back.
    visitor.locator("main .breadcrumb a[href='/services/']").tap()
    expect(visitor.locator("html")).to_have_attribute("lang", "en")
    visitor.locator("header form.lang-switch button[name=language][value=zh-hans]").tap()
    expect(visitor).to_have_url("/services/")
    assert_default_language(visitor)
    assert visitor.errors == [], visitor.errors
