"""The citizen's whole journey on a phone, once with JavaScript and once without: sign in,
find the service by searching and by life event, read the guide, apply page by page (one
mistake shown and corrected, the values kept), upload the materials that cannot follow later,
check the answers and change one, submit; a department asks for a correction, the citizen
fixes exactly that; the departments approve; the citizen sees the result and rates it.

The two runs cover two services: opening a restaurant (two question pages, four materials,
one of them allowed to follow later) and marriage registration, whose third page is asked
only because of an answer on the second. One rating is 5, the other 2, which opens a
follow-up that the department answers on the workbench."""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from services.casework.models import Application, CorrectionRequest, FollowUp, Rating
from tests.browser.a11y import AxeCheck
from tests.browser.citizen import (
    ANSWERS,
    MARRIAGE,
    RESTAURANT,
    all_answers,
    apply_url,
    approve_to_the_end,
    decide,
    expect_values,
    fill,
    open_steps,
    upload_needed_materials,
)
from tests.browser.conftest import REFERENCE_RE
from tests.browser.helpers import (
    DEMO_CITIZEN,
    assert_default_language,
    assert_fits_phone,
    open_from_nav,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@dataclass(frozen=True)
class Journey:
    javascript: bool
    service: str
    search: str  # the words typed in the search box
    event: str  # a life event that lists the service
    mistake: tuple[str, str, str]  # (page, question, a wrong answer) sent once, then corrected
    change: tuple[str, str, str]  # (page, question, new answer) changed from the check page
    correction: tuple[str, str]  # (question, new answer) the department asks to fix
    rating: int
    screenshots: tuple[str, ...]


JOURNEYS = [
    pytest.param(
        Journey(
            javascript=True,
            service=RESTAURANT,
            search="餐馆 许可",
            event="business",
            mistake=("business", "floor_area", "0"),
            change=("business", "business_name", "老张家常菜馆（幸福路店）"),
            correction=("address", "幸福路88号一层东侧"),
            rating=5,
            screenshots=("citizen-search", "citizen-correction"),
        ),
        id="javascript-restaurant-rated-5",
    ),
    pytest.param(
        Journey(
            javascript=False,
            service=MARRIAGE,
            search="结婚 登记",
            event="marriage",
            mistake=("partner", "partner_id_number", "110108199003071230"),
            change=("partner", "partner_name", "王芳芳"),
            correction=("previous_certificate_no", "L110105-2019-000321"),
            rating=2,
            screenshots=("citizen-rating", "staff-follow-up"),
        ),
        id="no-javascript-marriage-rated-2",
    ),
]


@pytest.mark.parametrize("journey", JOURNEYS)
def test_citizen_journey_from_search_to_rating(new_page, demo, screenshot, journey: Journey):
    service = journey.service
    guide_url = f"/services/{service}/"
    shots = set(journey.screenshots)
    citizen = new_page(javascript=journey.javascript)
    axe = AxeCheck(citizen, javascript=journey.javascript, make_page=new_page)
    sign_in(citizen, DEMO_CITIZEN, demo)
    assert_default_language(citizen)

    # Find the service by typing words in the search box and sending them.
    open_from_nav(citizen, "/services/")
    citizen.locator("form.search #search-q[name=q]").fill(journey.search)
    citizen.locator("form.search button[type=submit]").tap()
    expect(citizen).to_have_url(re.compile(r"/services/\?q=[^&]+$"))
    results = citizen.locator("#results")
    expect(results.locator("h2")).to_be_visible()  # a heading for the results, with the count
    expect(results.locator("ul.card-list > li.card")).to_have_count(1)
    expect(results.locator(f"a[href='{guide_url}']")).to_be_visible()
    expect(citizen.locator("#search-q")).to_have_value(journey.search)
    assert_fits_phone(citizen)
    axe("search results")
    if "citizen-search" in shots:
        citizen.evaluate("document.activeElement.blur()")  # no focus ring on the button
        screenshot(citizen, "citizen-search")

    # And by life event: the chip lists the services of that event, this one among them.
    citizen.locator(f"ul.chips a[href='/services/?event={journey.event}']").tap()
    expect(citizen).to_have_url(f"/services/?event={journey.event}")
    expect(citizen.locator(f"ul.chips a[href='/services/?event={journey.event}']")).to_have_attribute(
        "aria-current", "page"
    )
    expect(results.locator("h2")).to_be_visible()
    axe("life event")
    results.locator(f"a[href='{guide_url}']").tap()

    # The guide: materials and the route through the departments, then "apply".
    expect(citizen).to_have_url(guide_url)
    expect(citizen.locator("ul.materials > li")).to_have_count(len(_materials(service)))
    expect(citizen.locator("ol.stages > li")).to_have_count(2)
    assert_fits_phone(citizen)
    axe("guide")
    citizen.locator(f"main a.button[href='{apply_url(service)}']").tap()

    # A service that can ask the departments' registries asks the citizen first; this one
    # declines, and types and uploads everything.
    expect(citizen).to_have_url(re.compile(r"/apply/[a-z_]+/$"))
    if citizen.url.endswith(apply_url(service, "consent")):
        axe("apply, consent")
        citizen.locator("main form button[name=action][value=decline]").tap()

    # The question pages, one after another; one is sent with a mistake first.
    mistake_page, mistake_field, wrong = journey.mistake
    for key, answers in ANSWERS[service].items():
        expect(citizen).to_have_url(apply_url(service, key))
        expect(citizen.locator("main form fieldset legend h1")).to_be_visible()
        axe(f"apply, {key}")
        if key == "previous_marriage":
            # Asked only because the partner page said "previously married: yes".
            expect(citizen.locator("main form fieldset [name]")).to_have_count(len(answers))
        if key == mistake_page:
            fill(citizen, {**answers, mistake_field: wrong})
            citizen.locator("main form button[value=next]").tap()
            _expect_one_error(citizen, mistake_field)
            # What the citizen typed is kept, the wrong answer included.
            expect_values(citizen, {**answers, mistake_field: wrong})
            assert_fits_phone(citizen)
            # The summary's link leads to the question; correct it there.
            citizen.locator(f".error-summary a[href='#id_{mistake_field}']").tap()
            expect(citizen).to_have_url(re.compile(f"#id_{mistake_field}$"))
            expect(citizen.locator(f"#id_{mistake_field}")).to_be_focused()
            expect(citizen.locator(f"#id_{mistake_field}")).to_be_in_viewport()
            if journey.javascript:  # a page that a POST answered: no address to open again
                axe(f"apply, {key}, with a mistake")
        fill(citizen, answers)
        citizen.locator("main form button[value=next]").tap()
    assert Application.objects.count() == 0

    # Materials: those that may follow later are left for later, and those the citizen's
    # document wallet holds need no upload (once-only).
    expect(citizen).to_have_url(apply_url(service, "materials"))
    uploaded = upload_needed_materials(citizen)
    assert uploaded >= 1
    expect(citizen.locator("ul.materials-upload ul.files > li")).to_have_count(uploaded)
    assert_fits_phone(citizen)
    axe("apply, materials")
    citizen.locator("main form button[name=action][value=continue]").tap()

    # Check the answers; change one through its "Change" link and come back.
    expect(citizen).to_have_url(apply_url(service, "check"))
    change_page, change_field, new_value = journey.change
    expect(citizen.locator("dl.summary .summary-row")).to_have_count(
        len(all_answers(service)) + len(_materials(service))
    )
    change_href = f"{apply_url(service, change_page)}?check=1#id_{change_field}"
    change_link = citizen.locator(f"dl.summary a[href='{change_href}']")
    expect(change_link).to_have_count(1)
    changed_row = citizen.locator(f"dl.summary .summary-row:has(a[href='{change_href}']) > dd").first
    expect(changed_row).to_have_text(ANSWERS[service][change_page][change_field])
    change_link.tap()
    expect(citizen).to_have_url(apply_url(service, change_page) + f"?check=1#id_{change_field}")
    expect(citizen.locator("main form input[type=hidden][name=check][value='1']")).to_be_attached()
    expect_values(citizen, ANSWERS[service][change_page])
    citizen.locator(f"#id_{change_field}").fill(new_value)
    citizen.locator("main form button[value=next]").tap()
    expect(citizen).to_have_url(apply_url(service, "check"))
    expect(changed_row).to_have_text(new_value)
    assert_fits_phone(citizen)
    axe("apply, check the answers")
    citizen.locator(f"main form[action='{apply_url(service, 'check')}'] button[type=submit]").tap()

    # The confirmation, with the reference number.
    expect(citizen).to_have_url(re.compile(r"/my/applications/\d{8}-\d{4}/submitted/$"))
    reference = citizen.locator(".panel-confirm .reference").inner_text().strip()
    assert REFERENCE_RE.match(reference), reference
    axe("submitted")
    application = Application.objects.get(reference=reference)
    expected = {**all_answers(service), change_field: new_value}
    assert {k: str(v) for k, v in application.answers.items()} == expected
    assert application.status == "in_review"
    assert application.uploads.count() == uploaded
    citizen.locator(f"main a.button[href='/my/applications/{reference}/']").tap()
    expect(citizen).to_have_url(f"/my/applications/{reference}/")
    expect(citizen.locator("#case-status .status-in_review")).to_be_visible()
    expect(citizen.locator("#correction")).to_have_count(0)
    axe("case, in review")

    # The department asks for one answer to be corrected.
    question, corrected = journey.correction
    request_text = "请核对并更正此项。"
    decide(reference, "correction", items=[{"field": question, "text": request_text}])
    application.refresh_from_db()
    assert application.status == "correction"

    # The citizen is told (the inbox), and the case page says exactly what to fix.
    citizen.locator("header nav a#inbox-link").tap()
    expect(citizen).to_have_url("/inbox/")
    axe("inbox")
    notification = citizen.locator("#inbox li.card-unread a[href^='/inbox/']")
    expect(notification).to_have_count(1)
    notification.tap()
    expect(citizen).to_have_url(f"/my/applications/{reference}/")
    expect(citizen.locator("#case-status .status-correction")).to_be_visible()
    panel = citizen.locator("#correction")
    expect(panel.locator(".correction-items > li")).to_have_count(1)
    expect(panel.locator(".correction-items > li")).to_have_text(request_text)
    # Only the named question can be changed, filled in with the answer given.
    expect(panel.locator("form [name]:not([type=hidden]):not([name=comment])")).to_have_count(1)
    expect(panel.locator(f"form [name={question}]")).to_have_value(str(application.answers[question]))
    assert_fits_phone(citizen)
    axe("case, correction requested")
    if "citizen-correction" in shots:
        screenshot(citizen, "citizen-correction")
    panel.locator(f"form [name={question}]").fill(corrected)
    panel.locator("form button[type=submit]").tap()

    expect(citizen).to_have_url(f"/my/applications/{reference}/")
    expect(citizen.locator("#case-status .status-in_review")).to_be_visible()
    expect(citizen.locator("#correction")).to_have_count(0)
    expect(citizen.locator("#case-status .timeline > li.timeline-correction_submitted")).to_have_count(1)
    before = dict(application.answers)
    application.refresh_from_db()
    assert application.status == "in_review"
    assert dict(application.answers) == {**before, question: corrected}  # that, and nothing else
    assert CorrectionRequest.objects.get(application=application).resolved_at is not None

    # The departments approve, stage after stage.
    assert open_steps(reference)
    approve_to_the_end(reference)

    # The citizen sees the case completed, and rates it.
    citizen.reload()
    expect(citizen.locator("#case-status .status-completed")).to_be_visible()
    expect(citizen.locator("#case-status .timeline > li.timeline-completed")).to_have_count(1)
    axe("case, completed")
    rating = citizen.locator("#rating")
    rating.locator(f"input[name=score][value='{journey.rating}']").check()
    rating.locator("input[name=tags]").first.check()
    rating.locator("textarea[name=comment]").fill(
        "办理顺利。" if journey.rating > 2 else "等待时间太长，电话也无人接听。"
    )
    rating.locator("form button[type=submit]").tap()

    if journey.javascript:
        # htmx replaces the panel in place and thanks the citizen there.
        expect(rating.locator(".notice[role=status]")).to_be_visible()
        expect(citizen).to_have_url(f"/my/applications/{reference}/")
    else:
        # The form posts; the case page comes back at the panel, with the thanks on top.
        expect(citizen).to_have_url(f"/my/applications/{reference}/#rating")
        expect(citizen.locator(".messages .notice")).to_be_visible()
    expect(rating.locator("form")).to_have_count(0)
    expect(rating.locator("dl.facts")).to_be_visible()
    saved = Rating.objects.get(application=application)
    assert saved.score == journey.rating

    if journey.rating > 2:
        expect(rating.locator("#follow-up-title")).to_have_count(0)
        assert not FollowUp.objects.filter(rating=saved).exists()
    else:
        # A bad rating goes to the department that decided last, which will reply.
        expect(rating.locator("#follow-up-title")).to_be_visible()
        expect(rating.locator("p.status")).to_be_visible()
        expect(rating.locator("blockquote.note")).to_have_count(0)
        follow_up = FollowUp.objects.get(rating=saved)
        assert follow_up.department.code == "mca"
        _department_replies(new_page, demo, journey, reference, screenshot if "staff-follow-up" in shots else None)
        citizen.reload()
        expect(rating.locator("blockquote.note")).to_have_text(REPLY)
    assert_fits_phone(citizen)
    axe("case, rated")
    if "citizen-rating" in shots:
        screenshot(citizen, "citizen-rating")

    # My applications lists the case as approved, and no draft is left behind.
    open_from_nav(citizen, "/my/applications/")
    card = citizen.locator("ul.card-list .card", has_text=reference)
    expect(card.locator(".status-completed")).to_be_visible()
    expect(citizen.locator(f"a[href='{apply_url(service)}']")).to_have_count(0)
    axe("my applications")
    assert len(axe.checked) >= 15, axe.checked
    axe.assert_clean()
    assert citizen.errors == [], citizen.errors


REPLY = "非常抱歉给您带来不便，我们已调整窗口排班，并将回访您的意见。"


def _department_replies(new_page, demo, journey: Journey, reference: str, screenshot) -> None:
    """The department's administrator finds the follow-up on the workbench and replies."""
    admin = new_page(javascript=journey.javascript)
    sign_in(admin, "mca.admin", demo)
    open_from_nav(admin, "/workbench/")
    admin.locator("main a[href='/workbench/follow-ups/']").tap()
    link = admin.locator("table.queue a[href^='/workbench/follow-ups/']", has_text=reference)
    expect(link).to_have_count(1)
    link.tap()
    expect(admin).to_have_url(re.compile(r"/workbench/follow-ups/\d+/$"))
    expect(admin.locator("main .reference")).to_have_text(reference)
    assert_fits_phone(admin)
    if screenshot:
        screenshot(admin, "staff-follow-up")
    admin.locator("#follow-up-reply textarea#reply").fill(REPLY)
    admin.locator("#follow-up-reply button[type=submit]").tap()
    expect(admin.locator("#follow-up-reply blockquote.note")).to_have_text(REPLY)
    assert admin.errors == [], admin.errors


def _materials(service: str) -> list:
    from services.catalog.models import Material

    return list(Material.objects.filter(service__code=service))


def _expect_one_error(page, field: str) -> None:
    """The page comes back with an error summary that links to the one wrong question, and
    the question itself is marked with its message."""
    summary = page.locator(".error-summary[role=alert]")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_count(1)
    expect(summary.locator(f"a[href='#id_{field}']")).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator(f".field-error #id_{field}")).to_be_attached()
    expect(page.locator(f"#id_{field}-error")).to_be_visible()
