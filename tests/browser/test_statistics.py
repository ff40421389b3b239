"""The statistics on a phone: a city leader's dashboard with every department and the
ranking, filtered with htmx; a department administrator's, limited to their department; and
the public statistics, open to anyone. Each page is checked with axe (Chinese and English),
fits the phone's width, and is photographed for the README."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from services.analytics.actions import summary_refresh
from tests.browser.a11y import axe_violations, describe_violations
from tests.browser.helpers import assert_fits_phone, open_from_nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def history(demo):
    """Two years of generated cases on the demo services, summed up as beat would."""
    # One process: forked workers would share the live server's database connections.
    call_command("seed_load", cases=1500, batch=500, workers=1, stdout=open("/dev/null", "w"))  # noqa: SIM115
    summary_refresh()
    return demo


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], describe_violations(where, violations)


def test_a_city_leader_compares_the_departments(new_page, history, screenshot):
    page = new_page()
    sign_in(page, "leader", history)
    open_from_nav(page, "/analytics/")
    expect(page.locator(".kpis > div")).to_have_count(11)
    expect(page.locator("figure.chart img.chart-image").first).to_be_visible()
    expect(page.locator("#ranking tbody tr").first).to_be_visible()
    expect(page.locator("#step-waits tr.slowest").first).to_be_visible()
    # Volumes, on time, backlog, steps, ranking; each drawn (an image that failed has no width).
    charts = page.locator("figure.chart img.chart-image")
    expect(charts).to_have_count(5)
    widths = charts.evaluate_all("images => images.map(i => i.naturalWidth)")
    assert all(width >= 400 for width in widths), widths
    assert_fits_phone(page)
    assert_accessible(page, "the leader's dashboard")
    screenshot(page, "staff-statistics")

    # One department, with htmx: the figures change in place and the address follows.
    page.locator("details.filters summary").tap()
    page.locator("#id_department").select_option("psb")
    page.locator("#dashboard form button[type=submit]").tap()
    # The form shows the period in use (the last twelve months), and the address keeps it.
    expect(page).to_have_url(
        re.compile(r"/analytics/\?month_from=\d{4}-\d{2}&month_to=\d{4}-\d{2}&department=psb&service=$")
    )
    expect(page.locator("#ranking")).to_have_count(0)
    assert_fits_phone(page)

    # The same page in English.
    page.locator("header form.lang-switch button").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_fits_phone(page)
    assert_accessible(page, "the leader's dashboard in English")


def test_a_department_administrator_sees_only_their_department(new_page, history):
    page = new_page()
    sign_in(page, "psb.admin", history)
    open_from_nav(page, "/analytics/")
    options = page.locator("#id_department option")
    expect(options).to_have_count(1)
    expect(options).to_have_attribute("value", "psb")
    expect(page.locator("#ranking")).to_have_count(0)
    assert_fits_phone(page)
    assert_accessible(page, "a department administrator's dashboard")
    # Another department's figures are refused, whatever the address says.
    response = page.goto("/analytics/?department=mca")
    assert response.status == 400


def test_anyone_reads_the_public_statistics(new_page, history, screenshot):
    page = new_page()
    page.goto("/")
    page.locator("footer a[href='/open-data/']").tap()
    expect(page).to_have_url("/open-data/")
    expect(page.locator("#open-data table").first).to_be_visible()
    assert_fits_phone(page)
    assert_accessible(page, "the public statistics")
    screenshot(page, "public-statistics")
    with page.expect_response(lambda r: "/api/v1/open-data/statistics/" in r.url) as answer:
        page.locator("#open-data a[href^='/api/v1/open-data/statistics/']").tap()
    body = answer.value.json()
    assert body["results"] and all(
        row["received"] is None or row["received"] >= body["smallest_published_count"] for row in body["results"]
    )
