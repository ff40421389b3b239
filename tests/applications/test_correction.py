"""The citizen answers a correction request (补正) on the case page and through the API."""

import pytest

from services.casework.constants import ApplicationStatus
from services.casework.models import Step
from tests.casework.helpers import decide, open_steps, reviewer_of, submit
from tests.factories import PASSWORD, CitizenFactory, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(django_capture_on_commit_callbacks):
    """A case waiting for its citizen to fix the mobile number and add a document."""
    service = make_service(stages=[["psb"]])
    citizen = CitizenFactory()
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    reviewer = reviewer_of("psb")
    decide(
        open_steps(application)[0],
        "correction",
        django_capture_on_commit_callbacks,
        user=reviewer,
        items=[{"field": "mobile", "text": "预留手机号码无法接通，请更正"}, "请补充户口簿首页"],
    )
    application.refresh_from_db()
    return application, citizen, reviewer


def test_case_page_lists_every_item_and_asks_only_the_named_question(client, waiting):
    application, citizen, _ = waiting
    client.force_login(citizen)
    page = client.get(f"/my/applications/{application.reference}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "预留手机号码无法接通，请更正" in html and "请补充户口簿首页" in html
    assert 'name="mobile"' in html
    assert 'name="full_name"' not in html and 'name="id_number"' not in html


def test_a_bad_correction_keeps_the_case_waiting_and_says_why(client, waiting):
    application, citizen, _ = waiting
    client.force_login(citizen)
    response = client.post(f"/my/applications/{application.reference}/correction/", {"mobile": "12345"})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION


def test_a_good_correction_returns_the_case_to_the_step_that_asked(client, waiting, django_capture_on_commit_callbacks):
    application, citizen, reviewer = waiting
    client.force_login(citizen)
    response = client.post(
        f"/my/applications/{application.reference}/correction/", {"mobile": "13900001111", "comment": "已更正"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.answers["mobile"] == "13900001111"
    (step,) = Step.objects.filter(application=application)
    decide(step, "approve", django_capture_on_commit_callbacks, user=reviewer)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_another_citizen_cannot_answer_the_correction(client, waiting):
    application, _, _ = waiting
    client.force_login(CitizenFactory())
    response = client.post(f"/my/applications/{application.reference}/correction/", {"mobile": "13900001111"})
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION


def test_api_shows_the_open_correction_and_takes_the_answer(api_client, waiting):
    application, citizen, _ = waiting
    token = api_client.post("/api/v1/auth/token/", {"username": citizen.mobile, "password": PASSWORD}).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    detail = api_client.get(f"/api/v1/applications/{application.reference}/").json()
    assert [i["field"] for i in detail["open_correction"]["items"]] == ["mobile", ""]

    refused = api_client.post(
        f"/api/v1/applications/{application.reference}/correction/",
        {"answers": {"full_name": "别人"}},
        format="json",
    )
    assert refused.status_code == 400
    assert "full_name" in refused.json()["errors"]

    done = api_client.post(
        f"/api/v1/applications/{application.reference}/correction/",
        {"answers": {"mobile": "13900001111"}, "comment": "已更正"},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "in_review"
    assert done.json()["open_correction"] is None
    again = api_client.post(f"/api/v1/applications/{application.reference}/correction/", {}, format="json")
    assert again.status_code == 409
