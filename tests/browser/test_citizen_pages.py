"""Every page a citizen sees, in every state it has, checked with axe-core (WCAG 2.0, 2.1 and
2.2, levels A and AA) in Chinese, in English and in elder mode (where no text may be under
18px either, and no tap target of the header or the main content under 60 x 60 px), each
without sideways scrolling on a phone; and weighed: a first visit
to any of them transfers at most 60 KB (gzip) of HTML, CSS, JavaScript and fonts.

The walk goes through the pages the way a citizen does (signing in, searching, applying with
mistakes, uploading), and the cases it looks at were put in each state in Python first: being
handled, waiting for a correction, rejected, withdrawn, approved (rated here, with a bad
rating that opens a follow-up, which the department answers). axe runs in a context with
JavaScript, as it needs; the states that htmx makes (search results, the rating panel) are
checked as htmx leaves them."""

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from services.casework import ratings
from services.casework.citizen import case_withdraw
from services.casework.models import Application, FollowUp
from tests.browser.a11y import WeightMeter, axe_violations, describe_violations
from tests.browser.citizen import ANSWERS, MARRIAGE, PARTNER_ID_NUMBER, approve_to_the_end, decide, fill
from tests.browser.citizen import upload_needed_materials as upload_all
from tests.browser.helpers import DEMO_CITIZEN, assert_fits_phone, submit_case

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

PAGE_WEIGHT_LIMIT = 60_000  # bytes, gzip; HTML + CSS + JavaScript + fonts of one first visit


def _cases() -> dict[str, str]:
    """The demo citizen's cases, one in each state the case page shows: {state: reference}."""
    from django.contrib.auth import get_user_model

    cases = {state: submit_case() for state in ("in_review", "correction", "rejected", "withdrawn", "completed")}
    decide(cases["correction"], "correction", items=[{"field": "address", "text": "请补充详细门牌号。"}])
    decide(cases["rejected"], "reject", reason="经营场所使用证明已过期。")
    citizen = get_user_model().objects.get(mobile=DEMO_CITIZEN)
    case_withdraw(application_id=Application.objects.get(reference=cases["withdrawn"]).pk, citizen=citizen)
    approve_to_the_end(cases["completed"])
    for state, reference in cases.items():
        assert Application.objects.get(reference=reference).status == state
    return cases


def citizen_pages(page: Page, password: str) -> Iterator[str]:
    """Put `page` in each state a citizen can see, yielding a name for each, from signing in
    to rating a case. The checks run between the yields."""
    cases = _cases()

    # Signed out: sign in and register, empty and refused.
    page.goto("/accounts/register/")
    yield "register"
    page.locator("main form button[type=submit]").tap()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "register, with errors"
    page.goto("/accounts/signin/")
    yield "sign-in"
    page.locator("#id_username").fill(DEMO_CITIZEN)
    page.locator("#id_password").fill("not the password")
    page.locator("main form button[type=submit]").tap()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "sign-in, refused"
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").tap()
    expect(page.locator("header nav form[action='/accounts/signout/']")).to_be_attached()

    # Finding a service.
    page.goto("/services/")
    yield "services"
    english = page.locator("html").get_attribute("lang") == "en"
    page.locator("#search-q").fill("marriage" if english else "结婚 登记")
    page.locator("form.search button[type=submit]").tap()
    expect(page).to_have_url(re.compile(r"/services/\?q="))
    expect(page.locator(f"#results a[href='/services/{MARRIAGE}/']")).to_be_visible()
    yield "services, search results"
    page.goto("/services/?q=%E7%81%AB%E6%98%9F")  # "Mars": nothing matches
    expect(page.locator("#results .card")).to_have_count(0)
    yield "services, no search result"
    page.goto("/services/?event=marriage")
    expect(page.locator(f"#results a[href='/services/{MARRIAGE}/']")).to_be_visible()
    yield "services, life event"
    page.goto(f"/services/{MARRIAGE}/")
    yield "guide"

    # Applying: the consent to ask the registries (refused, then given), each page, a page
    # with a mistake, the materials, the check.
    page.locator(f"main a.button[href='/services/{MARRIAGE}/apply/']").tap()
    expect(page).to_have_url(f"/services/{MARRIAGE}/apply/consent/")
    yield "apply, consent"
    page.locator("main form button[name=action][value=agree]").tap()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "apply, consent refused"
    page.locator("main form input[name=requirement]").first.check()
    page.locator("main form [name=id_number]").fill(ANSWERS[MARRIAGE]["applicant"]["applicant_id_number"])
    page.locator("main form button[name=action][value=agree]").tap()
    expect(page).to_have_url(f"/services/{MARRIAGE}/apply/applicant/")
    expect(page.locator("main form [name=applicant_name]")).to_be_disabled()  # verified by the registry
    yield "apply, first page, with a verified answer"
    fill(page, ANSWERS[MARRIAGE]["applicant"])
    page.locator("main form button[value=next]").tap()
    fill(page, {**ANSWERS[MARRIAGE]["partner"], "partner_id_number": PARTNER_ID_NUMBER[:-1] + "0"})
    page.locator("main form button[value=next]").tap()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "apply, page with a mistake"
    fill(page, ANSWERS[MARRIAGE]["partner"])
    page.locator("main form button[value=next]").tap()
    expect(page).to_have_url(f"/services/{MARRIAGE}/apply/previous_marriage/")
    yield "apply, page asked because of an earlier answer"
    fill(page, ANSWERS[MARRIAGE]["previous_marriage"])
    page.locator("main form button[value=next]").tap()
    expect(page).to_have_url(f"/services/{MARRIAGE}/apply/materials/")
    yield "apply, materials"
    page.locator("main form button[name=action][value=continue]").tap()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "apply, materials missing"
    upload_all(page)
    yield "apply, materials uploaded"
    page.locator("main form button[name=action][value=continue]").tap()
    expect(page).to_have_url(f"/services/{MARRIAGE}/apply/check/")
    yield "apply, check the answers"
    page.goto(f"/my/applications/{cases['in_review']}/submitted/")
    yield "submitted"

    # My applications (the draft above among them), the inbox, and each case.
    page.goto("/my/applications/")
    expect(page.locator(f"a[href='/services/{MARRIAGE}/apply/']")).to_be_visible()
    yield "my applications, with a draft"
    page.goto("/inbox/")
    expect(page.locator("#inbox li.card-unread").first).to_be_visible()
    yield "inbox"
    for state in ("in_review", "rejected", "withdrawn"):
        page.goto(f"/my/applications/{cases[state]}/")
        expect(page.locator(f"#case-status .status-{state}")).to_be_visible()
        yield f"case, {state}"
    page.goto(f"/my/applications/{cases['correction']}/")
    expect(page.locator("#correction form")).to_be_visible()
    yield "case, correction requested"
    page.locator("#correction form [name=address]").fill("")
    page.locator("#correction form button[type=submit]").tap()
    expect(page.locator("#correction .error-summary")).to_be_visible()
    yield "case, correction refused"

    page.goto(f"/my/applications/{cases['completed']}/")
    rating = page.locator("#rating")
    expect(rating.locator("form")).to_be_visible()
    yield "case, completed, to rate"
    rating.locator("form button[type=submit]").tap()
    expect(rating.locator(".error-summary")).to_be_visible()
    yield "case, completed, rating refused"
    rating.locator("input[name=score][value='2']").check()
    rating.locator("form button[type=submit]").tap()
    expect(rating.locator("#follow-up-title")).to_be_visible()
    yield "case, completed, rated (follow-up open)"
    follow_up = FollowUp.objects.select_related("department").get(rating__application__reference=cases["completed"])
    admin = _staff(f"{follow_up.department.code}.admin")
    ratings.follow_up_reply(follow_up_id=follow_up.pk, user=admin, reply="已收到您的意见，我们会改进。")
    page.reload()
    expect(rating.locator("blockquote.note")).to_be_visible()
    yield "case, completed, rated and answered"

    page.goto("/my/data/")
    yield "my data (what the registries said when asked above)"
    page.goto("/my/data-use/")
    yield "who used my data"
    from services.accounts.tokens import token_issue

    token_issue(user=_staff(DEMO_CITIZEN), device="张伟的手机 App")
    page.goto("/accounts/devices/")
    expect(page.locator("main .card-list > li.card")).to_have_count(1)
    yield "my devices"
    page.goto("/my/wallet/")
    expect(page.locator("main .card-list > li.card").first).to_be_visible()
    yield "my documents"
    # The e-licence the approved case issued, checked on the public verification page.
    page.locator("main .card-list a[href^='/verify/']").first.tap()
    expect(page.locator(".panel-confirm[role=status]")).to_be_visible()
    yield "verify an e-licence, valid"
    page.locator("main form [name=code]").fill("NOT-A-CODE")
    page.locator("main form button[type=submit]").tap()
    expect(page.locator(".error-summary[role=alert]")).to_be_visible()
    yield "verify an e-licence, unknown"
    page.goto("/my/applications/20000101-0001/")
    yield "not found"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _staff(username: str):
    """The account of a username (staff) or mobile number (a citizen)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


ELDER_MIN_TEXT_PX = 18

_SMALL_TEXT = """(min) => {
  // Visible text smaller than `min` CSS pixels: "selector size: text".
  const small = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!text || !element.checkVisibility({visibilityProperty: true})) continue;
    if (element.closest(".visually-hidden")) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    const where = `${element.tagName.toLowerCase()}.${[...element.classList].join(".")}`;
    if (size < min) small.add(`${where} ${size}px: ${text.slice(0, 30)}`);
  }
  return [...small];
}"""


ELDER_MIN_TARGET_PX = 60

_SMALL_TARGETS = """(min) => {
  // Tap targets of the header and the main content under `min` CSS pixels tall or wide (a
  // checkbox or radio button counts by its label, which takes the tap too).
  const small = new Set();
  const targets = document.querySelectorAll(
    ["header", "main"].map((area) => ["a[href]", "button", "summary", "select", "textarea",
      "input:not([type=hidden])"].map((tag) => `${area} ${tag}`).join(", ")).join(", "));
  for (const element of targets) {
    if (!element.checkVisibility({visibilityProperty: true}) || element.closest(".visually-hidden")) continue;
    let target = element;
    if (element.matches("input[type=checkbox], input[type=radio]")) {
      target = element.closest("label") || document.querySelector(`label[for="${element.id}"]`) || element;
    }
    const box = target.getBoundingClientRect();
    if (box.height < min - 0.5 || box.width < min - 0.5) {
      const where = `${element.tagName.toLowerCase()}.${[...element.classList].join(".")}`;
      const text = (element.textContent || element.value || element.name || "").trim().slice(0, 20);
      small.add(`${where} ${Math.round(box.width)}x${Math.round(box.height)}: ${text}`);
    }
  }
  return [...small];
}"""


MODES = [
    pytest.param("zh-CN", False, id="chinese"),
    pytest.param("en-US", False, id="english"),
    pytest.param("zh-CN", True, id="elder-mode"),
]


@pytest.mark.parametrize(("locale", "elder"), MODES)
def test_every_citizen_page_passes_axe(new_page, demo, screenshot, locale, elder):
    page = new_page(locale=locale)
    expected_lang = "en" if locale.startswith("en") else "zh-CN"
    if elder:
        # The footer's button (a form, so it works without JavaScript) sets a cookie.
        page.goto(f"/services/{MARRIAGE}/")
        page.locator("footer form.elder-toggle button[name=on][value='1']").tap()
        expect(page).to_have_url(f"/services/{MARRIAGE}/")
        expect(page.locator("body")).to_have_class("elder")
        screenshot(page, "citizen-elder-mode")

    problems, checked = [], []
    for name in citizen_pages(page, demo):
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", expected_lang)
        if elder:
            # The elder mode's promise: text of at least 18px everywhere.
            expect(page.locator("body")).to_have_class("elder")
            small = page.evaluate(_SMALL_TEXT, ELDER_MIN_TEXT_PX)
            if small:
                problems.append(f"{name}: text under {ELDER_MIN_TEXT_PX}px in elder mode: {small}")
            # And tap targets of about 60 x 60 (适老化), where a resident taps most.
            tiny = page.evaluate(_SMALL_TARGETS, ELDER_MIN_TARGET_PX)
            if tiny:
                problems.append(f"{name}: tap targets under {ELDER_MIN_TARGET_PX}px in elder mode: {tiny}")
        violations = axe_violations(page)
        if violations:
            problems.append(describe_violations(f"{name} ({page.url})", violations))
        try:
            assert_fits_phone(page)
        except AssertionError as exc:
            problems.append(f"{name}: {exc}")
        checked.append(name)
    assert len(checked) >= 36, checked
    assert not problems, "\n\n".join(problems)
    assert page.errors == [], page.errors


def test_every_citizen_page_weighs_at_most_60_kb_on_a_first_visit(new_page, demo):
    page = new_page()
    meter = WeightMeter(page)
    for name in citizen_pages(page, demo):
        meter.measure(name)
    loads = meter.loads
    assert len(loads) >= 25, [load.name for load in loads]
    report = "\n".join(
        f"{load.total:>6} B  {load.name} ({_path(load.url)}): "
        + ", ".join(f"{_path(url)} {size}" for url, size in load.parts.items())
        for load in loads
    )
    print(f"\nPage weight, gzip, first visit (HTML + CSS + JavaScript + fonts):\n{report}")
    # Every page loads the stylesheet and the one script (htmx), and no web font.
    for load in loads:
        assert any(url.endswith(".css") for url in load.parts), load
        assert any(url.endswith(".js") for url in load.parts), load
    heavy = [load for load in loads if load.total > PAGE_WEIGHT_LIMIT]
    assert not heavy, f"pages over {PAGE_WEIGHT_LIMIT} bytes:\n{report}"
