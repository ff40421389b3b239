"""The once-only journey, through the pages: data from two departments after consent, a
decision that issues an e-licence, then a second service applied for with no upload."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from services.applications.models import Draft
from services.casework.models import Application, Step
from services.core.models import OutboxMessage
from services.records.models import DataAccess, Evidence, Fetch, Upload, WalletDocument
from tests.casework.helpers import approve_all
from tests.factories import SAMPLE_PDF

pytestmark = pytest.mark.django_db


def _go(client, code: str, page: str, data: dict, capture=None):
    url = f"/services/{code}/apply/{page}/"
    if capture:
        with capture(execute=True):
            return client.post(url, data)
    return client.post(url, data)


def test_once_only_from_consent_to_a_second_service_with_no_upload(client, demo, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    citizen = demo["13800138001"]
    client.force_login(citizen)

    # 1. Marriage registration: consent to two departments' data.
    assert client.get("/services/marriage-registration/apply/").url.endswith("/consent/")
    requirement_ids = [r.pk for r in citizen.drafts.get().service.data_requirements.all()]
    _go(
        client,
        "marriage-registration",
        "consent",
        {"action": "agree", "id_number": "11010519491231002X", "requirement": requirement_ids},
        capture,
    )
    fetch_queues = sorted(OutboxMessage.objects.filter(task_name="records.fetch").values_list("queue", flat=True))
    assert fetch_queues == ["dept.mca", "dept.psb"]
    assert set(Fetch.objects.values_list("status", flat=True)) == {"done"}

    # The name comes from the population registry; the rest is typed.
    _go(
        client,
        "marriage-registration",
        "applicant",
        {"applicant_id_number": "11010519491231002X", "applicant_mobile": "13800138001", "action": "next"},
    )
    _go(
        client,
        "marriage-registration",
        "partner",
        {
            "partner_name": "王芳",
            "partner_id_number": "440305199003071236",
            "preferred_date": "2026-12-18",
            "previously_married": "no",
            "action": "next",
        },
    )
    materials = client.get("/services/marriage-registration/apply/materials/").content.decode()
    assert materials.count("tag-done") == 2  # ID cards and household registers: from the wallet
    photo = Draft.objects.get(citizen=citizen).service.materials.get(name_zh="近期二寸合影照片")
    client.post(
        "/services/marriage-registration/apply/materials/",
        {"material": photo.pk, "file": SimpleUploadedFile("photo.pdf", SAMPLE_PDF)},
    )
    assert _go(client, "marriage-registration", "materials", {"action": "continue"}).url.endswith("/check/")
    key = Draft.objects.get(citizen=citizen).submit_key
    _go(client, "marriage-registration", "check", {"submit_key": key}, capture)
    marriage = Application.objects.get(service__code="marriage-registration")
    assert marriage.answers["applicant_name"] == "张伟"

    # 2. Decided; the marriage certificate is issued by the civil affairs bureau's worker.
    approve_all(marriage, demo, capture)
    licence = WalletDocument.objects.get(application=marriage)
    assert OutboxMessage.objects.get(task_name="casework.issue_licence").queue == "dept.mca"

    # 3. Public rental housing needs the marriage certificate and an ID card: no upload at all.
    client.get("/services/public-rental-housing/apply/")
    _go(client, "public-rental-housing", "consent", {"action": "decline"})
    _go(
        client,
        "public-rental-housing",
        "applicant",
        {
            "applicant_name": "张伟",
            "applicant_id_number": "11010519491231002X",
            "applicant_mobile": "13800138001",
            "action": "next",
        },
    )
    _go(
        client,
        "public-rental-housing",
        "household",
        {"household_size": "2", "monthly_income": "5000", "current_address": "幸福路1号", "action": "next"},
    )
    assert _go(client, "public-rental-housing", "materials", {"action": "continue"}).url.endswith("/check/")
    key = Draft.objects.get(citizen=citizen, service__code="public-rental-housing").submit_key
    response = _go(client, "public-rental-housing", "check", {"submit_key": key}, capture)
    housing = Application.objects.get(service__code="public-rental-housing")
    assert response.url.endswith(f"/{housing.reference}/submitted/")
    assert not Upload.objects.filter(application=housing).exists()
    used = {e.document for e in Evidence.objects.filter(application=housing)}
    assert licence in used and any(d.source == "registry" for d in used)

    # The citizen's data log shows the identity check and both connector fetches.
    assert DataAccess.objects.filter(citizen=citizen, connector__in=["population", "marriage"]).count() == 3

    # Staff of the marriage case see what was fetched for it.
    client.force_login(demo["mca.admin"])
    step = Step.objects.filter(application=marriage).first()
    assert "fetch-done" in client.get(f"/workbench/steps/{step.pk}/").content.decode()

    # After all of it, no table holds either resident ID number in clear.
    assert _tables_containing(["11010519491231002X", "440305199003071236"]) == []


def _tables_containing(needles: list[str]) -> list[str]:
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema itself
            text = " ".join(str(value) for row in cursor.fetchall() for value in row)
            found += [f"{table}: {needle}" for needle in needles if needle in text or needle.lower() in text]
    return found
