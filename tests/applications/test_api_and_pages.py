"""Applications through the API and the pages: submission, idempotency, validation, language,
who may see what, htmx partials and query counts."""

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from services.accounts.tokens import token_issue
from services.casework.constants import ApplicationStatus, EventKind
from services.casework.history import event_record
from services.casework.models import Application, Step
from tests.factories import VALID_ANSWERS, CitizenFactory, DepartmentFactory, StaffFactory, make_service
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

LIST_API = "/api/v1/applications/"
REFERENCE_RE = re.compile(r"^[0-9]{8}-[0-9]{4}$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")

BAD_CHECK_DIGIT_ID = "110105194912310021"  # the right check character is X
EN_BAD_CHECK_DIGIT = "check it for a typing error"
EN_BAD_MOBILE = "Enter a mainland mobile number of 11 digits"
EN_REQUIRED = "This field is required."


def detail_api(reference: str) -> str:
    return f"/api/v1/applications/{reference}/"


def detail_page(reference: str) -> str:
    return f"/my/applications/{reference}/"


def apply_page(code: str) -> str:
    return f"/services/{code}/apply/"


def body(service: str = "birth-registration", **answers) -> dict:
    return {"service": service, "answers": {**VALID_ANSWERS, **answers}}


@pytest.fixture
def service(service):
    """The shared birth registration, its ID card allowed to follow later: these tests are
    about the answers and the cases (what a submission must bring is in test_channel_parity)."""
    service.materials.update(deferrable_days=5)
    return service


@pytest.fixture
def citizen_api(api_client, citizen):
    api_client.force_authenticate(user=citizen)
    return api_client


def submit(api_client, payload: dict, on_commit, **headers):
    with on_commit(execute=True):
        return api_client.post(LIST_API, payload, format="json", **headers)


# --- submission ---------------------------------------------------------------------------------


def test_citizen_submits_an_application_with_a_token_and_gets_a_reference(
    api_client, citizen, service, django_capture_on_commit_callbacks
):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=citizen)[1]}")

    response = submit(api_client, body(), django_capture_on_commit_callbacks)

    assert response.status_code == 201
    reference = response.json()["reference"]
    assert REFERENCE_RE.match(reference)
    application = Application.objects.get(reference=reference)
    assert application.citizen == citizen
    assert application.answers == VALID_ANSWERS
    assert response.json()["service"] == "birth-registration"
    assert response.json()["answers"] == VALID_ANSWERS


def test_submitted_application_is_routed_to_the_first_stage(citizen_api, service, django_capture_on_commit_callbacks):
    reference = submit(citizen_api, body(), django_capture_on_commit_callbacks).json()["reference"]

    detail = citizen_api.get(detail_api(reference)).json()

    assert detail["status"] == ApplicationStatus.IN_REVIEW
    assert [d["code"] for d in detail["current_departments"]] == ["health"]
    assert [e["kind"] for e in detail["timeline"]] == [EventKind.SUBMITTED, EventKind.STAGE_STARTED]


def test_two_submissions_get_different_references(citizen_api, service, django_capture_on_commit_callbacks):
    first = submit(citizen_api, body(), django_capture_on_commit_callbacks).json()["reference"]
    second = submit(citizen_api, body(), django_capture_on_commit_callbacks).json()["reference"]

    assert first != second
    assert Application.objects.count() == 2


def test_same_body_with_the_same_idempotency_key_creates_one_case(
    citizen_api, service, django_capture_on_commit_callbacks
):
    key = str(uuid.uuid4())

    first = submit(citizen_api, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY=key)
    second = submit(citizen_api, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["reference"] == first.json()["reference"]
    assert Application.objects.count() == 1
    assert Step.objects.count() == 1


def test_same_idempotency_key_for_another_citizen_creates_their_own_case(
    api_client, service, django_capture_on_commit_callbacks
):
    key = str(uuid.uuid4())
    api_client.force_authenticate(user=CitizenFactory())
    first = submit(api_client, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY=key)
    api_client.force_authenticate(user=CitizenFactory())

    second = submit(api_client, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY=key)

    assert second.status_code == 201
    assert second.json()["reference"] != first.json()["reference"]


def test_same_idempotency_key_with_a_different_body_is_a_409(citizen_api, service, django_capture_on_commit_callbacks):
    key = str(uuid.uuid4())
    submit(citizen_api, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY=key)

    response = submit(
        citizen_api, body(full_name="王大明"), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["detail"]
    assert Application.objects.count() == 1


def test_an_idempotency_key_longer_than_80_characters_is_refused_not_cut(
    citizen_api, service, django_capture_on_commit_callbacks
):
    """Cutting long keys would make two different keys count as one."""
    prefix = "portal-mobile-app:" + "0" * 70
    first = submit(citizen_api, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY=prefix + "-1")
    fits = submit(citizen_api, body(), django_capture_on_commit_callbacks, HTTP_IDEMPOTENCY_KEY="k" * 80)

    assert first.status_code == 400
    assert first.json()["code"] == "idempotency_key_too_long"
    assert fits.status_code == 201
    assert Application.objects.count() == 1


def test_application_for_a_service_without_an_active_workflow_is_refused(
    citizen_api, service, django_capture_on_commit_callbacks
):
    service.workflows.update(is_active=False)

    response = submit(citizen_api, body(), django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.json()["code"] == "unavailable"
    assert not Application.objects.exists()


def test_application_for_an_unpublished_service_is_a_404(citizen_api, service, django_capture_on_commit_callbacks):
    service.is_published = False
    service.save()

    response = submit(citizen_api, body(), django_capture_on_commit_callbacks)

    assert response.status_code == 404
    assert not Application.objects.exists()


def test_application_for_an_unknown_service_is_a_404_json(citizen_api, django_capture_on_commit_callbacks):
    response = submit(citizen_api, body(service="no-such-service"), django_capture_on_commit_callbacks)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"]
    assert not Application.objects.exists()


def test_application_without_a_service_field_is_a_400(citizen_api):
    response = citizen_api.post(LIST_API, {"answers": VALID_ANSWERS}, format="json")

    assert response.status_code == 400
    assert "service" in response.json()["errors"]


# --- validation of answers -----------------------------------------------------------------------


def test_missing_required_answer_is_a_400_with_a_field_error(citizen_api, service):
    answers = {k: v for k, v in VALID_ANSWERS.items() if k != "full_name"}

    response = citizen_api.post(
        LIST_API, {"service": "birth-registration", "answers": answers}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.json()["errors"]["full_name"] == [EN_REQUIRED]
    assert not Application.objects.exists()


def test_id_number_with_a_wrong_check_digit_is_a_400_with_a_field_error(citizen_api, service):
    response = citizen_api.post(LIST_API, body(id_number=BAD_CHECK_DIGIT_ID), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["id_number"]
    assert EN_BAD_CHECK_DIGIT in response.json()["errors"]["id_number"][0]


def test_id_number_with_an_impossible_birth_date_is_a_400(citizen_api, service):
    response = citizen_api.post(
        LIST_API, body(id_number="110105194902301234"), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "date of birth" in response.json()["errors"]["id_number"][0]


@pytest.mark.parametrize("mobile", ["12345678901", "1381234567", "138123456789", "phone"])
def test_malformed_mobile_answer_is_a_400_with_a_field_error(citizen_api, service, mobile):
    response = citizen_api.post(LIST_API, body(mobile=mobile), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert EN_BAD_MOBILE in response.json()["errors"]["mobile"][0]
    assert not Application.objects.exists()


def test_mobile_answer_with_full_width_digits_is_never_stored_as_typed(
    citizen_api, service, django_capture_on_commit_callbacks
):
    response = submit(citizen_api, body(mobile="13８１２３４５６７８"), django_capture_on_commit_callbacks)

    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert response.json()["answers"]["mobile"] == "13812345678"
    else:
        assert "mobile" in response.json()["errors"]


def test_answer_normalisation_stores_the_mobile_without_spaces_and_the_id_in_upper_case(
    citizen_api, service, django_capture_on_commit_callbacks
):
    response = submit(
        citizen_api,
        body(mobile="+86 138 1234 5678", id_number="11010519491231002x"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 201
    assert response.json()["answers"]["mobile"] == "13812345678"
    assert response.json()["answers"]["id_number"] == "11010519491231002X"


def test_date_answer_that_is_not_a_string_is_a_400_not_a_server_error(citizen_api, service):
    response = citizen_api.post(LIST_API, body(birth_date=20000101), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "birth_date" in response.json()["errors"]


def test_unknown_answer_keys_are_a_400(citizen_api, service):
    response = citizen_api.post(LIST_API, body(nickname="小明"), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["nickname"]
    assert not Application.objects.exists()


def test_answers_that_are_not_an_object_are_a_400(citizen_api, service):
    response = citizen_api.post(LIST_API, {"service": "birth-registration", "answers": ["王小明"]}, format="json")

    assert response.status_code == 400
    assert "answers" in response.json()["errors"]


# --- language of error messages --------------------------------------------------------------------


def test_error_messages_are_in_english_when_asked(citizen_api, service):
    response = citizen_api.post(
        LIST_API, body(id_number=BAD_CHECK_DIGIT_ID, full_name=""), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    errors = response.json()["errors"]
    assert EN_BAD_CHECK_DIGIT in errors["id_number"][0]
    assert errors["full_name"] == [EN_REQUIRED]
    assert response.json()["detail"] == "Some answers need your attention."


def test_error_messages_are_in_chinese_by_default(citizen_api, service):
    english = citizen_api.post(LIST_API, body(full_name=""), format="json", HTTP_ACCEPT_LANGUAGE="en").json()

    chinese = citizen_api.post(LIST_API, body(full_name=""), format="json").json()

    assert chinese["errors"]["full_name"] != english["errors"]["full_name"]
    assert CJK_RE.search(chinese["errors"]["full_name"][0])


@pytest.mark.skipif(
    not any((Path(p) / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists() for p in settings.LOCALE_PATHS),
    reason="the portal's Chinese catalogue is not compiled (run `make messages`)",
)
def test_portal_validation_messages_are_in_chinese_by_default(citizen_api, service):
    english = citizen_api.post(
        LIST_API, body(id_number=BAD_CHECK_DIGIT_ID, mobile="12345"), format="json", HTTP_ACCEPT_LANGUAGE="en"
    ).json()

    chinese = citizen_api.post(LIST_API, body(id_number=BAD_CHECK_DIGIT_ID, mobile="12345"), format="json").json()

    for field in ("id_number", "mobile"):
        message = chinese["errors"][field][0]
        assert message != english["errors"][field][0] or CJK_RE.search(message)
    assert chinese["detail"] != english["detail"]


# --- who may do what -----------------------------------------------------------------------------


def test_staff_cannot_submit_applications(api_client, service):
    api_client.force_authenticate(user=StaffFactory(membership__department=DepartmentFactory(code="health")))

    response = api_client.post(LIST_API, body(), format="json")

    assert response.status_code == 403
    assert not Application.objects.exists()


def test_anonymous_cannot_use_the_applications_api(api_client, service):
    assert api_client.post(LIST_API, body(), format="json").status_code in (401, 403)
    assert api_client.get(LIST_API).status_code in (401, 403)
    assert api_client.get(detail_api("20260101-0001")).status_code in (401, 403)
    assert not Application.objects.exists()


def test_citizen_cannot_get_another_citizens_case_through_the_api(
    api_client, service, django_capture_on_commit_callbacks
):
    owner = CitizenFactory()
    api_client.force_authenticate(user=owner)
    reference = submit(api_client, body(), django_capture_on_commit_callbacks).json()["reference"]
    api_client.force_authenticate(user=CitizenFactory())

    response = api_client.get(detail_api(reference))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert VALID_ANSWERS["id_number"] not in response.text


def test_citizen_does_not_see_another_citizens_case_in_their_list(
    api_client, client, service, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(user=CitizenFactory())
    reference = submit(api_client, body(), django_capture_on_commit_callbacks).json()["reference"]
    other = CitizenFactory()
    api_client.force_authenticate(user=other)
    client.force_login(other)

    api_list = api_client.get(LIST_API).json()
    page = client.get("/my/applications/")

    assert api_list["count"] == 0
    assert api_list["results"] == []
    assert page.status_code == 200
    assert reference not in page.text


def test_citizen_cannot_open_another_citizens_case_page(
    api_client, client, service, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(user=CitizenFactory())
    reference = submit(api_client, body(), django_capture_on_commit_callbacks).json()["reference"]
    client.force_login(CitizenFactory())

    assert client.get(detail_page(reference)).status_code == 404
    assert client.get(detail_page(reference), HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(f"{detail_page(reference)}submitted/").status_code == 404


def test_citizen_lists_their_own_cases_newest_first(citizen_api, service, django_capture_on_commit_callbacks):
    first = submit(citizen_api, body(), django_capture_on_commit_callbacks).json()["reference"]
    second = submit(citizen_api, body(), django_capture_on_commit_callbacks).json()["reference"]

    listing = citizen_api.get(LIST_API).json()

    assert listing["count"] == 2
    assert [a["reference"] for a in listing["results"]] == [second, first]
    assert listing["results"][0]["service"] == "birth-registration"


def test_anonymous_is_sent_to_sign_in_from_the_case_pages(client, service):
    for url in ("/my/applications/", detail_page("20260101-0001"), apply_page("birth-registration")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/signin/"), url
        assert "next=" in response.url, url


def test_staff_cannot_open_the_citizen_pages(client, service):
    client.force_login(StaffFactory(membership__department=DepartmentFactory(code="health")))

    assert client.get("/my/applications/").status_code == 403
    assert client.get(apply_page("birth-registration")).status_code == 403


# --- case pages ---------------------------------------------------------------------------------


def _submitted(citizen, on_commit, service_code: str = "birth-registration") -> Application:
    from services.casework.submission import application_submit

    with on_commit(execute=True):
        application, _created = application_submit(
            citizen=citizen, service_code=service_code, answers=dict(VALID_ANSWERS)
        )
    application.refresh_from_db()
    return application


def test_case_detail_page_shows_status_departments_and_answers(
    citizen_client, citizen, service, django_capture_on_commit_callbacks
):
    application = _submitted(citizen, django_capture_on_commit_callbacks)

    response = citizen_client.get(detail_page(application.reference), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.text
    assert "<html" in html
    assert 'id="case-status"' in html
    assert application.reference in html
    assert "health bureau" in html
    assert "王小明" in html


def test_case_detail_htmx_request_returns_only_the_status_section(
    citizen_client, citizen, service, django_capture_on_commit_callbacks
):
    application = _submitted(citizen, django_capture_on_commit_callbacks)

    response = citizen_client.get(detail_page(application.reference), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.text.strip()
    assert "<html" not in html
    assert "<body" not in html
    assert html.startswith('<section id="case-status"')
    assert html.endswith("</section>")
    assert application.reference in html


def test_case_list_page_shows_the_citizens_cases(citizen_client, citizen, service, django_capture_on_commit_callbacks):
    application = _submitted(citizen, django_capture_on_commit_callbacks)

    response = citizen_client.get("/my/applications/")

    assert response.status_code == 200
    assert detail_page(application.reference) in response.text


# --- apply page ---------------------------------------------------------------------------------


def _form_data(**overrides) -> dict:
    return {**VALID_ANSWERS, "birth_date": "", "idempotency_key": str(uuid.uuid4()), **overrides}


def test_apply_page_of_an_unknown_service_is_a_404(citizen_client):
    assert citizen_client.get(apply_page("no-such-service")).status_code == 404


# --- query counts -------------------------------------------------------------------------------


def _add_events(application: Application, count: int) -> None:
    departments = [DepartmentFactory(code=f"extra{n}") for n in range(3)]
    for n in range(count):
        event_record(application=application, kind=EventKind.STEP_APPROVED, department=departments[n % 3], note="ok")


def test_list_api_query_count_does_not_grow_with_the_number_of_cases(
    citizen_api, citizen, service, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    _submitted(citizen, django_capture_on_commit_callbacks)
    few = count_queries(citizen_api, LIST_API)
    for _ in range(9):
        _submitted(citizen, django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(4):
        many = count_queries(citizen_api, LIST_API)

    assert many == few


def test_detail_api_query_count_does_not_grow_with_events_or_open_steps(
    citizen_api, citizen, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    make_service(code="small", stages=[["s1"]])
    make_service(code="wide", stages=[["w1", "w2", "w3", "w4"], ["w5"]])
    small = _submitted(citizen, django_capture_on_commit_callbacks, "small")
    wide = _submitted(citizen, django_capture_on_commit_callbacks, "wide")
    _add_events(wide, 12)

    few = count_queries(citizen_api, detail_api(small.reference))
    with django_assert_max_num_queries(6):
        many = count_queries(citizen_api, detail_api(wide.reference))

    assert many == few
    assert len(citizen_api.get(detail_api(wide.reference)).json()["timeline"]) == 14


def test_detail_page_query_count_does_not_grow_with_events_or_open_steps(
    citizen_client, citizen, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    make_service(code="small", stages=[["s1"]])
    make_service(code="wide", stages=[["w1", "w2", "w3", "w4"], ["w5"]])
    small = _submitted(citizen, django_capture_on_commit_callbacks, "small")
    wide = _submitted(citizen, django_capture_on_commit_callbacks, "wide")
    _add_events(wide, 12)

    few = count_queries(citizen_client, detail_page(small.reference))
    with django_assert_max_num_queries(11):
        many = count_queries(citizen_client, detail_page(wide.reference))

    assert many == few
    with django_assert_max_num_queries(11):
        count_queries(citizen_client, detail_page(wide.reference), HTTP_HX_REQUEST="true")
