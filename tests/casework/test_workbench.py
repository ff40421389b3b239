"""The workbench, page and API: queue filters, paging by key, query counts, bulk claims, the
step page's actions (plain and htmx), the data-access log and the task API's refusals."""

import functools
import html
import json
import re

import pytest
import time_machine
from django.contrib.messages import get_messages

from services.accounts.constants import StaffRole
from services.accounts.models import Department
from services.casework import claims, notes, selectors
from services.casework.constants import ApplicationStatus, StepStatus
from services.casework.models import CaseNote, CorrectionRequest, Step
from services.catalog.models import StageStep
from services.records.models import DataAccess
from tests.casework.helpers import decide, open_steps, submit
from tests.factories import VALID_ANSWERS, CitizenFactory, StaffFactory, make_service, staff_of
from tests.helpers import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ordinary_working_day", "english_clients")]

WORKBENCH = "/workbench/"
BULK_CLAIM_PAGE = "/workbench/claim/"
TASKS = "/api/v1/tasks/"
BULK_CLAIM_API = "/api/v1/tasks/claim/"
FULL_ID = VALID_ANSWERS["id_number"]
FULL_MOBILE = VALID_ANSWERS["mobile"]
MASKED_ID = "110105********002X"
MASKED_MOBILE = "138****5678"


def at(day: str) -> str:
    """10:00 in Beijing on `day`, so that the local date is the one named."""
    return f"{day} 10:00 +08:00"


# With 10 working days a step is "due soon" after 7 of them. March 2026 has no public holiday:
# a step opened on Monday 2 March is due soon from Wednesday 11 March and due on Monday 16 March.
MONDAY_2_MARCH = at("2026-03-02")
MONDAY_9_MARCH = at("2026-03-09")
MONDAY_16_MARCH = at("2026-03-16")


def _ten_day_service(code: str):
    service = make_service(code=code, stages=[["psb"]])
    StageStep.objects.filter(stage__template__service=service).update(days=10)
    return service


@pytest.fixture
def passport():
    return _ten_day_service("passport")


@pytest.fixture
def hukou(passport):
    return _ten_day_service("hukou")


@pytest.fixture
def psb(passport):
    return Department.objects.get(code="psb")


@pytest.fixture
def reviewer(psb):
    return StaffFactory(membership__department=psb, full_name="审核员甲")


@pytest.fixture
def colleague(psb):
    return StaffFactory(membership__department=psb, full_name="审核员乙")


@pytest.fixture
def admin(psb):
    return StaffFactory(membership__department=psb, membership__role=StaffRole.DEPARTMENT_ADMIN, full_name="科长")


@pytest.fixture
def new_step(passport, django_capture_on_commit_callbacks):
    """Submit a case as a new citizen, let routing open its step, and return that step."""

    def _new_step(service=None) -> Step:
        application = submit(CitizenFactory(), service or passport, django_capture_on_commit_callbacks)
        (step,) = open_steps(application)
        return step

    return _new_step


@pytest.fixture
def small_pages(monkeypatch):
    """Make the views and the API page by `size` steps (the default limit is bound when
    step_queue is defined, so patching QUEUE_PAGE_SIZE alone would change nothing)."""

    def _small_pages(size: int) -> None:
        monkeypatch.setattr(selectors, "step_queue", functools.partial(selectors.step_queue, limit=size))

    return _small_pages


def step_url(step: Step, action: str = "") -> str:
    return f"/workbench/steps/{step.pk}/" + (f"{action}/" if action else "")


def task_url(step: Step, action: str = "") -> str:
    return f"/api/v1/tasks/{step.pk}/" + (f"{action}/" if action else "")


def page_step_ids(response) -> list[int]:
    """The steps listed in the workbench queue, in the order shown."""
    return [int(pk) for pk in re.findall(r'<td><a href="/workbench/steps/(\d+)/">', response.text)]


def next_page_link(response) -> str:
    found = re.search(r'<p class="pager"><a href="([^"]+)"', response.text)
    return html.unescape(found.group(1)) if found else ""


def api_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [task["id"] for task in response.json()["results"]]


def ids(steps) -> list[int]:
    return [s.pk for s in steps]


def in_queue_order(steps) -> list[int]:
    return [s.pk for s in sorted(steps, key=lambda s: (s.due_date, s.pk))]


def message_texts(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def is_fragment(response, section_id: str) -> bool:
    text = response.text.strip()
    return text.startswith(f'<section id="{section_id}"') and text.endswith("</section>") and "<html" not in text


def htmx_shows(client, status: int) -> bool:
    """Whether htmx, as the pages configure it (meta htmx-config), swaps a response with this
    status into the page. htmx 2 tests each rule's code as an unanchored regular expression."""
    page = client.get(WORKBENCH).text
    config = json.loads(html.unescape(re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', page).group(1)))
    for rule in config["responseHandling"]:
        if re.search(rule["code"], str(status)):
            return rule["swap"]
    return False


# --- 1. queue filters -----------------------------------------------------------------------------


def test_queue_filters_by_service_code(client, api_client, hukou, reviewer, new_step):
    passport_steps = [new_step(), new_step()]
    hukou_step = new_step(hukou)
    client.force_login(reviewer)
    api_client.force_authenticate(reviewer)

    assert api_ids(api_client.get(TASKS, {"service": "hukou"})) == [hukou_step.pk]
    assert api_ids(api_client.get(TASKS, {"service": "passport"})) == ids(passport_steps)
    assert api_ids(api_client.get(TASKS, {"service": "no-such-service"})) == []
    assert page_step_ids(client.get(WORKBENCH, {"service": "hukou"})) == [hukou_step.pk]
    assert page_step_ids(client.get(WORKBENCH, {"service": "passport"})) == ids(passport_steps)
    assert sorted(page_step_ids(client.get(WORKBENCH))) == sorted([*ids(passport_steps), hukou_step.pk])


def test_queue_filters_mine_and_unclaimed(client, api_client, reviewer, colleague, new_step):
    mine, theirs, free = new_step(), new_step(), new_step()
    claims.step_claim(step_id=mine.pk, user=reviewer)
    claims.step_claim(step_id=theirs.pk, user=colleague)
    client.force_login(reviewer)
    api_client.force_authenticate(reviewer)

    assert api_ids(api_client.get(TASKS, {"assignment": "mine"})) == [mine.pk]
    assert api_ids(api_client.get(TASKS, {"assignment": "unclaimed"})) == [free.pk]
    assert api_ids(api_client.get(TASKS)) == [mine.pk, theirs.pk, free.pk]
    assert page_step_ids(client.get(WORKBENCH, {"assignment": "mine"})) == [mine.pk]
    assert page_step_ids(client.get(WORKBENCH, {"assignment": "unclaimed"})) == [free.pk]
    assert api_client.get(TASKS, {"assignment": "mine"}).json()["results"][0]["assignee"] == reviewer.username


def test_queue_filters_by_deadline_state(client, api_client, reviewer, new_step, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY_2_MARCH, tick=False):
        overdue = new_step()  # due soon from 11 March, due 16 March
    with time_machine.travel(MONDAY_9_MARCH, tick=False):
        due_soon = new_step()  # due soon from 18 March, due 23 March
    with time_machine.travel(MONDAY_16_MARCH, tick=False):
        on_track = new_step()  # due soon from 25 March
        paused = new_step()
        decide(paused, "correction", django_capture_on_commit_callbacks, user=reviewer, items=["请补充户口簿首页"])
    expected = {"overdue": overdue, "due_soon": due_soon, "on_track": on_track, "paused": paused}

    with time_machine.travel(at("2026-03-19"), tick=False):
        client.force_login(reviewer)
        api_client.force_authenticate(reviewer)
        everything = api_client.get(TASKS).json()["results"]
        for state, step in expected.items():
            assert api_ids(api_client.get(TASKS, {"deadline": state})) == [step.pk], state
            page = client.get(WORKBENCH, {"deadline": state})
            assert page_step_ids(page) == [step.pk], state
            assert f"badge-{state}" in page.text

    assert {task["id"]: task["deadline_state"] for task in everything} == {s.pk: k for k, s in expected.items()}


@pytest.mark.parametrize(
    ("today", "state"),
    [
        ("2026-03-10", "on_track"),
        ("2026-03-11", "due_soon"),  # 7 of 10 working days used
        ("2026-03-16", "due_soon"),  # the due date itself
        ("2026-03-17", "overdue"),
    ],
)
def test_deadline_filter_boundaries_match_the_badge(api_client, reviewer, new_step, today, state):
    with time_machine.travel(MONDAY_2_MARCH, tick=False):
        step = new_step()

    with time_machine.travel(at(today), tick=False):
        api_client.force_authenticate(reviewer)
        found = {s: api_ids(api_client.get(TASKS, {"deadline": s})) for s in ("on_track", "due_soon", "overdue")}
        (task,) = api_client.get(TASKS).json()["results"]

    assert found == {s: ([step.pk] if s == state else []) for s in found}
    assert task["deadline_state"] == state


def test_queue_filters_by_submission_dates_in_local_time(client, api_client, reviewer, new_step):
    # 00:30 in Beijing is still the day before in UTC: the filter uses the local date.
    with time_machine.travel("2026-03-02 00:30 +08:00", tick=False):
        first = new_step()
    with time_machine.travel("2026-03-03 12:00 +08:00", tick=False):
        second = new_step()
    with time_machine.travel("2026-03-04 00:30 +08:00", tick=False):
        third = new_step()
    client.force_login(reviewer)
    api_client.force_authenticate(reviewer)

    def api(**params):
        return api_ids(api_client.get(TASKS, params))

    assert api(submitted_from="2026-03-02", submitted_to="2026-03-03") == [first.pk, second.pk]
    assert api(submitted_from="2026-03-03") == [second.pk, third.pk]
    assert api(submitted_to="2026-03-02") == [first.pk]
    assert api(submitted_from="2026-03-04", submitted_to="2026-03-04") == [third.pk]
    assert api(submitted_to="2026-03-01") == []
    page = client.get(WORKBENCH, {"submitted_from": "2026-03-02", "submitted_to": "2026-03-03"})
    assert page_step_ids(page) == [first.pk, second.pk]


def test_queue_finds_a_case_by_its_exact_reference_only(client, api_client, reviewer, new_step):
    wanted, _other = new_step(), new_step()
    reference = wanted.application.reference
    client.force_login(reviewer)
    api_client.force_authenticate(reviewer)

    assert api_ids(api_client.get(TASKS, {"reference": reference})) == [wanted.pk]
    assert api_ids(api_client.get(TASKS, {"reference": f"  {reference} "})) == [wanted.pk]
    assert api_ids(api_client.get(TASKS, {"reference": f"{reference[:-1]}9"})) == []
    assert api_client.get(TASKS, {"reference": reference[:-1]}).status_code == 400  # not a reference number
    assert api_client.get(TASKS, {"reference": reference}).json()["results"][0]["reference"] == reference
    assert page_step_ids(client.get(WORKBENCH, {"reference": reference})) == [wanted.pk]
    assert page_step_ids(client.get(WORKBENCH, {"reference": reference[:-1]})) == []


def test_another_departments_reference_is_not_found(api_client, outsider, new_step):
    step = new_step()
    api_client.force_authenticate(outsider)

    assert api_ids(api_client.get(TASKS, {"reference": step.application.reference})) == []


INVALID_FILTERS = [
    pytest.param({"submitted_from": "2026-02-30"}, "submitted_from", id="impossible-date"),
    pytest.param({"submitted_to": "last week"}, "submitted_to", id="not-a-date"),
    pytest.param({"deadline": "someday"}, "deadline", id="unknown-deadline"),
    pytest.param({"assignment": "theirs"}, "assignment", id="unknown-assignment"),
    pytest.param({"service": "no such service!"}, "service", id="service-not-a-code"),
    pytest.param({"cursor": "2026-03-01." + "1" * 40}, "cursor", id="cursor-too-long"),
]


@pytest.mark.parametrize(("params", "field"), INVALID_FILTERS)
def test_invalid_filters_are_a_400_with_the_field_errors_in_the_api(api_client, reviewer, new_step, params, field):
    new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.get(TASKS, params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["detail"] == "Check the filters."
    assert list(body["errors"]) == [field]
    assert body["errors"][field] and all(isinstance(m, str) and m for m in body["errors"][field])


def test_a_period_that_ends_before_it_starts_finds_nothing_in_the_api(api_client, reviewer, new_step):
    new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.get(TASKS, {"submitted_from": "2026-03-10", "submitted_to": "2026-03-01"})

    assert response.status_code == 200
    assert response.json() == {"results": [], "next_cursor": ""}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        *INVALID_FILTERS,
        pytest.param(
            {"submitted_from": "2026-03-10", "submitted_to": "2026-03-01"}, "submitted_to", id="to-before-from"
        ),
    ],
)
def test_invalid_filters_show_the_error_summary_on_the_page(client, reviewer, new_step, params, field):
    new_step()
    client.force_login(reviewer)

    response = client.get(WORKBENCH, params)

    assert response.status_code in (200, 400)
    assert 'class="error-summary"' in response.text
    assert "Check the filters." in response.text
    assert page_step_ids(response) == []


def test_the_end_date_before_the_start_date_is_explained_on_the_page(client, reviewer):
    client.force_login(reviewer)

    response = client.get(WORKBENCH, {"submitted_from": "2026-03-10", "submitted_to": "2026-03-01"})

    assert "The end date is before the start date." in response.text


GARBAGE_CURSORS = [
    pytest.param("garbage", id="words"),
    pytest.param("2026-13-01.5", id="bad-month"),
    pytest.param("2026-03-01.x", id="pk-not-a-number"),
    pytest.param("2026-03-01", id="no-pk"),
    pytest.param(".", id="only-the-dot"),
]


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
def test_a_garbage_cursor_is_a_400_in_the_api(api_client, reviewer, new_step, cursor):
    new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.get(TASKS, {"cursor": cursor})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert "page link is not valid" in body["detail"]
    assert "errors" in body


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
def test_a_garbage_cursor_shows_the_error_summary_on_the_page(client, reviewer, new_step, cursor):
    new_step()
    client.force_login(reviewer)

    response = client.get(WORKBENCH, {"cursor": cursor})

    assert response.status_code in (200, 400)
    assert 'class="error-summary"' in response.text
    assert "This page link is not valid" in response.text
    assert page_step_ids(response) == []


def test_a_cursor_with_an_id_too_big_for_the_database_is_not_a_server_error(client, api_client, reviewer, new_step):
    new_step()
    cursor = "2026-03-01." + "9" * 25
    client.force_login(reviewer)
    api_client.force_authenticate(reviewer)

    api = api_client.get(TASKS, {"cursor": cursor})
    page = client.get(WORKBENCH, {"cursor": cursor})

    assert api.status_code in (200, 400)
    assert page.status_code in (200, 400)


# --- 2. paging by key ------------------------------------------------------------------------------


def _steps_with_shuffled_due_dates(new_step) -> list[Step]:
    """Nine steps whose id order is not their deadline order, with ties across page ends."""
    steps = []
    for day, count in ((MONDAY_9_MARCH, 4), (MONDAY_2_MARCH, 3), (MONDAY_16_MARCH, 2)):
        with time_machine.travel(day, tick=False):
            steps += [new_step() for _ in range(count)]
    return steps


@pytest.mark.parametrize("page_size", [3, 4])
def test_api_pages_visit_every_step_once_in_deadline_order(api_client, reviewer, new_step, small_pages, page_size):
    steps = _steps_with_shuffled_due_dates(new_step)
    small_pages(page_size)
    api_client.force_authenticate(reviewer)

    seen, pages, params = [], [], {}
    while True:
        body = api_client.get(TASKS, params).json()
        pages.append([task["id"] for task in body["results"]])
        seen += pages[-1]
        if not body["next_cursor"]:
            break
        params = {"cursor": body["next_cursor"]}
        assert len(pages) < 10, "the cursor never ends"

    assert seen == in_queue_order(steps)
    assert ids(steps) != seen  # the order is by deadline, not by id
    assert all(len(page) == page_size for page in pages[:-1])
    assert 0 < len(pages[-1]) <= page_size
    assert len(pages) == -(-len(steps) // page_size)


def test_api_paging_keeps_the_filters(api_client, hukou, reviewer, new_step, small_pages):
    wanted = []
    for day in (MONDAY_16_MARCH, MONDAY_2_MARCH, MONDAY_9_MARCH):
        with time_machine.travel(day, tick=False):
            wanted += [new_step(), new_step()]
            new_step(hukou)
    small_pages(2)
    api_client.force_authenticate(reviewer)

    seen, params = [], {"service": "passport"}
    while True:
        body = api_client.get(TASKS, params).json()
        seen += [task["id"] for task in body["results"]]
        if not body["next_cursor"]:
            break
        params = {"service": "passport", "cursor": body["next_cursor"]}

    assert seen == in_queue_order(wanted)


def test_the_api_pages_by_fifty_by_default(api_client, reviewer, new_step):
    steps = [new_step() for _ in range(selectors.QUEUE_PAGE_SIZE + 1)]
    api_client.force_authenticate(reviewer)

    first = api_client.get(TASKS).json()
    second = api_client.get(TASKS, {"cursor": first["next_cursor"]}).json()

    assert len(first["results"]) == 50
    assert first["next_cursor"]
    assert [t["id"] for t in first["results"] + second["results"]] == in_queue_order(steps)
    assert second["next_cursor"] == ""


@pytest.mark.parametrize("page_size", [3, 4])
def test_the_next_page_link_visits_every_step_once_in_deadline_order(
    client, hukou, reviewer, new_step, small_pages, page_size
):
    steps = _steps_with_shuffled_due_dates(new_step)
    with time_machine.travel(MONDAY_2_MARCH, tick=False):
        other_service = new_step(hukou)
    small_pages(page_size)
    client.force_login(reviewer)

    seen, pages, url = [], [], f"{WORKBENCH}?service=passport"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(page_step_ids(response))
        seen += pages[-1]
        url = next_page_link(response)
        if url:
            assert "service=passport" in url
            assert url.startswith(WORKBENCH)
        assert len(pages) < 10, "the next page link never ends"

    assert seen == in_queue_order(steps)
    assert other_service.pk not in seen
    assert all(len(page) == page_size for page in pages[:-1])
    assert len(pages) == -(-len(steps) // page_size)
    assert "Next page" not in response.text  # the last page has no next page


def test_the_next_page_of_an_htmx_request_is_only_the_queue(client, reviewer, new_step, small_pages):
    steps = [new_step() for _ in range(3)]
    small_pages(2)
    client.force_login(reviewer)

    first = client.get(WORKBENCH, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue")
    second = client.get(next_page_link(first), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue")

    assert is_fragment(first, "queue")
    assert is_fragment(second, "queue")
    assert page_step_ids(first) + page_step_ids(second) == ids(steps)
    assert next_page_link(second) == ""


# --- 3. query counts -------------------------------------------------------------------------------


def _query_variants(reviewer) -> list[str]:
    first = selectors.step_list_open_for_staff(user=reviewer).first()
    filters = (
        "service=passport&assignment=unclaimed&deadline=on_track&submitted_from=2026-06-01&submitted_to=2026-06-30"
    )
    return ["", f"?{filters}", f"?cursor={selectors.cursor_encode(first)}", f"?{filters}&cursor={first.due_date}.0"]


def test_workbench_query_count_is_bounded_and_does_not_grow_with_the_queue(
    client, reviewer, colleague, new_step, django_assert_max_num_queries
):
    steps = [new_step() for _ in range(3)]
    claims.step_claim(step_id=steps[0].pk, user=colleague)
    client.force_login(reviewer)
    variants = _query_variants(reviewer)
    few = {v: count_queries(client, WORKBENCH + v) for v in variants}
    more = [new_step() for _ in range(27)]
    claims.step_claim(step_id=more[-1].pk, user=colleague)

    many = {}
    for variant in variants:
        with django_assert_max_num_queries(6):
            many[variant] = count_queries(client, WORKBENCH + variant)

    assert many == few
    assert len(page_step_ids(client.get(WORKBENCH))) == 30


def test_task_list_query_count_is_bounded_and_does_not_grow_with_the_queue(
    api_client, reviewer, colleague, new_step, django_assert_max_num_queries
):
    steps = [new_step() for _ in range(3)]
    claims.step_claim(step_id=steps[0].pk, user=colleague)
    api_client.force_authenticate(reviewer)
    variants = _query_variants(reviewer)
    few = {v: count_queries(api_client, TASKS + v) for v in variants}
    more = [new_step() for _ in range(27)]
    claims.step_claim(step_id=more[-1].pk, user=colleague)

    many = {}
    for variant in variants:
        with django_assert_max_num_queries(3):
            many[variant] = count_queries(api_client, TASKS + variant)

    assert many == few
    assert len(api_client.get(TASKS).json()["results"]) == 30


# --- 4. bulk claims --------------------------------------------------------------------------------


def test_bulk_claim_page_claims_the_free_steps_and_reports_the_others(client, reviewer, colleague, new_step):
    taken, free, also_free = new_step(), new_step(), new_step()
    claims.step_claim(step_id=taken.pk, user=colleague)
    client.force_login(reviewer)

    response = client.post(
        BULK_CLAIM_PAGE,
        {
            "step": [str(taken.pk), str(free.pk), str(also_free.pk), "abc", "", "-3", "1.5", "999999", "9" * 25],
            "next": "/workbench/?assignment=mine",
        },
    )

    assert response.status_code == 302
    assert response.url == "/workbench/?assignment=mine"
    assert Step.objects.get(pk=free.pk).assignee == reviewer
    assert Step.objects.get(pk=also_free.pk).assignee == reviewer
    assert Step.objects.get(pk=taken.pk).assignee == colleague
    messages = message_texts(response)
    assert ("success", "You claimed 2 step(s).") in messages
    errors = [text for level, text in messages if level == "error"]
    assert any("审核员乙" in text and "already claimed" in text for text in errors)
    assert any("does not exist" in text for text in errors)  # 999999
    assert client.get(response.url).status_code == 200


def test_bulk_claim_page_with_nothing_numeric_chosen_only_warns(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(BULK_CLAIM_PAGE, {"step": ["abc", "", " 1"]})

    assert response.status_code == 302
    assert response.url == WORKBENCH
    assert message_texts(response) == [("warning", "Choose the steps to claim first.")]
    assert Step.objects.get(pk=step.pk).assignee is None


def test_bulk_claim_page_ignores_digit_like_characters_that_are_not_numbers(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(BULK_CLAIM_PAGE, {"step": [str(step.pk), "²"]})

    assert response.status_code == 302
    assert Step.objects.get(pk=step.pk).assignee == reviewer


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "http://evil.example/workbench/", "https:///evil.example/"],
)
def test_bulk_claim_page_never_redirects_to_another_site(client, reviewer, new_step, next_url):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(BULK_CLAIM_PAGE, {"step": [str(step.pk)], "next": next_url})

    assert response.status_code == 302
    assert response.url == WORKBENCH
    assert Step.objects.get(pk=step.pk).assignee == reviewer


def test_the_queue_offers_the_bulk_claim_form_with_a_local_next(client, reviewer, colleague, new_step):
    free, taken = new_step(), new_step()
    claims.step_claim(step_id=taken.pk, user=colleague)
    client.force_login(reviewer)

    text = client.get(WORKBENCH, {"assignment": "", "service": "passport"}).text

    assert f'name="step" value="{free.pk}"' in text
    assert f'name="step" value="{taken.pk}"' not in text  # claimed steps have no checkbox
    assert 'name="next" value="/workbench/?assignment=&amp;service=passport"' in text


def test_bulk_claim_api_returns_what_was_claimed_and_what_was_refused(api_client, reviewer, colleague, new_step):
    taken, free, also_free = new_step(), new_step(), new_step()
    claims.step_claim(step_id=taken.pk, user=colleague)
    api_client.force_authenticate(reviewer)

    response = api_client.post(
        BULK_CLAIM_API, {"ids": [free.pk, taken.pk, also_free.pk, free.pk, 999999, 10**20]}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["claimed"] == [free.pk, also_free.pk]
    assert set(body["refused"]) == {str(taken.pk), "999999", str(10**20)}
    assert "审核员乙" in body["refused"][str(taken.pk)]
    assert Step.objects.get(pk=taken.pk).assignee == colleague
    assert Step.objects.filter(assignee=reviewer).count() == 2


def test_bulk_claim_api_refuses_steps_of_another_department(api_client, outsider, new_step):
    step = new_step()
    api_client.force_authenticate(outsider)

    response = api_client.post(BULK_CLAIM_API, {"ids": [step.pk]}, format="json")

    assert response.status_code == 200
    assert response.json()["claimed"] == []
    assert list(response.json()["refused"]) == [str(step.pk)]
    assert Step.objects.get(pk=step.pk).assignee is None


@pytest.mark.parametrize("payload", [{}, {"ids": []}, {"ids": ["x"]}, {"ids": "1"}])
def test_bulk_claim_api_rejects_a_bad_payload(api_client, reviewer, payload):
    api_client.force_authenticate(reviewer)

    response = api_client.post(BULK_CLAIM_API, payload, format="json")

    assert response.status_code == 400
    assert not Step.objects.filter(assignee=reviewer).exists()


# --- 5. the step page's actions --------------------------------------------------------------------


def test_claim_from_the_step_page_redirects_back_to_the_step(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "claim"))

    assert response.status_code == 302
    assert response.url == step_url(step)
    assert Step.objects.get(pk=step.pk).assignee == reviewer


def test_claim_with_htmx_returns_only_the_decision_panel(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "claim"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert is_fragment(response, "decision-panel")
    assert "Claimed by 审核员甲." in response.text
    assert Step.objects.get(pk=step.pk).assignee == reviewer


@pytest.mark.parametrize("htmx", [False, True])
def test_claiming_a_step_claimed_by_a_colleague_shows_who_has_it(client, reviewer, colleague, new_step, htmx):
    step = new_step()
    claims.step_claim(step_id=step.pk, user=colleague)
    client.force_login(reviewer)

    response = client.post(step_url(step, "claim"), **({"HTTP_HX_REQUEST": "true"} if htmx else {}))

    assert response.status_code == 409
    assert "审核员乙 has already claimed this step." in response.text
    assert is_fragment(response, "decision-panel") == htmx
    assert Step.objects.get(pk=step.pk).assignee == colleague
    assert htmx_shows(client, response.status_code) or not htmx


def test_note_from_the_step_page_is_saved_and_redirects(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "notes"), {"text": "  申请人来电  "})

    assert response.status_code == 302
    assert response.url == step_url(step)
    note = CaseNote.objects.get()
    assert (note.text, note.author, note.step_id) == ("申请人来电", reviewer, step.pk)
    assert "申请人来电" in client.get(step_url(step)).text


def test_note_with_htmx_returns_only_the_notes_with_the_new_note(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "notes"), {"text": "材料下周补齐"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert is_fragment(response, "notes")
    assert "材料下周补齐" in response.text
    assert CaseNote.objects.count() == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_an_empty_note_is_an_error_and_nothing_is_saved(client, reviewer, new_step, htmx):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "notes"), {"text": "   "}, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))

    assert response.status_code == 400
    assert "Write the note first." in response.text
    assert 'class="error-summary"' in response.text
    assert is_fragment(response, "notes") == htmx
    assert not CaseNote.objects.exists()
    assert htmx_shows(client, response.status_code) or not htmx


def test_department_admin_assigns_from_the_step_page(client, admin, colleague, new_step):
    step = new_step()
    client.force_login(admin)

    response = client.post(step_url(step, "assign"), {"assignee": str(colleague.pk)})

    assert response.status_code == 302
    assert response.url == step_url(step)
    assert Step.objects.get(pk=step.pk).assignee == colleague


def test_department_admin_assigns_with_htmx_and_gets_the_decision_panel(client, admin, reviewer, colleague, new_step):
    step = new_step()
    claims.step_claim(step_id=step.pk, user=reviewer)
    client.force_login(admin)

    response = client.post(step_url(step, "assign"), {"assignee": str(colleague.pk)}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert is_fragment(response, "decision-panel")
    assert "Claimed by 审核员乙." in response.text
    assert Step.objects.get(pk=step.pk).assignee == colleague


@pytest.mark.parametrize("htmx", [False, True])
def test_only_a_department_admin_may_assign_from_the_step_page(client, reviewer, colleague, new_step, htmx):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(
        step_url(step, "assign"), {"assignee": str(colleague.pk)}, **({"HTTP_HX_REQUEST": "true"} if htmx else {})
    )

    assert response.status_code == 403
    assert "Only the department administrator can assign steps." in response.text
    assert is_fragment(response, "decision-panel") == htmx
    step.refresh_from_db()
    assert step.assignee is None
    assert step.claimed_at is None


def test_a_refused_htmx_assignment_shows_its_error(client, admin, reviewer, colleague, new_step):
    step = new_step()
    client.force_login(admin)
    stale_page = client.get(step_url(step)).text  # the admin loads the page with the assign form...
    admin.memberships.update(role=StaffRole.REVIEWER)  # ...and loses the role before using it

    response = client.post(step_url(step, "assign"), {"assignee": str(colleague.pk)}, HTTP_HX_REQUEST="true")

    assert step_url(step, "assign") in stale_page
    assert "Only the department administrator can assign steps." in response.text
    assert Step.objects.get(pk=step.pk).assignee is None
    assert htmx_shows(client, response.status_code)


def test_the_assign_form_is_only_offered_to_a_department_admin(client, admin, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)
    as_reviewer = client.get(step_url(step)).text
    client.force_login(admin)
    as_admin = client.get(step_url(step)).text

    assert step_url(step, "assign") not in as_reviewer
    assert step_url(step, "assign") in as_admin


@pytest.mark.parametrize("assignee", ["clerk", "outsider", "nobody", "not-a-number"])
def test_the_admin_can_only_assign_to_a_colleague_who_works_on_such_steps(
    client, admin, psb, outsider, new_step, assignee
):
    step = new_step()
    clerk = StaffFactory(membership__department=psb, membership__role=StaffRole.CLERK)
    value = {"clerk": str(clerk.pk), "outsider": str(outsider.pk), "nobody": "999999", "not-a-number": "x"}[assignee]
    client.force_login(admin)

    response = client.post(step_url(step, "assign"), {"assignee": value})

    assert response.status_code == 400
    assert "Choose a colleague of this department." in response.text
    assert Step.objects.get(pk=step.pk).assignee is None


@pytest.mark.parametrize("htmx", [False, True])
def test_reveal_without_a_reason_is_an_error_and_shows_nothing(client, reviewer, new_step, htmx):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(
        step_url(step, "reveal"),
        {"field": "id_number", "reason": "  "},
        **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
    )

    assert response.status_code == 400
    assert "Say why you need to see this in full." in response.text
    assert is_fragment(response, "answers") == htmx
    assert FULL_ID not in response.text
    assert MASKED_ID in response.text
    assert not DataAccess.objects.exists()
    assert htmx_shows(client, response.status_code) or not htmx


def test_reveal_shows_the_value_in_that_response_only_and_logs_the_reason(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "reveal"), {"field": "id_number", "reason": "与户籍系统核对"})

    assert response.status_code == 200
    assert f'<span id="answer-id_number">{FULL_ID}</span>' in response.text
    assert FULL_MOBILE not in response.text  # only the field asked for
    assert MASKED_MOBILE in response.text
    (entry,) = DataAccess.objects.all()
    assert (entry.actor, entry.citizen, entry.case_reference, entry.purpose, entry.department) == (
        reviewer,
        step.application.citizen,
        step.application.reference,
        "与户籍系统核对",
        step.department,
    )
    again = client.get(step_url(step))
    assert FULL_ID not in again.text
    assert MASKED_ID in again.text


def test_reveal_with_htmx_returns_only_the_answers(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "reveal"), {"field": "mobile", "reason": "电话回访"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert is_fragment(response, "answers")
    assert f'<span id="answer-mobile">{FULL_MOBILE}</span>' in response.text
    assert FULL_ID not in response.text
    assert DataAccess.objects.get().purpose == "电话回访"
    assert FULL_MOBILE not in client.get(step_url(step)).text


def test_reveal_of_an_answer_that_is_not_masked_is_refused(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.post(step_url(step, "reveal"), {"field": "full_name", "reason": "核对"})

    assert response.status_code == 400
    assert "There is no masked answer of that name." in response.text
    assert not DataAccess.objects.exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_correction_from_the_step_page_puts_the_case_in_correction(
    client, reviewer, new_step, django_capture_on_commit_callbacks, htmx
):
    step = new_step()
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            step_url(step, "decide"),
            {"decision": "correction", "items": "手机号码无法接通\r\n\r\n  \r\n请补充户口簿首页\n"},
            **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
        )

    if htmx:
        assert response.status_code == 200
        assert is_fragment(response, "decision-panel")
        assert "Waiting for the applicant's correction." in response.text
        assert "<li>请补充户口簿首页</li>" in response.text
    else:
        assert response.status_code == 302
        assert response.url == step_url(step)
    step.application.refresh_from_db()
    assert step.application.status == ApplicationStatus.CORRECTION
    correction = CorrectionRequest.objects.get(application=step.application)
    assert [item["text"] for item in correction.items] == ["手机号码无法接通", "请补充户口簿首页"]
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN  # the step waits; the clock stands still
    assert step.assignee == reviewer


@pytest.mark.parametrize("htmx", [False, True])
def test_a_correction_without_items_is_an_error(client, reviewer, new_step, django_capture_on_commit_callbacks, htmx):
    step = new_step()
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            step_url(step, "decide"),
            {"decision": "correction", "items": " \n "},
            **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
        )

    assert response.status_code == 400
    assert "List every item the applicant must fix" in response.text
    step.application.refresh_from_db()
    assert step.application.status == ApplicationStatus.IN_REVIEW
    assert is_fragment(response, "decision-panel") == htmx
    assert htmx_shows(client, response.status_code) or not htmx


@pytest.mark.parametrize("htmx", [False, True])
def test_return_without_a_reason_from_the_step_page_is_an_error(
    client, reviewer, new_step, django_capture_on_commit_callbacks, htmx
):
    step = new_step()
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            step_url(step, "decide"),
            {"decision": "return", "reason": "   "},
            **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
        )

    assert response.status_code == 400
    assert "Give the reason for sending the case back." in response.text
    assert is_fragment(response, "decision-panel") == htmx
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN
    assert htmx_shows(client, response.status_code) or not htmx


def test_step_page_actions_of_another_department_are_404(client, outsider, new_step):
    step = new_step()
    client.force_login(outsider)

    for action, data in [
        ("claim", {}),
        ("notes", {"text": "x"}),
        ("assign", {"assignee": str(outsider.pk)}),
        ("reveal", {"field": "id_number", "reason": "x"}),
        ("decide", {"decision": "approve"}),
    ]:
        assert client.post(step_url(step, action), data).status_code == 404, action

    step.refresh_from_db()
    assert (step.assignee, step.status) == (None, StepStatus.OPEN)
    assert not CaseNote.objects.exists()
    assert not DataAccess.objects.exists()


# --- 6. opening a case is logged -------------------------------------------------------------------


def test_opening_the_step_page_writes_one_data_access_row(client, reviewer, new_step):
    step = new_step()
    client.force_login(reviewer)

    response = client.get(step_url(step))

    assert response.status_code == 200
    assert FULL_ID not in response.text
    (entry,) = DataAccess.objects.all()
    assert (entry.actor, entry.citizen, entry.case_reference, entry.department) == (
        reviewer,
        step.application.citizen,
        step.application.reference,
        step.department,
    )


def test_the_task_detail_api_writes_one_data_access_row_and_masks_the_answers(api_client, reviewer, new_step):
    step = new_step()
    notes.case_note_add(step_id=step.pk, user=reviewer, text_="申请人来电")
    api_client.force_authenticate(reviewer)

    response = api_client.get(task_url(step))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["reference"], body["case_status"]) == (
        step.pk,
        step.application.reference,
        ApplicationStatus.IN_REVIEW,
    )
    answers = {a["name"]: a for a in body["answers"]}
    assert answers["id_number"]["value"] == MASKED_ID
    assert answers["id_number"]["masked"] is True
    assert answers["mobile"]["value"] == MASKED_MOBILE
    assert answers["full_name"] == {
        "name": "full_name",
        "label": "Full name",
        "value": VALID_ANSWERS["full_name"],
        "masked": False,
    }
    assert FULL_ID not in response.content.decode()
    assert FULL_MOBILE not in response.content.decode()
    kinds = [entry["kind"] for entry in body["history"]]
    assert kinds[0] == "submitted"
    assert "note_added" in kinds  # staff see the back office's own history
    assert [(n["author"], n["text"]) for n in body["notes"]] == [(reviewer.username, "申请人来电")]
    (entry,) = DataAccess.objects.all()
    assert (entry.actor, entry.citizen, entry.case_reference) == (
        reviewer,
        step.application.citizen,
        step.application.reference,
    )


def test_nothing_is_logged_when_staff_of_another_department_try_to_open_a_case(client, api_client, outsider, new_step):
    step = new_step()
    client.force_login(outsider)
    api_client.force_authenticate(outsider)

    assert client.get(step_url(step)).status_code == 404
    assert api_client.get(task_url(step)).status_code == 404
    assert not DataAccess.objects.exists()


# --- 7. the task API's operations ------------------------------------------------------------------


def test_claim_api_claims_the_step_and_is_a_no_op_the_second_time(api_client, reviewer, new_step):
    step = new_step()
    api_client.force_authenticate(reviewer)

    first = api_client.post(task_url(step, "claim"))
    again = api_client.post(task_url(step, "claim"))

    assert first.status_code == 200
    assert first.json()["assignee"] == reviewer.username
    assert again.status_code == 200
    assert Step.objects.get(pk=step.pk).assignee == reviewer


def test_claim_api_of_a_step_claimed_by_a_colleague_is_a_409(api_client, reviewer, colleague, new_step):
    step = new_step()
    claims.step_claim(step_id=step.pk, user=colleague)
    api_client.force_authenticate(reviewer)

    response = api_client.post(task_url(step, "claim"))

    assert response.status_code == 409
    assert response.json()["code"] == "claimed_by_other"
    assert "审核员乙" in response.json()["detail"]
    assert Step.objects.get(pk=step.pk).assignee == colleague


def test_decision_api_on_a_step_claimed_by_a_colleague_is_a_409(
    api_client, reviewer, colleague, new_step, django_capture_on_commit_callbacks
):
    step = new_step()
    claims.step_claim(step_id=step.pk, user=colleague)
    api_client.force_authenticate(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(task_url(step, "decision"), {"decision": "approve"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "claimed_by_other"
    assert Step.objects.get(pk=step.pk).status == StepStatus.OPEN


def test_note_api_adds_a_note_with_201(api_client, reviewer, new_step):
    step = new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.post(task_url(step, "notes"), {"text": "申请人来电"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["author"], body["text"]) == (reviewer.username, "申请人来电")
    assert CaseNote.objects.get().pk == body["id"]
    assert [n["text"] for n in api_client.get(task_url(step)).json()["notes"]] == ["申请人来电"]


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "   "}])
def test_note_api_refuses_an_empty_note(api_client, reviewer, new_step, payload):
    step = new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.post(task_url(step, "notes"), payload, format="json")

    assert response.status_code == 400
    assert not CaseNote.objects.exists()


def test_assign_api_by_the_department_admin(api_client, admin, colleague, new_step):
    step = new_step()
    api_client.force_authenticate(admin)

    response = api_client.post(task_url(step, "assign"), {"assignee": colleague.username}, format="json")

    assert response.status_code == 200
    assert response.json()["assignee"] == colleague.username
    assert Step.objects.get(pk=step.pk).assignee == colleague
    assert colleague.notifications.filter(kind="step_assigned").exists()


def test_assign_api_by_someone_who_is_not_the_department_admin_is_a_403(api_client, reviewer, colleague, new_step):
    step = new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.post(task_url(step, "assign"), {"assignee": colleague.username}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Step.objects.get(pk=step.pk).assignee is None


@pytest.mark.parametrize("who", ["nobody", "clerk", "outsider", "citizen"])
def test_assign_api_only_to_a_colleague_who_works_on_such_steps(api_client, admin, psb, outsider, new_step, who):
    step = new_step()
    clerk = StaffFactory(membership__department=psb, membership__role=StaffRole.CLERK)
    username = {
        "nobody": "no-such-user",
        "clerk": clerk.username,
        "outsider": outsider.username,
        "citizen": step.application.citizen.username,
    }[who]
    api_client.force_authenticate(admin)

    response = api_client.post(task_url(step, "assign"), {"assignee": username}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "not_eligible"
    assert Step.objects.get(pk=step.pk).assignee is None


def test_reveal_api_returns_the_value_and_logs_the_reason(api_client, reviewer, new_step):
    step = new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.post(
        task_url(step, "reveal"), {"field": "id_number", "reason": "与户籍系统核对"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": FULL_ID}
    (entry,) = DataAccess.objects.all()
    assert (entry.actor, entry.citizen, entry.case_reference, entry.purpose) == (
        reviewer,
        step.application.citizen,
        step.application.reference,
        "与户籍系统核对",
    )


@pytest.mark.parametrize(
    ("payload", "code", "status"),
    [
        ({"field": "id_number"}, None, 400),
        ({"field": "id_number", "reason": ""}, None, 400),
        ({"field": "id_number", "reason": "   "}, None, 400),
        ({"field": "full_name", "reason": "核对"}, "unknown_field", 404),
        ({"field": "no_such_field", "reason": "核对"}, "unknown_field", 404),
    ],
)
def test_reveal_api_refuses_without_a_reason_or_a_masked_field(api_client, reviewer, new_step, payload, code, status):
    step = new_step()
    api_client.force_authenticate(reviewer)

    response = api_client.post(task_url(step, "reveal"), payload, format="json")

    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
    assert FULL_ID not in response.content.decode()
    assert not DataAccess.objects.exists()


def test_decision_api_correction_puts_the_case_in_correction(
    api_client, reviewer, new_step, django_capture_on_commit_callbacks
):
    step = new_step()
    api_client.force_authenticate(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            task_url(step, "decision"),
            {"decision": "correction", "items": ["请补充户口簿首页", {"field": "mobile", "text": "手机号码无法接通"}]},
            format="json",
        )

    assert response.status_code == 200
    body = response.json()
    assert body["case_status"] == ApplicationStatus.CORRECTION
    assert body["status"] == StepStatus.OPEN
    assert "correction_requested" in [entry["kind"] for entry in body["history"]]
    correction = CorrectionRequest.objects.get(application=step.application)
    assert correction.items == [
        {"field": "", "text": "请补充户口簿首页"},
        {"field": "mobile", "text": "手机号码无法接通"},
    ]
    paused = api_client.get(TASKS, {"deadline": "paused"}).json()["results"]
    assert [(t["id"], t["deadline_state"]) for t in paused] == [(step.pk, "paused")]


@pytest.mark.parametrize("items", [None, [], ["  "], [{"field": "mobile"}]])
def test_decision_api_correction_without_items_is_a_400(
    api_client, reviewer, new_step, django_capture_on_commit_callbacks, items
):
    step = new_step()
    api_client.force_authenticate(reviewer)
    payload = {"decision": "correction"} | ({} if items is None else {"items": items})

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(task_url(step, "decision"), payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "items_required"
    step.application.refresh_from_db()
    assert step.application.status == ApplicationStatus.IN_REVIEW


@pytest.fixture
def second_stage_step(django_capture_on_commit_callbacks, psb):
    """A step of the second stage of a two-stage case (so that it can be returned)."""
    service = make_service(code="residence", stages=[["amr"], ["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    assert step.department == psb
    return step


def test_decision_api_return_with_a_reason_sends_the_case_back(
    api_client, reviewer, second_stage_step, django_capture_on_commit_callbacks
):
    step = second_stage_step
    api_client.force_authenticate(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            task_url(step, "decision"), {"decision": "return", "reason": "营业执照核查结论缺失"}, format="json"
        )

    assert response.status_code == 200
    assert response.json()["status"] == StepStatus.RETURNED
    assert response.json()["reason"] == "营业执照核查结论缺失"
    assert [(s.department.code, s.round) for s in open_steps(step.application)] == [("amr", 2)]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_decision_api_return_without_a_reason_is_a_400(
    api_client, reviewer, second_stage_step, django_capture_on_commit_callbacks, reason
):
    step = second_stage_step
    api_client.force_authenticate(reviewer)
    payload = {"decision": "return"} | ({} if reason is None else {"reason": reason})

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(task_url(step, "decision"), payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    assert Step.objects.get(pk=step.pk).status == StepStatus.OPEN


PAYLOAD_ERRORS = [
    pytest.param(BULK_CLAIM_API, {"ids": []}, "ids", id="bulk-claim-without-ids"),
    pytest.param("notes", {"text": "  "}, "text", id="empty-note"),
    pytest.param("assign", {}, "assignee", id="assign-to-nobody"),
    pytest.param("reveal", {"field": "id_number"}, "reason", id="reveal-without-reason"),
    pytest.param("decision", {"decision": "maybe"}, "decision", id="unknown-decision"),
]


@pytest.mark.parametrize(("action", "payload", "field"), PAYLOAD_ERRORS)
def test_task_api_payload_errors_have_the_documented_error_shape(api_client, admin, new_step, action, payload, field):
    step = new_step()
    api_client.force_authenticate(admin)

    response = api_client.post(action if action.startswith("/") else task_url(step, action), payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["detail"]
    assert list(body["errors"]) == [field]


API_ACTIONS = [
    pytest.param("claim", {}, id="claim"),
    pytest.param("notes", {"text": "x"}, id="notes"),
    pytest.param("assign", {"assignee": "someone"}, id="assign"),
    pytest.param("reveal", {"field": "id_number", "reason": "x"}, id="reveal"),
    pytest.param("decision", {"decision": "correction", "items": ["x"]}, id="decision-correction"),
    pytest.param("decision", {"decision": "approve"}, id="decision-approve"),
]


@pytest.mark.parametrize(("action", "payload"), API_ACTIONS)
def test_task_api_actions_by_staff_of_another_department_are_404(
    api_client, outsider, new_step, django_capture_on_commit_callbacks, action, payload
):
    step = new_step()
    other_admin = StaffFactory(
        membership__department=outsider.memberships.get().department, membership__role=StaffRole.DEPARTMENT_ADMIN
    )
    payload = {**payload, "assignee": outsider.username} if action == "assign" else payload
    api_client.force_authenticate(other_admin if action == "assign" else outsider)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(task_url(step, action), payload, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api_client.get(task_url(step)).status_code == 404
    step.refresh_from_db()
    step.application.refresh_from_db()
    assert (step.assignee, step.status, step.application.status) == (None, StepStatus.OPEN, ApplicationStatus.IN_REVIEW)
    assert not CaseNote.objects.exists()
    assert not DataAccess.objects.exists()


@pytest.mark.parametrize(("action", "payload"), [*API_ACTIONS, pytest.param("", None, id="detail")])
def test_task_api_is_forbidden_to_citizens(api_client, new_step, django_capture_on_commit_callbacks, action, payload):
    step = new_step()
    citizen = step.application.citizen
    api_client.force_authenticate(citizen)

    with django_capture_on_commit_callbacks(execute=True):
        if payload is None:
            response = api_client.get(task_url(step))
        else:
            response = api_client.post(task_url(step, action), payload, format="json")
    bulk = api_client.post(BULK_CLAIM_API, {"ids": [step.pk]}, format="json")

    assert response.status_code == 403
    assert bulk.status_code == 403
    assert api_client.get(TASKS).status_code == 403
    step.refresh_from_db()
    assert (step.assignee, step.status) == (None, StepStatus.OPEN)
    assert not CaseNote.objects.exists()
    assert not DataAccess.objects.exists()


def test_assign_api_says_nothing_about_people_outside_the_department(api_client, django_capture_on_commit_callbacks):
    from services.accounts.constants import StaffRole
    from tests.casework.helpers import open_steps, submit
    from tests.factories import CitizenFactory, make_service

    service = make_service(code="assign-privacy", stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    step = open_steps(application)[0]
    admin = staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    stranger = CitizenFactory(full_name="李秘密")
    api_client.force_authenticate(admin)
    known = api_client.post(f"/api/v1/tasks/{step.pk}/assign/", {"assignee": stranger.username}, format="json")
    unknown = api_client.post(f"/api/v1/tasks/{step.pk}/assign/", {"assignee": "13999999999"}, format="json")
    assert known.status_code == unknown.status_code == 400
    assert known.json()["detail"] == unknown.json()["detail"]
    assert "李秘密" not in known.content.decode()
