"""Steps the browser tests share. They find things by URL, id, name and CSS class, never by
translated text: the translations change while the tests must not."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE

DEMO_CITIZEN = "13800138001"
SERVICE = "restaurant-opening"
VALID_ID_NUMBER = "11010519491231002X"
INVALID_ID_NUMBER = "110105194912310021"  # the check character should be X

RESTAURANT_ANSWERS = {
    "applicant_name": "张伟",
    "applicant_id_number": VALID_ID_NUMBER,
    "applicant_mobile": DEMO_CITIZEN,
    "business_name": "老张家常菜馆",
    "address": "幸福路88号一层",
    "floor_area": "120",
    "seats": "40",
    "scope": "热食类食品制售",
}


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in from the header link, as a person would, and land back on the home page. Staff
    then type the code of the demo authenticator, as from their phone."""
    page.goto("/")
    page.locator("header nav a[href='/accounts/signin/']").tap()
    expect(page).to_have_url("/accounts/signin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").tap()
    page.wait_for_url(lambda url: "/accounts/signin/" not in url)
    if "/accounts/second-factor/" in page.url:
        page.locator("#id_code").fill(authenticator_code(username))
        page.locator("main form button[type=submit]").tap()
    expect(page.locator("header nav form[action='/accounts/signout/']")).to_be_attached()
    expect(page).to_have_url("/")


def authenticator_code(username: str) -> str:
    """The code the demo authenticator shows. A code is taken once: signing in again within
    the same 30 seconds, the phone's next code is typed (the portal takes one step ahead)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from services.tooling.demo_data import demo_code

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    now = TOTP(device.bin_key, device.step, device.t0, device.digits).t()
    if device.last_t is not None and device.last_t >= now:
        return demo_code(steps_ahead=1)
    return demo_code()


def open_from_nav(page: Page, path: str) -> None:
    page.locator(f"header nav a[href='{path}']").tap()
    expect(page).to_have_url(path)


def assert_fits_phone(page: Page) -> None:
    """Nothing sticks out sideways at 390px: no horizontal scrolling on a phone."""
    widths = page.evaluate(
        "() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth})"
    )
    assert widths["view"] == PHONE["width"], widths
    assert widths["doc"] <= widths["view"] and widths["body"] <= widths["view"], (
        f"{page.url} is wider than the phone: {widths}"
    )


_TARGETS = "a[href], button, input:not([type=hidden]), select, textarea, summary"

_CROWDING = """([target, selector]) => {
  // WCAG 2.2, 2.5.8 spacing exception: a 24px circle centred on an undersized target
  // must not touch another target, nor the circle of another undersized target.
  const box = (el) => el.getBoundingClientRect();
  const small = (r) => r.width < 24 || r.height < 24;
  const t = box(target), cx = t.x + t.width / 2, cy = t.y + t.height / 2;
  const crowded = [];
  for (const other of document.querySelectorAll(selector)) {
    if (other === target || other.contains(target) || target.contains(other)) continue;
    if (!other.checkVisibility({visibilityProperty: true})) continue;  // e.g. inside a closed <details>
    const r = box(other);
    if (!r.width || !r.height) continue;
    const dx = Math.max(r.left - cx, 0, cx - r.right), dy = Math.max(r.top - cy, 0, cy - r.bottom);
    const ox = r.x + r.width / 2, oy = r.y + r.height / 2;
    if (Math.hypot(dx, dy) < 12 || (small(r) && Math.hypot(ox - cx, oy - cy) < 24)) {
      crowded.push(other.outerHTML.slice(0, 80));
    }
  }
  return crowded;
}"""


def assert_tappable(locator, min_size: int = 24) -> None:
    """A touch target on screen, inside the phone's width, that a finger can hit: at least
    `min_size` CSS pixels each way, or (WCAG 2.2 target size, level AA) an undersized target
    with nothing else to tap within 12px of its centre."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    if box["width"] >= min_size and box["height"] >= min_size:
        return
    assert min_size <= 24, f"{box} is smaller than {min_size}px"
    crowded = locator.evaluate(f"(el, selector) => ({_CROWDING})([el, selector])", _TARGETS)
    assert crowded == [], f"undersized target {box} crowded by {crowded}"


def assert_default_language(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def submit_case(*, citizen_mobile: str = DEMO_CITIZEN, service_code: str = SERVICE) -> str:
    """Submit a case through the same action the apply page uses; returns its reference. The
    routing task runs eagerly when the transaction commits, so the first stage is open."""
    from django.contrib.auth import get_user_model

    from services.casework.submission import application_submit

    citizen = get_user_model().objects.get(mobile=citizen_mobile)
    application, _created = application_submit(
        citizen=citizen, service_code=service_code, answers=dict(RESTAURANT_ANSWERS)
    )
    return application.reference


def open_step_from_workbench(page: Page, reference: str) -> None:
    """From anywhere, go to the workbench and open the one step of `reference` listed there."""
    open_from_nav(page, "/workbench/")
    link = page.locator("table.queue a[href^='/workbench/steps/']", has_text=reference)
    expect(link).to_have_count(1)
    link.tap()
    expect(page).to_have_url(re.compile(r"/workbench/steps/\d+/$"))
    expect(page.locator("main h1")).to_contain_text(reference)
