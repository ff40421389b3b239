"""Bad input to the application API: a body that is not JSON, too large, of the wrong types,
with oversized values, or a replayed idempotency key with another body. Each answers a clear
error in the caller's language and changes nothing."""

import json
import re
import uuid

import pytest

from services.applications.models import Draft
from services.casework.models import Application, CaseEvent
from services.core.models import OutboxMessage
from tests.factories import VALID_ANSWERS

pytestmark = pytest.mark.django_db

LIST_API = "/api/v1/applications/"
CJK_RE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def citizen_api(api_client, citizen, service):
    api_client.force_authenticate(user=citizen)
    return api_client


def _post_raw(api_client, body: str, content_type: str = "application/json", **headers):
    return api_client.generic("POST", LIST_API, body, content_type, **headers)


def _nothing_changed() -> None:
    assert not Application.objects.exists()
    assert not Draft.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_body_that_is_not_json_is_refused_in_english_when_asked(citizen_api):
    response = _post_raw(citizen_api, '{"service": "birth-registration", "answers": {', HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "detail": "The request could not be read: check that it is well-formed JSON (or a form, for a file).",
    }
    _nothing_changed()


def test_a_body_that_is_not_json_is_refused_in_chinese_by_default(citizen_api):
    response = _post_raw(citizen_api, "{'service': 'birth-registration'}")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert CJK_RE.search(response.json()["detail"])
    assert "Expecting" not in response.json()["detail"]
    _nothing_changed()


def test_a_body_that_is_not_json_at_all_is_refused_as_an_unsupported_type(citizen_api):
    response = _post_raw(citizen_api, "service=birth-registration", "text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert CJK_RE.search(response.json()["detail"])
    _nothing_changed()


@pytest.mark.parametrize(("language", "expected"), [("en", "at most 3 MB"), ("zh-hans", "3")])
def test_a_body_larger_than_allowed_is_a_413_in_json(citizen_api, settings, language, expected):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024
    huge = {"service": "birth-registration", "answers": {**VALID_ANSWERS, "full_name": "王" * 2 * 1024 * 1024}}

    response = _post_raw(citizen_api, json.dumps(huge, ensure_ascii=False), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "too_large"
    assert expected in response.json()["detail"]
    assert CJK_RE.search(response.json()["detail"]) or language == "en"
    _nothing_changed()


@pytest.mark.parametrize(
    ("body", "field", "english"),
    [
        ({"service": ["birth-registration"], "answers": VALID_ANSWERS}, "service", "Enter a valid"),
        ({"service": 7, "answers": VALID_ANSWERS}, "service", None),
        ({"service": "birth-registration", "answers": "王小明"}, "answers", "Expected a dictionary"),
        ({"service": "birth-registration", "answers": None}, "answers", "may not be null"),
        ({"service": "birth-registration"}, "answers", "This field is required."),
        (
            {"service": "birth-registration", "answers": {**VALID_ANSWERS, "full_name": ["王小明"]}},
            "full_name",
            "Give this answer as text or a number.",
        ),
        (
            {"service": "birth-registration", "answers": {**VALID_ANSWERS, "mobile": {"number": "13812345678"}}},
            "mobile",
            "Give this answer as text or a number.",
        ),
        (
            {"service": "birth-registration", "answers": {**VALID_ANSWERS, "full_name": True}},
            "full_name",
            "Give this answer as text or a number.",
        ),
        (
            {"service": "birth-registration", "answers": {**VALID_ANSWERS, "full_name": "王" * 100_000}},
            "full_name",
            "at most 200 characters",
        ),
    ],
)
def test_input_of_the_wrong_type_or_size_gets_a_field_error_in_the_callers_language(citizen_api, body, field, english):
    response = citizen_api.post(LIST_API, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    chinese = citizen_api.post(LIST_API, body, format="json")

    assert response.status_code == chinese.status_code
    if response.status_code == 404:  # a number is a fine code of a service that does not exist
        assert response.json()["code"] == "not_found"
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"
        if english:
            assert english in response.json()["errors"][field][0]
        assert CJK_RE.search(chinese.json()["errors"][field][0])
        assert chinese.json()["errors"][field][0] != response.json()["errors"][field][0]
    _nothing_changed()


def test_an_oversized_service_code_is_refused_not_looked_up(citizen_api):
    response = citizen_api.post(
        LIST_API, {"service": "a" * 5000, "answers": VALID_ANSWERS}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["service"] == ["Ensure this field has no more than 60 characters."]
    _nothing_changed()


def test_a_replayed_idempotency_key_with_another_body_is_refused_and_the_first_case_stays_as_it_was(
    citizen_api, service, django_capture_on_commit_callbacks
):
    service.materials.update(deferrable_days=5)
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        first = citizen_api.post(
            LIST_API, {"service": service.code, "answers": VALID_ANSWERS}, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
    application = Application.objects.get()
    events = CaseEvent.objects.count()
    changed = {"service": service.code, "answers": {**VALID_ANSWERS, "full_name": "王大明"}}

    english = citizen_api.post(LIST_API, changed, format="json", HTTP_IDEMPOTENCY_KEY=key, HTTP_ACCEPT_LANGUAGE="en")
    chinese = citizen_api.post(LIST_API, changed, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == 201
    assert english.status_code == chinese.status_code == 409
    assert english.json()["detail"] == "This idempotency key was already used for a different application."
    assert CJK_RE.search(chinese.json()["detail"])
    assert list(Application.objects.all()) == [application]
    application.refresh_from_db()
    assert application.answers["full_name"] == VALID_ANSWERS["full_name"]
    assert CaseEvent.objects.count() == events


def test_a_refused_submission_does_not_use_up_its_idempotency_key(
    citizen_api, service, django_capture_on_commit_callbacks
):
    """The first try lacked a material: the key made no case, so the try with it made one."""
    key = str(uuid.uuid4())
    payload = {"service": service.code, "answers": VALID_ANSWERS}
    refused = citizen_api.post(LIST_API, payload, format="json", HTTP_IDEMPOTENCY_KEY=key, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"materials": ["Resident ID card"]}
    _nothing_changed()

    service.materials.update(deferrable_days=5)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = citizen_api.post(LIST_API, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert accepted.status_code == 201
    assert Application.objects.get().idempotency_key == key


def test_answers_that_are_not_an_object_are_refused_by_the_action_too(citizen, service):
    """Callers other than the API's serializer get the same refusal, not a crash."""
    from services.applications.actions import application_send
    from services.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        application_send(citizen=citizen, service_code=service.code, answers=["王小明"], idempotency_key=None)

    assert refused.value.errors == {}
    _nothing_changed()
