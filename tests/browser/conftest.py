"""Browser fixtures: Debian's chromium driven by Playwright's sync API, at a phone viewport,
against pytest-django's live server.

Playwright's sync API runs an asyncio event loop in the main thread, so Django would refuse
ORM calls made by the test itself (SynchronousOnlyOperation). The test is plain sync code,
so the check is switched off for the browser tests.
"""

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REFERENCE_RE = re.compile(r"^\d{8}-\d{4}$")
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    """One chromium for the whole run. A missing chromium is a failure, never a skip: CI
    installs it (.ci/run), so its absence means the machine is not set up."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} does not exist: the browser tests need Debian's chromium "
            "(apt-get install -y chromium fonts-noto-cjk).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Make a page in a fresh browser context (its own cookies: one person each) on a phone
    with a Chinese locale, pointed at the live server."""
    contexts = []

    def make(locale: str = "zh-CN", javascript: bool = True):
        context = browser.new_context(
            java_script_enabled=javascript,
            base_url=live_server.url,
            viewport=PHONE,
            screen=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale=locale,
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # uncaught JavaScript errors, checked by the tests
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        watch_content_security_policy(page)
        pages.append(page)
        return page

    pages: list = []
    yield make
    violations = [v for page in pages for v in page.csp_violations]
    for context in contexts:
        context.close()
    assert violations == [], f"the Content-Security-Policy refused: {violations}"


def watch_content_security_policy(page) -> None:
    """Collect what the page's Content-Security-Policy refused (the browser tells the
    console); every page of the portal must run under it without a refusal."""
    page.csp_violations = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            page.csp_violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)


@pytest.fixture
def demo(transactional_db, settings):
    """The demo departments, services and accounts; returns the shared demo password.
    Passwords are hashed fast (30 accounts per test; the live server reads the same settings)."""
    from services.tooling.demo_data import DEMO_PASSWORD

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())
    return DEMO_PASSWORD


@pytest.fixture(scope="session")
def screenshot():
    """Save a full-page PNG under docs/screenshots/, one CSS pixel per image pixel so the
    files stay small."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, scale="css", animations="disabled")
        return path

    return take
