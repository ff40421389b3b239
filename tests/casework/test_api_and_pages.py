"""Department casework through the API and the pages: queues, decisions, who may decide,
masking of personal data and query counts."""

import pytest

from services.accounts.constants import StaffRole
from services.casework.constants import ApplicationStatus, StepStatus
from services.casework.models import Application, Step
from services.casework.submission import application_submit
from services.catalog.constants import StepRole
from services.catalog.models import StageStep
from tests.factories import VALID_ANSWERS, CitizenFactory, DepartmentFactory, StaffFactory, make_service
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

TASKS_API = "/api/v1/tasks/"
WORKBENCH = "/workbench/"

MASKED_ID = "110105********002X"
MASKED_MOBILE = "138****5678"


def decision_api(step: Step) -> str:
    return f"/api/v1/tasks/{step.pk}/decision/"


def step_page(step: Step) -> str:
    return f"/workbench/steps/{step.pk}/"


def decide_page(step: Step) -> str:
    return f"/workbench/steps/{step.pk}/decide/"


@pytest.fixture
def health():
    return DepartmentFactory(code="health")


@pytest.fixture
def reviewer(health):
    return StaffFactory(membership__department=health, full_name="审核员甲")


@pytest.fixture
def submit_case(django_capture_on_commit_callbacks):
    """Submit a case as a new citizen and let routing open its first stage."""

    def _submit(service_code: str = "birth-registration") -> Application:
        with django_capture_on_commit_callbacks(execute=True):
            application, _created = application_submit(
                citizen=CitizenFactory(), service_code=service_code, answers=dict(VALID_ANSWERS)
            )
        application.refresh_from_db()
        return application

    return _submit


@pytest.fixture
def decide(api_client, django_capture_on_commit_callbacks):
    """Decide a step through the API as `user`, running what the decision publishes."""

    def _decide(user, step: Step, decision: str = "approve", reason: str = "", **extra):
        api_client.force_authenticate(user=user)
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(decision_api(step), {"decision": decision, "reason": reason}, format="json", **extra)

    return _decide


def open_step(application: Application, department_code: str) -> Step:
    return Step.objects.get(application=application, department__code=department_code, status=StepStatus.OPEN)


# --- the queue ----------------------------------------------------------------------------------


def test_task_list_shows_only_open_steps_of_the_staff_members_departments(
    api_client, service, reviewer, submit_case, decide
):
    waiting = submit_case()
    moved_on = submit_case()
    decide(reviewer, open_step(moved_on, "health"))
    police = StaffFactory(membership__department=DepartmentFactory(code="police"))

    api_client.force_authenticate(user=reviewer)
    health_tasks = api_client.get(TASKS_API).json()
    api_client.force_authenticate(user=police)
    police_tasks = api_client.get(TASKS_API).json()

    assert [(t["reference"], t["department"]) for t in health_tasks["results"]] == [(waiting.reference, "health")]
    assert [(t["reference"], t["department"]) for t in police_tasks["results"]] == [(moved_on.reference, "police")]
    assert health_tasks["results"][0]["status"] == StepStatus.OPEN
    assert health_tasks["results"][0]["service"] == "birth-registration"


def test_task_list_of_a_member_of_two_departments_has_both_queues(api_client, service, submit_case, decide, reviewer):
    both = StaffFactory(membership__department=DepartmentFactory(code="police"))
    both.memberships.create(department=DepartmentFactory(code="social"), role=StaffRole.REVIEWER)
    application = submit_case()
    decide(reviewer, open_step(application, "health"))

    api_client.force_authenticate(user=both)
    tasks = api_client.get(TASKS_API).json()["results"]

    assert sorted(t["department"] for t in tasks) == ["police", "social"]


def test_workbench_lists_the_open_steps_of_the_department(client, service, reviewer, outsider, submit_case):
    application = submit_case()
    step = open_step(application, "health")
    client.force_login(reviewer)

    response = client.get(WORKBENCH)

    assert response.status_code == 200
    assert step_page(step) in response.text
    assert application.reference in response.text


def test_staff_of_another_department_does_not_see_the_step(api_client, client, service, outsider, submit_case):
    application = submit_case()
    api_client.force_authenticate(user=outsider)
    client.force_login(outsider)

    assert api_client.get(TASKS_API).json()["results"] == []
    assert application.reference not in client.get(WORKBENCH).text


def test_staff_of_another_department_cannot_open_the_step_page(client, service, outsider, submit_case):
    step = open_step(submit_case(), "health")
    client.force_login(outsider)

    response = client.get(step_page(step))

    assert response.status_code == 404
    assert step.application.reference not in response.text


def test_staff_of_another_department_cannot_decide_the_step_through_the_api(service, outsider, submit_case, decide):
    step = open_step(submit_case(), "health")

    response = decide(outsider, step, "approve")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_staff_of_another_department_cannot_decide_the_step_through_the_page(
    client, service, outsider, submit_case, django_capture_on_commit_callbacks
):
    step = open_step(submit_case(), "health")
    client.force_login(outsider)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_page(step), {"decision": "approve"})
        htmx = client.post(decide_page(step), {"decision": "approve"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert htmx.status_code == 404
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_citizens_cannot_use_the_task_api_or_the_workbench(api_client, client, service, submit_case):
    step = open_step(submit_case(), "health")
    citizen = step.application.citizen
    api_client.force_authenticate(user=citizen)
    client.force_login(citizen)

    assert api_client.get(TASKS_API).status_code == 403
    assert api_client.post(decision_api(step), {"decision": "approve"}, format="json").status_code == 403
    assert client.get(WORKBENCH).status_code == 403
    assert client.get(step_page(step)).status_code == 403
    assert client.post(decide_page(step), {"decision": "approve"}).status_code == 403
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_anonymous_cannot_use_the_task_api_and_is_sent_to_sign_in_from_the_workbench(api_client, client):
    assert api_client.get(TASKS_API).status_code in (401, 403)

    response = client.get(WORKBENCH)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/signin/")


def test_step_page_only_accepts_post_for_decisions(client, service, reviewer, submit_case):
    step = open_step(submit_case(), "health")
    client.force_login(reviewer)

    assert client.get(decide_page(step)).status_code == 405


# --- decisions through the API ----------------------------------------------------------------------


def test_approval_moves_the_case_to_the_next_stage(service, reviewer, submit_case, decide):
    application = submit_case()
    step = open_step(application, "health")

    response = decide(reviewer, step, "approve")

    assert response.status_code == 200
    assert response.json()["status"] == StepStatus.APPROVED
    assert response.json()["id"] == step.pk
    open_departments = Step.objects.filter(application=application, status=StepStatus.OPEN)
    assert sorted(s.department.code for s in open_departments) == ["police", "social"]


def test_reject_without_a_reason_is_a_400_with_code_reason_required(service, reviewer, submit_case, decide):
    step = open_step(submit_case(), "health")

    response = decide(reviewer, step, "reject", "   ")

    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    assert response.json()["detail"]
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_reject_with_a_reason_ends_the_case_and_closes_the_parallel_steps(service, reviewer, submit_case, decide):
    application = submit_case()
    decide(reviewer, open_step(application, "health"))
    police = StaffFactory(membership__department=DepartmentFactory(code="police"))

    response = decide(police, open_step(application, "police"), "reject", "户籍信息不符")

    assert response.status_code == 200
    assert response.json()["reason"] == "户籍信息不符"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert Step.objects.get(application=application, department__code="social").status == StepStatus.CLOSED


def test_an_unknown_decision_is_a_400(service, reviewer, submit_case, decide):
    step = open_step(submit_case(), "health")

    response = decide(reviewer, step, "maybe")

    assert response.status_code == 400
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_deciding_an_already_decided_step_is_a_409_with_a_clear_message(service, reviewer, submit_case, decide):
    step = open_step(submit_case(), "health")
    decide(reviewer, step, "approve")
    colleague = StaffFactory(membership__department=step.department)

    response = decide(colleague, step, "reject", "迟到的意见", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert response.json()["code"] == "already_decided"
    assert "already decided" in response.json()["detail"]
    assert "审核员甲" in response.json()["detail"]
    step.refresh_from_db()
    assert step.status == StepStatus.APPROVED
    assert step.decided_by == reviewer


def test_deciding_a_step_closed_by_another_departments_rejection_is_a_409(service, reviewer, submit_case, decide):
    application = submit_case()
    decide(reviewer, open_step(application, "health"))
    police = StaffFactory(membership__department=DepartmentFactory(code="police"))
    social = StaffFactory(membership__department=DepartmentFactory(code="social"))
    social_step = open_step(application, "social")
    decide(police, open_step(application, "police"), "reject", "材料不全")

    response = decide(social, social_step, "approve")

    assert response.status_code == 409
    assert response.json()["code"] == "already_decided"
    social_step.refresh_from_db()
    assert social_step.status == StepStatus.CLOSED


def test_deciding_a_step_that_does_not_exist_is_a_404(reviewer, api_client):
    api_client.force_authenticate(user=reviewer)

    response = api_client.post("/api/v1/tasks/999999/decision/", {"decision": "approve"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- decisions through the page -------------------------------------------------------------------


def test_reviewer_approves_through_the_page_and_is_sent_back_to_the_step(
    client, service, reviewer, submit_case, django_capture_on_commit_callbacks
):
    step = open_step(submit_case(), "health")
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_page(step), {"decision": "approve", "reason": ""})

    assert response.status_code == 302
    assert response.url == step_page(step)
    step.refresh_from_db()
    assert step.status == StepStatus.APPROVED
    assert step.decided_by == reviewer
    assert Step.objects.filter(application=step.application, status=StepStatus.OPEN).count() == 2


def test_reviewer_approves_with_htmx_and_gets_only_the_decision_panel(
    client, service, reviewer, submit_case, django_capture_on_commit_callbacks
):
    step = open_step(submit_case(), "health")
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_page(step), {"decision": "approve"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith('<section id="decision-panel"')
    assert html.endswith("</section>")
    assert "<html" not in html
    assert "status-approved" in html
    step.refresh_from_db()
    assert step.status == StepStatus.APPROVED


def test_reject_without_a_reason_through_the_page_shows_the_error_and_keeps_the_step_open(
    client, service, reviewer, submit_case, django_capture_on_commit_callbacks
):
    step = open_step(submit_case(), "health")
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_page(step), {"decision": "reject", "reason": ""}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "Give the reason for the rejection" in response.text
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_htmx_reject_without_a_reason_returns_the_error_panel_in_a_response_htmx_shows(
    client, service, reviewer, submit_case, django_capture_on_commit_callbacks
):
    step = open_step(submit_case(), "health")
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decide_page(step), {"decision": "reject", "reason": ""}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
        )

    html = response.text.strip()
    assert html.startswith('<section id="decision-panel"')
    assert "Give the reason for the rejection" in html
    htmx_swaps_errors = "responseHandling" in client.get(step_page(step)).text
    assert response.status_code < 400 or htmx_swaps_errors


# --- clerk steps and roles ----------------------------------------------------------------------


@pytest.fixture
def clerk_service():
    service = make_service(code="clerk-service", stages=[["health"]])
    StageStep.objects.filter(stage__template__service=service).update(role=StepRole.CLERK)
    return service


def test_clerk_step_is_decided_by_a_clerk_of_the_department(clerk_service, health, submit_case, decide):
    application = submit_case("clerk-service")
    step = open_step(application, "health")
    clerk = StaffFactory(membership__department=health, membership__role=StaffRole.CLERK)

    response = decide(clerk, step, "approve")

    assert step.role == StepRole.CLERK
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_clerk_step_cannot_be_decided_by_a_reviewer_of_the_department(clerk_service, reviewer, submit_case, decide):
    step = open_step(submit_case("clerk-service"), "health")

    response = decide(reviewer, step, "approve")

    assert response.status_code in (403, 404)
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_clerk_step_cannot_be_decided_by_a_reviewer_through_the_page(
    client, clerk_service, reviewer, submit_case, django_capture_on_commit_callbacks
):
    step = open_step(submit_case("clerk-service"), "health")
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_page(step), {"decision": "approve"})

    assert response.status_code in (403, 404)
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_reviewer_step_cannot_be_decided_by_a_clerk_of_the_department(service, health, submit_case, decide):
    step = open_step(submit_case(), "health")
    clerk = StaffFactory(membership__department=health, membership__role=StaffRole.CLERK)

    response = decide(clerk, step, "approve")

    assert response.status_code in (403, 404)
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_department_administrator_decides_clerk_steps_too(clerk_service, health, submit_case, decide):
    step = open_step(submit_case("clerk-service"), "health")
    admin = StaffFactory(membership__department=health, membership__role=StaffRole.DEPARTMENT_ADMIN)

    assert decide(admin, step, "approve").status_code == 200


# --- masking --------------------------------------------------------------------------------------


def test_step_page_masks_the_id_number_and_the_mobile_number(client, service, reviewer, submit_case):
    step = open_step(submit_case(), "health")
    client.force_login(reviewer)

    response = client.get(step_page(step))

    assert response.status_code == 200
    html = response.text
    assert MASKED_ID in html
    assert MASKED_MOBILE in html
    assert VALID_ANSWERS["id_number"] not in html
    assert VALID_ANSWERS["mobile"] not in html


def test_staff_screens_and_task_api_never_show_the_full_identifiers(
    api_client, client, service, reviewer, submit_case, django_capture_on_commit_callbacks
):
    step = open_step(submit_case(), "health")
    client.force_login(reviewer)
    api_client.force_authenticate(user=reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        decided = client.post(decide_page(step), {"decision": "approve"}, HTTP_HX_REQUEST="true")
    screens = [
        client.get(WORKBENCH).text,
        client.get(step_page(step)).text,
        decided.text,
        api_client.get(TASKS_API).content.decode(),
    ]

    for text in screens:
        assert VALID_ANSWERS["id_number"] not in text
        assert VALID_ANSWERS["mobile"] not in text


# --- query counts ---------------------------------------------------------------------------------


def test_workbench_query_count_is_bounded_and_does_not_grow_with_open_steps(
    client, service, reviewer, submit_case, django_assert_max_num_queries
):
    for _ in range(2):
        submit_case()
    client.force_login(reviewer)
    few = count_queries(client, WORKBENCH)
    for _ in range(18):
        submit_case()

    with django_assert_max_num_queries(6):
        many = count_queries(client, WORKBENCH)

    assert many == few


def test_task_list_api_query_count_does_not_grow_with_open_steps(
    api_client, service, reviewer, submit_case, django_assert_max_num_queries
):
    for _ in range(2):
        submit_case()
    api_client.force_authenticate(user=reviewer)
    few = count_queries(api_client, TASKS_API)
    for _ in range(18):
        submit_case()

    with django_assert_max_num_queries(4):
        many = count_queries(api_client, TASKS_API)

    assert many == few
    assert len(api_client.get(TASKS_API).json()["results"]) == 20


def test_step_page_query_count_does_not_grow_with_the_case_history(
    client, service, reviewer, submit_case, decide, django_assert_max_num_queries
):
    fresh = open_step(submit_case(), "health")
    later = submit_case()
    decide(reviewer, open_step(later, "health"))
    police = StaffFactory(membership__department=DepartmentFactory(code="police"))
    police.memberships.create(department=fresh.department, role=StaffRole.REVIEWER)
    decide(police, open_step(later, "police"))
    social_step = open_step(later, "social")
    police.memberships.create(department=social_step.department, role=StaffRole.REVIEWER)
    client.force_login(police)

    few = count_queries(client, step_page(fresh))
    # 17: with the audit trail's record of the read of personal data.
    with django_assert_max_num_queries(17):
        many = count_queries(client, step_page(social_step))

    assert many == few
