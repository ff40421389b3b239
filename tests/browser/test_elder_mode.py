"""Elder mode (适老化), measured in chromium on a phone: a resident turns it on with the
footer's button, and on the citizen's pages (the service list, a service guide, the sign-in
page and, signed in, "my applications") the text in <main> and its controls are measured as
the browser lays them out. What static/css/portal.css promises for `body.elder`: body text
of 20px (1.25rem), no text under 18px (1.125rem for the smallest, such as hints and tags),
buttons and form controls at least 60px tall. The same pages without elder mode have smaller
text, so the test fails if elder mode does nothing.

Every citizen page is also checked in elder mode for text under 18px (header and footer
included) and for tap targets of the header and the main content under 60 x 60 px, inline
links included, in test_citizen_pages.py::test_every_citizen_page_passes_axe[elder-mode]."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import DEMO_CITIZEN, SERVICE, open_from_nav, sign_in, submit_case

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

ELDER_BODY_PX = 20  # body.elder { font-size: 1.25rem }
ELDER_MIN_TEXT_PX = 18  # the smallest elder size in portal.css: 1.125rem
ELDER_MIN_CONTROL_PX = 60  # body.elder main :is(a, button, select, …) { min-height: 60px }

# Measures <main> as laid out: the computed font-size of every visible element that holds
# text (and of the form controls, which hold what is typed), the height of every visible
# button, form control and .button link, and of every other link. Checkboxes and radio
# buttons hold no text, and portal.css sizes them 32px square in elder mode.
_MEASURE = """() => {
  const main = document.querySelector("main");
  const visible = (el) => {
    if (!el.checkVisibility({visibilityProperty: true}) || el.closest(".visually-hidden")) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    for (const c of el.classList) s += "." + c;
    if (el.type && el.tagName !== "BUTTON" && el.tagName !== "SELECT") s += `[type=${el.type}]`;
    if (el.name) s += `[name=${el.name}]`;
    return s;
  };
  const label = (el) => (el.innerText || el.value || el.placeholder || "").trim().replace(/\\s+/g, " ").slice(0, 30);
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const height = (el) => Math.round(el.getBoundingClientRect().height * 100) / 100;
  const tickable = (el) => el.tagName === "INPUT" && (el.type === "checkbox" || el.type === "radio");

  const text = new Map();
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || text.has(el) || !visible(el)) continue;
    text.set(el, {what: name(el), px: px(el), text: walker.currentNode.textContent.trim().slice(0, 30)});
  }
  const controls = [...main.querySelectorAll("button, input:not([type=hidden]), select, textarea, a.button")]
    .filter(visible);
  for (const el of controls) {
    if (!tickable(el) && !text.has(el)) text.set(el, {what: name(el), px: px(el), text: label(el)});
  }
  const paragraphs = [...main.querySelectorAll("p:not([class])")].filter(visible).filter((p) => p.innerText.trim());
  return {
    body: px(document.body),
    elder: document.body.classList.contains("elder"),
    text: [...text.values()],
    paragraphs: paragraphs.map((p) => ({what: name(p), px: px(p), text: p.innerText.trim().slice(0, 30)})),
    controls: controls.filter((el) => !tickable(el))
      .map((el) => ({what: name(el), height: height(el), text: label(el)})),
    links: [...main.querySelectorAll("a[href]:not(.button)")].filter(visible)
      .map((el) => ({what: name(el), height: height(el), text: label(el)})),
  };
}"""


def _smallest(items: list[dict], key: str) -> dict | None:
    return min(items, key=lambda item: item[key], default=None)


def _describe(item: dict | None, key: str) -> str:
    if item is None:
        return "none"
    return f"{item[key]}px {item['what']} ({item['text']!r})"


def citizen_pages(page: Page, password: str) -> Iterator[str]:
    """Walk the four pages, yielding the name of each once it is shown: the service list,
    a service's guide and the sign-in page signed out, then "my applications" signed in."""
    page.goto("/services/")
    yield "service list"
    page.locator(f"main a[href='/services/{SERVICE}/']").first.tap()
    expect(page).to_have_url(f"/services/{SERVICE}/")
    yield "service guide"
    page.goto("/accounts/signin/")
    yield "sign-in"
    sign_in(page, DEMO_CITIZEN, password)
    open_from_nav(page, "/my/applications/")
    expect(page.locator("main .card").first).to_be_visible()
    yield "my applications"


def measure_pages(page: Page, password: str) -> dict[str, dict]:
    measured = {}
    for name in citizen_pages(page, password):
        page.wait_for_load_state("load")
        measured[name] = page.evaluate(_MEASURE)
    assert page.errors == [], page.errors
    return measured


def report(mode: str, measured: dict[str, dict]) -> None:
    print(f"\nSmallest measurements in <main>, {mode}, phone 390x844:")
    for name, m in measured.items():
        print(
            f"  {name}: body {m['body']}px; "
            f"text {_describe(_smallest(m['text'], 'px'), 'px')}; "
            f"control {_describe(_smallest(m['controls'], 'height'), 'height')}; "
            f"inline link {_describe(_smallest(m['links'], 'height'), 'height')}; "
            f"{len(m['text'])} texts, {len(m['controls'])} controls, {len(m['links'])} links"
        )


def test_elder_mode_makes_text_and_controls_large_on_the_citizens_pages(new_page, demo):
    submit_case()  # so that "my applications" lists a case

    standard = measure_pages(new_page(), demo)
    report("standard", standard)

    page = new_page()
    page.goto("/services/")
    # As a resident does it: the footer's button (a form, so it works without JavaScript).
    page.locator("footer form.elder-toggle button[name=on][value='1']").tap()
    expect(page).to_have_url("/services/")
    expect(page.locator("body")).to_have_class("elder")
    elder = measure_pages(page, demo)
    report("elder mode", elder)

    assert list(elder) == ["service list", "service guide", "sign-in", "my applications"]
    problems = []
    for name, m in elder.items():
        plain = standard[name]
        assert m["elder"] and not plain["elder"], name
        assert m["text"], f"{name}: no text measured"
        # "my applications" has only links: its cases and drafts open from their names.
        assert m["controls"] or name == "my applications", f"{name}: no control measured"

        # Body text of 20px, and ordinary paragraphs with it.
        if m["body"] != ELDER_BODY_PX:
            problems.append(f"{name}: body text is {m['body']}px")
        problems += [
            f"{name}: paragraph {p['what']} is {p['px']}px" for p in m["paragraphs"] if p["px"] != ELDER_BODY_PX
        ]
        # No visible text under 18px.
        problems += [
            f"{name}: text under {ELDER_MIN_TEXT_PX}px: {_describe(t, 'px')}"
            for t in m["text"]
            if t["px"] < ELDER_MIN_TEXT_PX
        ]
        # Buttons and form controls at least 60px tall.
        problems += [
            f"{name}: control under {ELDER_MIN_CONTROL_PX}px: {_describe(c, 'height')}"
            for c in m["controls"]
            if c["height"] < ELDER_MIN_CONTROL_PX
        ]
        # Without elder mode the same page's text is smaller.
        if not plain["body"] < m["body"]:
            problems.append(f"{name}: body text {plain['body']}px without elder mode, {m['body']}px with it")
        if not _smallest(plain["text"], "px")["px"] < _smallest(m["text"], "px")["px"]:
            problems.append(f"{name}: the smallest text is no smaller without elder mode")
        problems += [
            f"{name}: paragraph {p['what']} is {p['px']}px without elder mode"
            for p in plain["paragraphs"]
            if not p["px"] < ELDER_BODY_PX
        ]
    # The guide and the sign-in page have ordinary paragraphs (the other two only cards).
    assert elder["service guide"]["paragraphs"] and elder["sign-in"]["paragraphs"]
    assert not problems, "\n".join(problems)
