"""The citizen's draft through the API: what each material still needs, files sent for
materials and taken back, and who may do it."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from services.applications.models import Draft
from services.catalog.models import DocumentType, Material
from services.records.models import DocumentSource, Upload, WalletDocument
from tests.factories import SAMPLE_PDF, CitizenFactory, DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def draft_url(code: str = "birth-registration") -> str:
    return f"/api/v1/drafts/{code}/"


def files_url(code: str = "birth-registration") -> str:
    return f"/api/v1/drafts/{code}/files/"


@pytest.fixture
def materials(service):
    """The ID card (required, met by a wallet document), a birth certificate that may follow
    within 5 working days, and an optional photo."""
    id_card = service.materials.get()
    id_card.document_type = DocumentType.objects.create(
        code="resident_id_card", name_zh="居民身份证", name_en="ID card"
    )
    id_card.save()
    certificate = Material.objects.create(
        service=service, position=1, name_zh="出生医学证明", name_en="Birth certificate", deferrable_days=5
    )
    photo = Material.objects.create(service=service, position=2, name_zh="照片", name_en="Photo", required=False)
    return id_card, certificate, photo


@pytest.fixture
def citizen_api(api_client, citizen):
    api_client.force_authenticate(user=citizen)
    return api_client


def _send(api_client, material, content=SAMPLE_PDF, name="a.pdf", **headers):
    return api_client.post(
        files_url(), {"material": material.pk, "file": SimpleUploadedFile(name, content)}, format="multipart", **headers
    )


def test_the_draft_says_what_each_material_still_needs(citizen_api, citizen, materials):
    id_card, _certificate, photo = materials

    before = citizen_api.get(draft_url(), HTTP_ACCEPT_LANGUAGE="en").json()
    WalletDocument.objects.create(
        citizen=citizen,
        document_type=id_card.document_type,
        number="110105",
        holder_name="王小明",
        issuer=DepartmentFactory(code="psb"),
        issued_on=date(2020, 1, 1),
        source=DocumentSource.REGISTRY,
    )
    sent = _send(citizen_api, photo).json()
    after = citizen_api.get(draft_url(), HTTP_ACCEPT_LANGUAGE="en").json()

    assert before["data_consent"] == ""
    assert [(m["name"], m["missing"], m["deferred"]) for m in before["materials"]] == [
        ("Resident ID card", True, False),
        ("Birth certificate", False, True),
        ("Photo", False, False),
    ]
    assert after["materials"][0]["from_wallet"] == "ID card 110105"
    assert after["materials"][0]["missing"] is False
    assert after["materials"][2]["files"] == [sent]
    assert sent["name"] == "a.pdf" and sent["content_type"] == "application/pdf"


def test_reading_the_draft_makes_none(citizen_api, materials):
    assert citizen_api.get(draft_url()).status_code == 200
    assert not Draft.objects.exists()


def test_a_file_for_a_material_of_another_service_is_refused(citizen_api, materials):
    from tests.factories import make_service

    other = make_service(code="other", stages=[["mca"]]).materials.get()

    response = _send(citizen_api, other, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["detail"] == "This material is not part of this service."
    assert not Upload.objects.exists() and not Draft.objects.exists()


def test_an_empty_file_or_none_is_refused_in_the_callers_language(citizen_api, materials):
    empty = _send(citizen_api, materials[0], content=b"")
    without = citizen_api.post(
        files_url(), {"material": materials[0].pk}, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert empty.status_code == without.status_code == 400
    assert "file" in empty.json()["errors"]
    assert without.json()["errors"]["file"] == ["No file was submitted."]
    assert not Upload.objects.exists() and not Draft.objects.exists()


def test_a_file_is_taken_back_by_its_owner_only(citizen_api, api_client, materials):
    upload = _send(citizen_api, materials[2]).json()
    api_client.force_authenticate(user=CitizenFactory())

    theirs = api_client.delete(f"{files_url()}{upload['id']}/")
    api_client.force_authenticate(user=Draft.objects.get().citizen)
    mine = api_client.delete(f"{files_url()}{upload['id']}/")

    assert theirs.status_code == 404
    assert mine.status_code == 204
    assert not Upload.objects.exists()


def test_only_citizens_may_use_drafts(api_client, materials):
    anonymous = [api_client.get(draft_url()), _send(api_client, materials[0])]
    api_client.force_authenticate(user=StaffFactory(membership__department=DepartmentFactory(code="health")))
    staff = [api_client.get(draft_url()), _send(api_client, materials[0])]

    assert {r.status_code for r in anonymous} <= {401, 403}
    assert {r.status_code for r in staff} == {403}
    assert not Draft.objects.exists()


def test_the_draft_of_an_unknown_service_is_not_found(citizen_api):
    assert citizen_api.get(draft_url("no-such-service")).status_code == 404
    assert citizen_api.post(files_url("no-such-service"), {}, format="multipart").status_code in (400, 404)
