"""Resident ID numbers are encrypted at rest, still findable by a keyed blind index, masked
on staff screens and never in a URL."""

import re

import pytest
from django.db import connection

from services.applications.models import Draft
from services.casework.models import Application, ApplicationIdentity
from services.core import crypto
from services.records.models import DataAccess
from tests.casework.helpers import decide, open_steps, reviewer_of, submit
from tests.factories import VALID_ANSWERS, CitizenFactory, make_service

pytestmark = pytest.mark.django_db

ID = VALID_ANSWERS["id_number"]  # 11010519491231002X
ID_PATTERN = re.compile(r"\d{17}[\dXx]")


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608 - fixed names
        return [str(row[0]) for row in cursor.fetchall()]


def test_the_database_holds_no_resident_id_number_in_clear(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    citizen = CitizenFactory()
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    Draft.objects.create(
        citizen=citizen, service=service, answers={"id_number": ID}, expires_on="2030-01-01", submit_key="k"
    )
    stored = _raw("applications_application", "answers") + _raw("applications_draft", "answers")
    assert stored and not any(ID_PATTERN.search(value) for value in stored), stored
    assert all("__enc__" in value for value in stored)
    # In Python the value is plain, for the code that needs it.
    assert Application.objects.get(pk=application.pk).answers["id_number"] == ID


def test_encryption_keys_rotate_without_losing_old_values(settings):
    from cryptography.fernet import Fernet

    token = crypto.encrypt(ID)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    assert crypto.decrypt(token) == ID
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ValueError):
        crypto.decrypt(token)


def test_the_blind_index_depends_on_the_key(settings):
    first = crypto.blind_index(ID)
    assert crypto.blind_index(ID) == first and ID not in first
    settings.BLIND_INDEX_KEY = "another-key"
    assert crypto.blind_index(ID) != first


def test_staff_find_a_case_by_id_number_through_a_post_and_it_is_logged(client, django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    citizen = CitizenFactory()
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    other = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    other.answers = {**other.answers, "id_number": "440305199003071236"}
    other.save()
    from services.casework.personal_data import application_identities_sync

    application_identities_sync(application=other)
    assert ApplicationIdentity.objects.filter(application=application).count() == 1

    client.force_login(reviewer_of("psb"))
    page = client.get("/workbench/").content.decode()
    assert 'method="post"' in page and 'name="id_number"' in page
    found = client.post("/workbench/", {"id_number": ID.lower()}).content.decode()
    assert application.reference in found and other.reference not in found
    assert ID not in found  # masked in every staff list
    assert DataAccess.objects.filter(citizen=citizen, case_reference=application.reference).exists()
    assert not DataAccess.objects.filter(case_reference=other.reference).exists()

    bad = client.post("/workbench/", {"id_number": "110105194912310021"})
    assert "error-summary" in bad.content.decode()


def test_api_search_by_id_number_is_a_post(api_client, django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    api_client.force_authenticate(reviewer_of("psb"))
    assert api_client.get("/api/v1/tasks/search/").status_code == 405
    response = api_client.post("/api/v1/tasks/search/", {"id_number": ID}, format="json")
    assert [r["reference"] for r in response.json()["results"]] == [application.reference]
    assert api_client.post("/api/v1/tasks/search/", {"id_number": "1"}, format="json").status_code == 400


def test_a_correction_keeps_the_index_in_step(django_capture_on_commit_callbacks):
    from services.casework import citizen as case_citizen

    service = make_service(stages=[["psb"]])
    citizen = CitizenFactory()
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    reviewer = reviewer_of("psb")
    decide(
        open_steps(application)[0],
        "correction",
        django_capture_on_commit_callbacks,
        user=reviewer,
        items=[{"field": "id_number", "text": "身份证号码有误"}],
    )
    case_citizen.case_correction_submit(
        application_id=application.pk, citizen=citizen, answers={"id_number": "440305199003071236"}
    )
    digests = set(ApplicationIdentity.objects.filter(application=application).values_list("digest", flat=True))
    assert digests == {crypto.blind_index("440305199003071236")}
