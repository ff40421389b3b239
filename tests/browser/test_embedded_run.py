"""`make run` as a newcomer meets it: the embedded run started as the Makefile starts it
(`python -m portal.embedded`), in an empty folder, with no PostgreSQL and no Redis given. Its
pages come with their stylesheet and htmx (served by WhiteNoise under gunicorn, as in
production), and a case submitted through the pages is routed by its real worker.

The test's own live server is not used: it serves static files itself, which is how a run
without its stylesheet once went unnoticed."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.citizen import ANSWERS, RESTAURANT, fill, upload_needed_materials
from tests.browser.conftest import PHONE, TIMEOUT_MS, watch_content_security_policy
from tests.browser.helpers import DEMO_CITIZEN

pytestmark = [pytest.mark.browser, pytest.mark.integration]

BASE_DIR = Path(__file__).resolve().parents[2]
STARTED = "The portal is running"
# What the caller's environment may set that a fresh machine has not.
NOT_ON_A_FRESH_MACHINE = {
    "DATABASE_URL",
    "REDIS_URL",
    "STATIC_ROOT",
    "STATIC_COLLECTED",
    "MEDIA_ROOT",
    "DEBUG",
    "PORTAL_ENV",
    "DJANGO_SETTINGS_MODULE",
    "CELERY_TASK_ALWAYS_EAGER",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The embedded run in a folder of its own; its address. Stopped with Ctrl-C (SIGINT)
    at the end, which must stop every process it started."""
    folder = tmp_path_factory.mktemp("embedded")
    address = f"127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items() if k not in NOT_ON_A_FRESH_MACHINE}
    env |= {"PORTAL_VAR_DIR": str(folder), "PORTAL_ADDRESS": address, "EMBEDDED_HISTORY_CASES": "200"}
    output = folder / "run.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.embedded"], cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 240
        while STARTED not in output.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the embedded run did not start:\n{output.read_text(errors='replace')[-4000:]}")
            time.sleep(1)
        yield f"http://{address}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("the embedded run did not stop on Ctrl-C")
    # Nothing it started is left running (its web server, worker, beat and Redis).
    leftovers = subprocess.run(  # noqa: S603 - pgrep, with the folder this test made
        ["/usr/bin/pgrep", "-f", str(folder)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert leftovers == [], f"processes left running: {leftovers}"


@pytest.fixture
def phone(browser, embedded):
    context = browser.new_context(
        base_url=embedded, viewport=PHONE, screen=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    watch_content_security_policy(page)
    yield page
    context.close()
    assert page.csp_violations == []


def test_the_pages_come_with_their_stylesheet_and_htmx(phone):
    response = phone.goto("/")
    assert response is not None and response.ok
    # portal.css paints the header red; without the stylesheet it would be transparent.
    header = phone.locator("header.site-header")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(183, 28, 28)"
    assert phone.evaluate("() => typeof htmx === 'object' && typeof htmx.ajax === 'function'")
    stylesheet = phone.evaluate(
        "() => [...document.styleSheets].filter(s => s.href && s.href.includes('/static/css/portal.'))"
        ".map(s => s.cssRules.length)"
    )
    assert stylesheet and stylesheet[0] > 50

    # htmx at work: typing a search swaps the results in place, without loading a new page.
    phone.evaluate("() => { window.notReloaded = true; }")
    phone.locator("#search-q").fill("公租房")
    expect(phone).to_have_url(re.compile(r"[?&]q="))
    expect(phone.locator("#results")).to_contain_text("公共租赁住房申请")
    assert phone.evaluate("() => window.notReloaded === true")
    assert phone.errors == []


def test_a_case_submitted_through_the_pages_is_routed_by_the_worker(phone):
    phone.goto("/accounts/signin/")
    phone.locator("#id_username").fill(DEMO_CITIZEN)
    phone.locator("#id_password").fill("Demo@2026!")
    phone.locator("main form button[type=submit]").tap()
    expect(phone.locator("header nav form[action='/accounts/signout/']")).to_be_attached()

    phone.goto(f"/services/{RESTAURANT}/apply/")
    for answers in ANSWERS[RESTAURANT].values():
        fill(phone, answers)
        phone.locator("main form button[value=next]").tap()
    expect(phone).to_have_url(f"/services/{RESTAURANT}/apply/materials/")
    upload_needed_materials(phone)
    phone.locator("main form button[value=continue]").tap()
    expect(phone).to_have_url(f"/services/{RESTAURANT}/apply/check/")
    phone.locator("main form button[type=submit]").last.tap()
    expect(phone).to_have_url(re.compile(r"/my/applications/\d{8}-\d{4}/submitted/$"))
    reference = re.search(r"/my/applications/(\d{8}-\d{4})/", phone.url).group(1)

    # The worker (a real Celery process over the embedded Redis) opens the first stage.
    phone.goto(f"/my/applications/{reference}/")
    status = phone.locator("#case-status .status")
    deadline = time.monotonic() + 60
    while "办理中" not in status.inner_text():
        assert time.monotonic() < deadline, f"not routed: still {status.inner_text()!r}"
        time.sleep(1)
        phone.reload()
    expect(phone.locator("main")).to_contain_text("市场监督管理局")
    assert phone.errors == []


def test_no_page_is_served_with_debug_information(phone, embedded):
    response = phone.goto("/no-such-page/")
    assert response is not None and response.status == 404
    assert "Traceback" not in phone.content() and "DEBUG = True" not in phone.content()
