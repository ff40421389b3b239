"""Applying page by page: questions by group, questions shown by earlier answers, drafts
saved as the citizen goes, uploads judged by their content, the check of answers, one case
per submission, and what happens after (late materials, withdrawal, files)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from services.accounts.constants import StaffRole
from services.applications import actions as application_actions
from services.applications.models import Draft
from services.casework.constants import ApplicationStatus
from services.casework.models import Application, Step
from services.catalog.models import Material
from services.notifications.models import Notification
from services.records.models import DataAccess, Upload
from tests.casework.helpers import reviewer_of
from tests.factories import SAMPLE_PDF, CitizenFactory, StaffFactory, make_service

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = SAMPLE_PDF
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200

SCHEMA = {
    "groups": [
        {
            "key": "about",
            "title": {"zh": "申请人", "en": "About you"},
            "fields": [
                {"name": "full_name", "type": "text", "label": {"zh": "姓名", "en": "Full name"}, "required": True},
                {"name": "id_number", "type": "id_number", "label": {"zh": "身份证号", "en": "ID"}, "required": True},
                {
                    "name": "married_before",
                    "type": "choice",
                    "label": {"zh": "是否再婚", "en": "Married before?"},
                    "required": True,
                    "choices": [
                        {"value": "no", "label": {"zh": "否", "en": "No"}},
                        {"value": "yes", "label": {"zh": "是", "en": "Yes"}},
                    ],
                },
            ],
        },
        {
            "key": "earlier",
            "title": {"zh": "原婚姻", "en": "The earlier marriage"},
            "fields": [
                {
                    "name": "certificate_no",
                    "type": "text",
                    "label": {"zh": "离婚证号", "en": "Divorce certificate number"},
                    "required": True,
                    "show_if": {"field": "married_before", "op": "equals", "value": "yes"},
                }
            ],
        },
        {
            "key": "contact",
            "title": {"zh": "联系方式", "en": "Contact"},
            "fields": [
                {"name": "mobile", "type": "mobile", "label": {"zh": "手机", "en": "Mobile"}, "required": True},
                {"name": "company", "type": "credit_code", "label": {"zh": "单位信用代码", "en": "Employer code"}},
            ],
        },
    ]
}


@pytest.fixture
def service():
    """Marriage registration, page by page (this module's own, not the shared birth registration)."""
    service = make_service(code="marry", stages=[["mca"]], schema=SCHEMA)
    Material.objects.filter(service=service).update(name_en="ID card", position=0)
    Material.objects.create(
        service=service, position=1, name_zh="户口簿", name_en="Household register", required=True, deferrable_days=5
    )
    Material.objects.create(service=service, position=2, name_zh="其他", name_en="Other", required=False)
    return service


def page(key: str) -> str:
    return f"/services/marry/apply/{key}/"


ABOUT = {"full_name": "王小明", "id_number": "11010519491231002X", "married_before": "no"}


def _id_card(service) -> Material:
    return service.materials.get(position=0)


def _through_questions(citizen_client, married_before="no"):
    citizen_client.post(page("about"), {**ABOUT, "married_before": married_before, "action": "next"})
    if married_before == "yes":
        citizen_client.post(page("earlier"), {"certificate_no": "京离字2020第1号", "action": "next"})
    citizen_client.post(page("contact"), {"mobile": "13812345678", "action": "next"})


def _upload(citizen_client, service, content=PDF, name="id.pdf", material=None):
    material = material or _id_card(service)
    return citizen_client.post(
        page("materials"), {"material": material.pk, "file": SimpleUploadedFile(name, content, "application/pdf")}
    )


def test_start_goes_to_the_first_page_and_resumes_where_the_citizen_stopped(citizen_client, service):
    assert citizen_client.get("/services/marry/apply/").url == page("about")
    citizen_client.post(page("about"), {**ABOUT, "action": "next"})
    assert citizen_client.get("/services/marry/apply/").url == page("about")  # the last page reached
    citizen_client.get(page("contact"))
    citizen_client.post(page("contact"), {"mobile": "", "action": "save"})
    assert citizen_client.get("/services/marry/apply/").url == page("contact")


def test_one_group_of_questions_per_page(citizen_client, service):
    html = citizen_client.get(page("about")).content.decode()
    assert 'name="full_name"' in html and 'name="married_before"' in html
    assert 'name="mobile"' not in html and 'name="certificate_no"' not in html


def test_an_error_is_summarised_with_a_link_and_nothing_typed_is_lost(citizen_client, service, citizen):
    response = citizen_client.post(
        page("about"), {**ABOUT, "id_number": "110105194912310021", "action": "next"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in html and 'href="#id_id_number"' in html
    assert "check it for a typing error" in html
    assert 'value="王小明"' in html and 'value="110105194912310021"' in html
    assert Draft.objects.get(citizen=citizen).answers["full_name"] == "王小明"  # saved all the same


def test_a_question_is_asked_only_when_an_earlier_answer_calls_for_it(citizen_client, service, citizen):
    response = citizen_client.post(page("about"), {**ABOUT, "married_before": "no", "action": "next"})
    assert response.url == page("contact")  # the divorce page is skipped
    assert citizen_client.get(page("earlier")).status_code == 302

    response = citizen_client.post(page("about"), {**ABOUT, "married_before": "yes", "action": "next"})
    assert response.url == page("earlier")
    missing = citizen_client.post(page("earlier"), {"certificate_no": "", "action": "next"})
    assert "error-summary" in missing.content.decode()


def test_an_answer_to_a_question_no_longer_asked_is_not_submitted(citizen_client, service, citizen):
    _through_questions(citizen_client, married_before="yes")
    citizen_client.post(page("about"), {**ABOUT, "married_before": "no", "action": "next"})
    _upload(citizen_client, service)
    citizen_client.post(page("materials"), {"action": "continue"})
    citizen_client.post(page("check"))
    application = Application.objects.get()
    assert "certificate_no" not in application.answers


def test_htmx_autosave_keeps_typing_without_moving_on(citizen_client, service, citizen):
    response = citizen_client.post(
        "/services/marry/apply/about/save/", {"full_name": "李四", "id_number": "12"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    draft = Draft.objects.get(citizen=citizen)
    assert draft.answers["full_name"] == "李四" and draft.answers["id_number"] == "12"


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (EXE, "passport.pdf", "not a photo"),  # an executable named .pdf
        (PNG, "scan.pdf", "name says PDF"),  # a picture calling itself a PDF
        (PDF, "photo.jpg", "name says JPEG"),  # a PDF calling itself a photo
        (b"", "empty.pdf", "empty"),
    ],
)
def test_forged_and_empty_uploads_are_refused_clearly_and_the_draft_keeps_everything(
    citizen_client, service, citizen, content, name, code
):
    _through_questions(citizen_client)
    before = dict(Draft.objects.get(citizen=citizen).answers)
    response = _upload(citizen_client, service, content=content, name=name)
    html = response.content.decode()
    assert response.status_code == 400
    assert "error-summary" in html
    assert not Upload.objects.exists()
    assert Draft.objects.get(citizen=citizen).answers == before
    en = _upload(citizen_client, service, content=content, name=name)
    assert en.status_code == 400


def test_the_english_messages_for_forged_uploads(client, service, citizen):
    client.force_login(citizen)
    client.post(page("about"), {**ABOUT, "action": "next"})
    response = client.post(
        page("materials"),
        {"material": _id_card(service).pk, "file": SimpleUploadedFile("x.pdf", EXE, "application/pdf")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "not a photo (JPEG or PNG) or a PDF" in response.content.decode()


def test_an_oversized_upload_is_refused(citizen_client, service, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    _through_questions(citizen_client)
    response = _upload(citizen_client, service, content=PDF + b"0" * 2048)
    assert response.status_code == 400
    assert not Upload.objects.exists()


def test_materials_that_cannot_follow_later_are_needed_before_the_check(citizen_client, service):
    _through_questions(citizen_client)
    blocked = citizen_client.post(page("materials"), {"action": "continue"})
    assert blocked.status_code == 400
    assert _upload(citizen_client, service).status_code == 302
    # The household register may follow within 5 working days: not needed now.
    assert citizen_client.post(page("materials"), {"action": "continue"}).url == page("check")


def test_a_citizen_removes_only_their_own_draft_files(citizen_client, service, citizen, client):
    _through_questions(citizen_client)
    _upload(citizen_client, service)
    upload = Upload.objects.get()
    other = CitizenFactory()
    client.force_login(other)
    client.post(f"/services/marry/apply/files/{upload.pk}/remove/")
    assert Upload.objects.filter(pk=upload.pk).exists()
    client.force_login(citizen)
    client.post(f"/services/marry/apply/files/{upload.pk}/remove/")
    assert not Upload.objects.exists()


def test_check_page_lists_every_answer_with_a_change_link_that_returns_to_it(citizen_client, service):
    _through_questions(citizen_client)
    _upload(citizen_client, service)
    html = citizen_client.get(page("check")).content.decode()
    assert "王小明" in html and "13812345678" in html
    assert f'href="{page("contact")}?check=1#id_mobile"' in html
    back = citizen_client.post(page("contact"), {"mobile": "13900001111", "check": "1", "action": "next"})
    assert back.url == page("check")


def test_submitting_twice_makes_one_case_with_its_files(
    citizen_client, service, citizen, django_capture_on_commit_callbacks
):
    _through_questions(citizen_client)
    _upload(citizen_client, service)
    key = Draft.objects.get().submit_key
    with django_capture_on_commit_callbacks(execute=True):
        first = citizen_client.post(page("check"), {"submit_key": key})
    second = citizen_client.post(page("check"), {"submit_key": key})  # a double tap
    application = Application.objects.get()
    assert first.url == second.url == f"/my/applications/{application.reference}/submitted/"
    assert Application.objects.count() == 1
    assert list(Upload.objects.values_list("application", "draft")) == [(application.pk, None)]
    assert not Draft.objects.exists()
    assert Step.objects.filter(application=application).count() == 1


def test_drafts_appear_in_my_applications_for_their_owner_only(citizen_client, service, citizen, client):
    citizen_client.post(page("about"), {**ABOUT, "action": "save"})
    assert "/services/marry/apply/" in citizen_client.get("/my/applications/").content.decode()
    client.force_login(CitizenFactory())
    assert "/services/marry/apply/" not in client.get("/my/applications/").content.decode()


def test_drafts_are_reminded_then_deleted_with_their_files(service, citizen, settings):
    settings.DRAFT_RETENTION_DAYS = 30
    settings.DRAFT_REMINDER_DAYS = 7
    with time_machine.travel("2026-06-01 10:00 +08:00", tick=False):
        draft = application_actions.draft_start(citizen=citizen, service=service)
        application_actions.draft_upload_add(
            draft=draft, material_id=_id_card(service).pk, file=SimpleUploadedFile("a.pdf", PDF)
        )
    assert draft.expires_on == date(2026, 7, 1)
    assert application_actions.drafts_sweep(today=date(2026, 6, 20)) == (0, 0)
    assert application_actions.drafts_sweep(today=date(2026, 6, 25)) == (1, 0)
    assert application_actions.drafts_sweep(today=date(2026, 6, 26)) == (0, 0)  # reminded once
    assert Notification.objects.filter(recipient=citizen, kind="draft_expiring").count() == 1
    path = Upload.objects.get().file.path
    assert application_actions.drafts_sweep(today=date(2026, 7, 1)) == (0, 1)
    assert not Draft.objects.exists() and not Upload.objects.exists()
    import os

    assert not os.path.exists(path)


def _submitted(citizen_client, service, capture) -> Application:
    _through_questions(citizen_client)
    _upload(citizen_client, service)
    with capture(execute=True):
        citizen_client.post(page("check"))
    return Application.objects.get()


def test_a_deferred_material_is_sent_later_from_the_case_page(
    citizen_client, service, django_capture_on_commit_callbacks
):
    application = _submitted(citizen_client, service, django_capture_on_commit_callbacks)
    html = citizen_client.get(f"/my/applications/{application.reference}/").content.decode()
    assert "late-file-" in html
    register = service.materials.get(position=1)
    forged = citizen_client.post(
        f"/my/applications/{application.reference}/materials/",
        {"material": register.pk, "file": SimpleUploadedFile("r.pdf", EXE)},
    )
    assert forged.status_code == 302
    assert Upload.objects.filter(application=application).count() == 1
    citizen_client.post(
        f"/my/applications/{application.reference}/materials/",
        {"material": register.pk, "file": SimpleUploadedFile("r.png", PNG)},
    )
    assert Upload.objects.filter(application=application, material=register).count() == 1


def test_files_are_served_to_the_owner_and_the_departments_handling_the_case_only(
    citizen_client, service, client, django_capture_on_commit_callbacks
):
    application = _submitted(citizen_client, service, django_capture_on_commit_callbacks)
    upload = Upload.objects.get(application=application)
    url = f"/files/{upload.pk}/"
    mine = citizen_client.get(url)
    assert mine.status_code == 200
    assert mine["Content-Disposition"].startswith("attachment")
    assert mine["X-Content-Type-Options"] == "nosniff"
    assert b"".join(mine.streaming_content) == PDF

    client.force_login(CitizenFactory())
    assert client.get(url).status_code == 404
    client.force_login(reviewer_of("mca"))
    assert client.get(url).status_code == 200
    assert DataAccess.objects.filter(case_reference=application.reference).exists()
    make_service(code="other", stages=[["psb"]])
    client.force_login(StaffFactory(membership__department=reviewer_of("psb").memberships.get().department))
    assert client.get(url).status_code == 404


def test_withdrawing_closes_the_open_steps(citizen_client, service, citizen, django_capture_on_commit_callbacks):
    application = _submitted(citizen_client, service, django_capture_on_commit_callbacks)
    unconfirmed = citizen_client.post(f"/my/applications/{application.reference}/withdraw/")
    assert unconfirmed.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    citizen_client.post(f"/my/applications/{application.reference}/withdraw/", {"confirm": "yes"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert set(Step.objects.filter(application=application).values_list("status", flat=True)) == {"cancelled"}
    citizen_client.post(f"/my/applications/{application.reference}/withdraw/", {"confirm": "yes"})  # again: refused
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.WITHDRAWN


def test_another_citizen_cannot_withdraw(client, citizen_client, service, django_capture_on_commit_callbacks):
    application = _submitted(citizen_client, service, django_capture_on_commit_callbacks)
    client.force_login(CitizenFactory())
    assert client.post(f"/my/applications/{application.reference}/withdraw/", {"confirm": "yes"}).status_code == 404
    assert Application.objects.get().status == ApplicationStatus.IN_REVIEW


def test_predicted_date_follows_recent_cases_and_never_passes_the_promise(service, citizen):
    from services.casework.selectors import application_predicted_date

    with time_machine.travel("2026-11-02 10:00 +08:00", tick=False):
        application = Application.objects.create(
            reference="20261102-9999",
            citizen=citizen,
            service=service,
            workflow=service.workflows.get(),
            submitted_at=datetime(2026, 11, 2, 10, tzinfo=SHANGHAI),
            due_date=date(2026, 11, 9),
        )
    assert application_predicted_date(application=application) == date(2026, 11, 9)  # too few cases to judge
    for n in range(6):
        Application.objects.create(
            reference=f"20260101-{n:04d}",
            citizen=citizen,
            service=service,
            workflow=service.workflows.get(),
            submitted_at=datetime(2026, 1, 5, 10, tzinfo=SHANGHAI),
            due_date=date(2026, 1, 12),
            status="completed",
            decided_at=datetime(2026, 1, 7, 10, tzinfo=SHANGHAI),
            processing_working_days=2,
        )
    assert application_predicted_date(application=application) == date(2026, 11, 4)


def test_staff_without_a_membership_cannot_open_citizen_files(
    client, citizen_client, service, django_capture_on_commit_callbacks
):
    application = _submitted(citizen_client, service, django_capture_on_commit_callbacks)
    upload = Upload.objects.get(application=application)
    client.force_login(StaffFactory(membership__role=StaffRole.AUDITOR))
    assert client.get(f"/files/{upload.pk}/").status_code == 404
