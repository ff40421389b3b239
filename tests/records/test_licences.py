"""E-licences: issued by the issuing department's worker when a case is approved, placed in
the wallet, verifiable by anyone; and once-only: a later application uses the wallet instead
of uploads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from services.applications import actions as application_actions
from services.casework.licences import case_licence_issue
from services.casework.models import Application
from services.catalog.models import Service
from services.core.models import OutboxMessage
from services.records import licences
from services.records.models import DocumentStatus, Evidence, Upload, WalletDocument
from services.records.uploads import draft_materials
from tests.casework.helpers import approve_all
from tests.factories import MARRIAGE, SAMPLE_PDF

pytestmark = pytest.mark.django_db

HOUSING = {
    "applicant_name": "张伟",
    "applicant_id_number": "11010519491231002X",
    "applicant_mobile": "13800138001",
    "household_size": "2",
    "monthly_income": "5000",
    "current_address": "幸福路1号",
}


def _pdf_text(pdf: bytes) -> bytes:
    """The text a reader finds in the PDF."""
    import io

    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).encode()


def _apply(citizen, code: str, answers: dict, capture, upload_missing=True) -> Application:
    draft = application_actions.draft_start(citizen=citizen, service=Service.objects.get(code=code))
    draft.answers = dict(answers)
    draft.save()
    uploads = 0
    for row in draft_materials(draft=draft):
        if row["missing"] and upload_missing:
            application_actions.draft_upload_add(
                draft=draft, material_id=row["material"].pk, file=SimpleUploadedFile("s.pdf", SAMPLE_PDF)
            )
            uploads += 1
    with capture(execute=True):
        application = application_actions.draft_submit(draft=draft)
    application.uploads_made = uploads
    return application


def test_approval_issues_the_licence_on_the_issuing_departments_queue(demo, django_capture_on_commit_callbacks):
    citizen = demo["13800138001"]
    application = _apply(citizen, "marriage-registration", MARRIAGE, django_capture_on_commit_callbacks)
    approve_all(application, demo, django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.status == "completed"

    message = OutboxMessage.objects.get(task_name="casework.issue_licence")
    assert message.queue == "dept.mca" and message.done_at is not None
    licence = WalletDocument.objects.get(application=application)
    assert licence.document_type.code == "marriage_certificate"
    assert licence.status == DocumentStatus.VALID and licence.citizen == citizen
    pdf = licence.file.read()
    assert pdf.startswith(b"%PDF")
    assert licence.verification_code.encode() in _pdf_text(pdf)
    assert citizen.notifications.filter(kind="licence_issued").exists()
    # A repeated message issues nothing more.
    assert case_licence_issue(application_id=application.pk) == licence
    assert WalletDocument.objects.filter(application=application).count() == 1


def test_a_second_issue_of_the_same_type_supersedes_the_first(demo, django_capture_on_commit_callbacks):
    citizen = demo["13800138001"]
    for _ in range(2):
        application = _apply(citizen, "marriage-registration", MARRIAGE, django_capture_on_commit_callbacks)
        approve_all(application, demo, django_capture_on_commit_callbacks)
    first, second = WalletDocument.objects.filter(document_type__code="marriage_certificate").order_by("version")
    assert (first.status, second.status, second.version) == (DocumentStatus.SUPERSEDED, DocumentStatus.VALID, 2)
    assert licences.licence_verify(code=first.verification_code)[0] == licences.VALID or first.status != "valid"


def test_once_only_a_later_service_needs_no_upload_at_all(demo, django_capture_on_commit_callbacks):
    citizen = demo["13800138001"]
    marriage = _apply(citizen, "marriage-registration", MARRIAGE, django_capture_on_commit_callbacks)
    approve_all(marriage, demo, django_capture_on_commit_callbacks)

    housing = _apply(
        citizen, "public-rental-housing", HOUSING, django_capture_on_commit_callbacks, upload_missing=False
    )
    assert housing.uploads_made == 0
    assert not Upload.objects.filter(application=housing).exists()
    used = dict(
        Evidence.objects.filter(application=housing).values_list("document__document_type__code", "document__source")
    )
    assert used == {"resident_id_card": "registry", "marriage_certificate": "issued"}


def test_without_the_licence_the_material_must_be_uploaded(demo):
    citizen = demo["13800138002"]  # holds an ID card, no marriage certificate
    draft = application_actions.draft_start(citizen=citizen, service=Service.objects.get(code="public-rental-housing"))
    rows = {row["material"].name_zh: row for row in draft_materials(draft=draft)}
    assert rows["申请人居民身份证"]["from_wallet"] is not None and not rows["申请人居民身份证"]["missing"]
    assert rows["结婚证"]["missing"]


def test_verification_tells_valid_revoked_and_unknown_and_shows_the_minimum(
    client, api_client, demo, django_capture_on_commit_callbacks
):
    application = _apply(demo["13800138001"], "marriage-registration", MARRIAGE, django_capture_on_commit_callbacks)
    approve_all(application, demo, django_capture_on_commit_callbacks)
    licence = WalletDocument.objects.get(application=application)
    code = licence.verification_code

    page = client.get(f"/verify/{code}/")
    html = page.content.decode()
    assert page.status_code == 200 and "panel-confirm" in html
    assert "张*" in html and "张伟" not in html and MARRIAGE["applicant_id_number"] not in html
    api = api_client.get(f"/api/v1/licences/verify/{code}/").json()
    assert api["status"] == "valid" and api["holder"] == "张*" and api["number"] == licence.number

    tampered = code[:-1] + ("2" if code[-1] != "2" else "3")
    assert client.get(f"/verify/{tampered}/").status_code == 404
    assert api_client.get(f"/api/v1/licences/verify/{tampered}/").json() == {"status": "unknown"}
    made_up = licences.code_make()  # well formed and signed, but never issued
    assert api_client.get(f"/api/v1/licences/verify/{made_up}/").json()["status"] == "unknown"

    licences.licence_revoke(document=licence)
    assert api_client.get(f"/api/v1/licences/verify/{code}/").json()["status"] == "revoked"
    assert "error-summary" in client.get(f"/verify/{code.lower()}/").content.decode()


def test_the_verification_form_works_without_javascript(client, demo):
    response = client.get("/verify/", {"code": "abcd-efgh"})
    assert response.status_code == 302
    assert client.get(response.url).status_code == 404


def test_the_wallet_shows_and_serves_only_the_owners_documents(client, demo, django_capture_on_commit_callbacks):
    application = _apply(demo["13800138001"], "marriage-registration", MARRIAGE, django_capture_on_commit_callbacks)
    approve_all(application, demo, django_capture_on_commit_callbacks)
    licence = WalletDocument.objects.get(application=application)
    client.force_login(demo["13800138001"])
    html = client.get("/my/wallet/").content.decode()
    assert licence.number in html and "RESIDENT_ID_CARD" in html
    assert client.get(f"/my/wallet/{licence.pk}/file/").status_code == 200
    client.force_login(demo["13800138002"])
    assert licence.number not in client.get("/my/wallet/").content.decode()
    assert client.get(f"/my/wallet/{licence.pk}/file/").status_code == 404


def test_the_guide_tells_a_signed_in_citizen_what_they_already_have(client, demo):
    anonymous = client.get("/services/public-rental-housing/").content.decode()
    assert "tag-done" not in anonymous
    assert "人口信息库" in anonymous  # what will be fetched, from whom, for what
    client.force_login(demo["13800138001"])
    html = client.get("/services/public-rental-housing/").content.decode()
    assert html.count("tag-done") == 1  # the ID card; the marriage certificate is not issued yet
