"""Accessibility and weight checks the browser tests run on a page: axe-core (pinned in
package.json, installed by `make test` with npm ci) for WCAG 2.0, 2.1 and 2.2 at levels A and
AA, and the bytes a first visit transfers when the server compresses with gzip."""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils.text import compress_string
from playwright.sync_api import Page, Response

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# axe-core's tags for the success criteria of WCAG 2.0, 2.1 and 2.2 at levels A and AA (no
# criterion new in 2.2 is at level A alone in axe, so there is no "wcag22a").
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN_AXE = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations", "incomplete"]};
  const result = await axe.run(document, options);
  const report = (review) => (v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, review,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 200), summary: n.failureSummary})),
  });
  return [...result.violations.map(report(false)), ...result.incomplete.map(report(true))];
}"""


def axe_script() -> Path:
    """The axe-core file to inject. Missing means the test machine is not set up: a failure,
    never a skip (like a missing chromium)."""
    if not AXE_JS.exists():
        pytest.fail(
            f"{AXE_JS} does not exist: run `make test`, or `npm ci --prefix tests/browser --no-audit --no-fund`.",
            pytrace=False,
        )
    return AXE_JS


def axe_violations(page: Page) -> list[dict]:
    """Run axe on the page as it is now (after any htmx swap); returns its violations and
    what it could not decide ("needs review"), which counts too: on a finished page, an
    aria-describedby pointing at nothing, say, is as wrong as a violation, but axe cannot know
    that the element will not be added later. The page's context must have JavaScript
    enabled: axe is JavaScript."""
    page.wait_for_load_state("load")  # the stylesheet applied: contrast depends on it
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the browser's debugging protocol, not as a <script> in the page:
        # the page's Content-Security-Policy rightly refuses inline scripts.
        page.evaluate(f"(() => {{ {axe_script().read_text(encoding='utf-8')}\n}})()")
        assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"
    return page.evaluate(_RUN_AXE, WCAG_TAGS)


def describe_violations(where: str, violations: list[dict]) -> str:
    """Violations as lines a person can act on: rule, impact, what to do, and each element."""
    lines = [f"{where}:"]
    for violation in violations:
        kind = "needs review" if violation["review"] else violation["impact"]
        lines.append(f"  [{kind}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"      at {node['target']}: {node['html']}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"        {detail.strip()}")
    return "\n".join(lines)


class AxeCheck:
    """Runs axe on the page a test is showing, and keeps what it finds for one assertion at
    the end. Without JavaScript in the page's context, axe runs in a second page that has
    JavaScript and the same cookies, on the same address."""

    def __init__(self, page: Page, *, javascript: bool, make_page):
        self.page = page
        self.mirror = None if javascript else make_page(javascript=True)
        self.problems: list[str] = []
        self.checked: list[str] = []

    def __call__(self, name: str) -> None:
        target = self.page
        if self.mirror is not None:
            self.mirror.context.clear_cookies()
            self.mirror.context.add_cookies(self.page.context.cookies())
            self.mirror.goto(self.page.url)
            target = self.mirror
        violations = axe_violations(target)
        if violations:
            self.problems.append(describe_violations(f"{name} ({self.page.url})", violations))
        self.checked.append(name)

    def assert_clean(self) -> None:
        assert not self.problems, "\n\n".join(self.problems)


# Page weight -------------------------------------------------------------------------

# What a page needs before it can be used: the HTML and the CSS, JavaScript and fonts it loads.
WEIGHED_TYPES = {"document", "stylesheet", "script", "font"}


@dataclass
class PageLoad:
    name: str
    url: str
    parts: dict[str, int] = field(default_factory=dict)  # url -> gzip bytes

    @property
    def total(self) -> int:
        return sum(self.parts.values())


class WeightMeter:
    """Weighs the page shown: the gzip-compressed size of its HTML and of every stylesheet,
    script and font it loaded. The dev server sends them uncompressed, so each body is
    compressed here as Django's GZipMiddleware would.

    The browser cache is switched off (DevTools protocol), so that every page load fetches
    everything, as a first visit does. A body can be read only while its page is shown, so
    `measure` is called on each page before the next one loads."""

    def __init__(self, page: Page):
        self.page = page
        self.loads: list[PageLoad] = []
        self._current: list[Response] = []  # the document shown, then what it loaded
        self._measured: Response | None = None
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.on("response", self._record)

    def _record(self, response: Response) -> None:
        kind = response.request.resource_type
        if kind not in WEIGHED_TYPES or 300 <= response.status < 400:
            return
        if kind == "document" and response.frame == self.page.main_frame:
            self._current = [response]
        elif self._current:
            self._current.append(response)

    def measure(self, name: str) -> PageLoad | None:
        """Weigh the page load shown now, once (a state htmx made is not a new load)."""
        self.page.wait_for_load_state("load")
        if not self._current or self._current[0] is self._measured:
            return None
        document = self._current[0]
        load = PageLoad(name, document.url)
        for response in self._current:
            load.parts[response.url] = len(compress_string(response.body()))
        self._measured = document
        self.loads.append(load)
        return load
