"""One set of rules for every channel: each rule a submission meets (its materials, or their
deferral; answers a department verified; the consent that lets them be used) is tried
through the pages and through the API, side by side, and refused with the same message,
changing nothing."""

import html
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from services.applications.models import Draft
from services.casework.models import Application
from services.catalog.models import DocumentType, Material
from services.records.models import (
    DocumentSource,
    Evidence,
    Fetch,
    Registry,
    Upload,
    VerifiedAttribute,
    WalletDocument,
)
from services.records.uploads import case_materials
from tests.factories import SAMPLE_PDF, make_service

pytestmark = pytest.mark.django_db

CHANNELS = ["page", "api"]
CODE = "newborn-registration"
LIST_API = "/api/v1/applications/"

SCHEMA = {
    "groups": [
        {
            "key": "applicant",
            "title": {"zh": "申请人信息", "en": "About you"},
            "fields": [
                {
                    "name": "applicant_name",
                    "type": "text",
                    "label": {"zh": "姓名", "en": "Full name"},
                    "required": True,
                    "verified": "full_name",
                },
                {
                    "name": "applicant_mobile",
                    "type": "mobile",
                    "label": {"zh": "手机号码", "en": "Mobile number"},
                    "required": True,
                },
            ],
        },
        {
            "key": "child",
            "title": {"zh": "新生儿信息", "en": "About the baby"},
            "fields": [
                {
                    "name": "child_name",
                    "type": "text",
                    "label": {"zh": "新生儿姓名", "en": "Baby's name"},
                    "required": True,
                }
            ],
        },
    ]
}
APPLICANT = {"applicant_name": "张伟", "applicant_mobile": "13800138001"}
CHILD = {"child_name": "张小宝"}
ANSWERS = {**APPLICANT, **CHILD}

# (Chinese, English, required, may follow within working days, met by a wallet document of type)
MATERIALS = [
    ("出生医学证明", "Birth medical certificate", True, None, None),
    ("父母双方居民身份证", "Both parents' resident ID cards", True, None, "resident_id_card"),
    ("户口簿", "Household register", True, None, "household_register"),
    ("结婚证", "Marriage certificate", False, None, None),
]
EN_ALL_MISSING = (
    "Upload these materials first: Birth medical certificate、Both parents' resident ID cards、Household register."
)
ZH_ALL_MISSING = "请先上传以下材料：出生医学证明、父母双方居民身份证、户口簿。"
EN_VERIFIED = "Verified by psb bureau on 2026-06-01: this answer cannot be changed. Wrong? Report it under “My data”."
ZH_VERIFIED = "已由psb局于2026-06-01核验，此项不能修改。如有错误，请在“我的数据”中纠错。"


@pytest.fixture
def newborn():
    """Newborn registration: three materials required (two of them documents a wallet may
    hold), a fourth optional; the applicant's name is filled from the population registry."""
    service = make_service(code=CODE, stages=[["health"], ["psb"]], schema=SCHEMA)
    service.materials.all().delete()
    for position, (zh, en, required, days, document) in enumerate(MATERIALS):
        Material.objects.create(
            service=service,
            position=position,
            name_zh=zh,
            name_en=en,
            required=required,
            deferrable_days=days,
            document_type=DocumentType.objects.get_or_create(code=document, name_zh=zh, name_en=en)[0]
            if document
            else None,
        )
    return service


@pytest.fixture
def applicant(citizen, client, api_client):
    client.force_login(citizen)
    api_client.force_authenticate(user=citizen)
    return citizen


def _wallet(citizen, service, *codes: str) -> None:
    for code in codes:
        WalletDocument.objects.create(
            citizen=citizen,
            document_type=DocumentType.objects.get(code=code),
            number=f"{code}-1",
            holder_name="张伟",
            issuer=service.lead_department,
            issued_on=date(2020, 1, 1),
            source=DocumentSource.REGISTRY,
        )


def _verified_name(citizen, service, *, consent: str) -> VerifiedAttribute:
    """The population registry said the citizen's name; `consent` is what they answered on
    this service's consent page ("given", "declined", or "" when not asked yet)."""
    from services.accounts.models import Department
    from services.core.crypto import encrypt

    registry = Registry.objects.create(
        code="population",
        name_zh="人口信息库",
        name_en="Population registry",
        department=Department.objects.get(code="psb"),
    )
    attribute = VerifiedAttribute.objects.create(
        citizen=citizen,
        name="full_name",
        value=encrypt("张伟"),
        registry=registry,
        verified_at=datetime(2026, 6, 1, 10, tzinfo=UTC),
    )
    draft, _created = Draft.objects.get_or_create(
        citizen=citizen,
        service=service,
        defaults={"expires_on": date(2099, 1, 1), "submit_key": "parity-draft"},
    )
    draft.data_consent = consent
    draft.save()
    return attribute


def _page(key: str) -> str:
    return f"/services/{CODE}/apply/{key}/"


def _through_questions(client, answers: dict, **headers) -> None:
    client.post(_page("applicant"), {**APPLICANT, **answers, "action": "next"}, **headers)
    client.post(_page("child"), {**CHILD, "action": "next"}, **headers)


def _send(channel: str, client, api_client, citizen, answers: dict | None = None, **headers):
    """Send the application through one channel. Returns (status, what the citizen reads)."""
    answers = {**ANSWERS, **(answers or {})}
    if channel == "page":
        _through_questions(client, answers, **headers)
        key = Draft.objects.get(citizen=citizen).submit_key
        response = client.post(_page("check"), {"submit_key": key}, **headers)
        return response.status_code, html.unescape(response.text)
    response = api_client.post(LIST_API, {"service": CODE, "answers": answers}, format="json", **headers)
    return response.status_code, response.json()


def _refusal(channel: str, status: int, read) -> str:
    """The refusal's message as the channel shows it (the page: somewhere in its text)."""
    assert status == 400
    return read if channel == "page" else read["detail"]


def _snapshot(citizen) -> dict:
    """What a refused attempt must leave as it was."""
    drafts = {d.pk: (d.answers, d.data_consent, d.submit_key) for d in Draft.objects.filter(citizen=citizen)}
    uploads = sorted(Upload.objects.values_list("pk", "draft_id", "application_id"))
    return {
        "drafts": drafts,
        "uploads": uploads,
        "cases": Application.objects.count(),
        "evidence": Evidence.objects.count(),
    }


# --- materials ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_application_without_its_required_materials_is_refused_alike_and_nothing_changes(
    channel, newborn, applicant, client, api_client
):
    if channel == "page":
        _through_questions(client, {})  # the draft as the citizen left it
    before = _snapshot(applicant)

    status, read = _send(channel, client, api_client, applicant, HTTP_ACCEPT_LANGUAGE="en")

    assert EN_ALL_MISSING in _refusal(channel, status, read)
    assert _snapshot(applicant) == before
    if channel == "api":
        assert read["errors"] == {
            "materials": ["Birth medical certificate", "Both parents' resident ID cards", "Household register"]
        }


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_refusal_for_missing_materials_is_in_chinese_by_default(channel, newborn, applicant, client, api_client):
    status, read = _send(channel, client, api_client, applicant)

    assert ZH_ALL_MISSING in _refusal(channel, status, read)
    assert not Application.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_materials_met_by_the_wallet_need_no_upload_and_are_recorded_as_evidence(
    channel, newborn, applicant, client, api_client, django_capture_on_commit_callbacks
):
    _wallet(applicant, newborn, "resident_id_card", "household_register")
    status, read = _send(channel, client, api_client, applicant, HTTP_ACCEPT_LANGUAGE="en")
    assert EN_ALL_MISSING.replace(
        "Birth medical certificate、Both parents' resident ID cards、Household register", "Birth medical certificate"
    ) in _refusal(channel, status, read)

    certificate = newborn.materials.get(position=0)
    if channel == "page":
        client.post(_page("materials"), {"material": certificate.pk, "file": SimpleUploadedFile("c.pdf", SAMPLE_PDF)})
    else:
        sent = api_client.post(
            f"/api/v1/drafts/{CODE}/files/",
            {"material": certificate.pk, "file": SimpleUploadedFile("c.pdf", SAMPLE_PDF)},
            format="multipart",
        )
        assert sent.status_code == 201, sent.json()
    with django_capture_on_commit_callbacks(execute=True):
        status, _read = _send(channel, client, api_client, applicant)

    assert status in (201, 302)
    application = Application.objects.get()
    assert application.answers == ANSWERS
    assert sorted(Evidence.objects.filter(application=application).values_list("material__position", flat=True)) == [
        1,
        2,
    ]
    assert list(Upload.objects.values_list("application", "draft", "material")) == [
        (application.pk, None, certificate.pk)
    ]
    assert not Draft.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_material_allowed_to_follow_later_may_be_left_out_alike_and_nothing_more(
    channel, newborn, applicant, client, api_client, django_capture_on_commit_callbacks
):
    certificate = newborn.materials.get(position=0)
    certificate.deferrable_days = 5
    certificate.save()
    _wallet(applicant, newborn, "resident_id_card")

    status, read = _send(channel, client, api_client, applicant, HTTP_ACCEPT_LANGUAGE="en")

    # The certificate may follow; the household register may not, and the optional
    # marriage certificate is never needed.
    assert "Upload these materials first: Household register." in _refusal(channel, status, read)
    assert not Application.objects.exists()

    _wallet(applicant, newborn, "household_register")
    with django_capture_on_commit_callbacks(execute=True):
        status, _read = _send(channel, client, api_client, applicant)

    assert status in (201, 302)
    rows = case_materials(application=Application.objects.get())
    assert [row["material"].position for row in rows if row["owed_by"]] == [0]


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_file_that_is_not_what_its_name_says_is_refused_alike_and_not_kept(
    channel, newborn, applicant, client, api_client
):
    certificate = newborn.materials.get(position=0)
    forged = {"material": certificate.pk, "file": SimpleUploadedFile("c.pdf", EXE, "application/pdf")}
    expected = "This file is not a photo (JPEG or PNG) or a PDF, whatever its name says. Choose another file."

    if channel == "page":
        client.get(_page("materials"))
        response = client.post(_page("materials"), forged, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert expected in html.unescape(response.text)
    else:
        response = api_client.post(
            f"/api/v1/drafts/{CODE}/files/", forged, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400
        assert response.json() == {"code": "file_type", "detail": expected}
        assert not Draft.objects.exists()
    assert not Upload.objects.exists()


# --- answers a department verified, and the consent to use them ----------------------------------


def _change_the_verified_name(channel, client, api_client, **headers) -> tuple[int, object]:
    if channel == "page":
        response = client.post(_page("applicant"), {**APPLICANT, "applicant_name": "王五", "action": "next"}, **headers)
        return response.status_code, html.unescape(response.text)
    response = api_client.post(
        LIST_API, {"service": CODE, "answers": {**ANSWERS, "applicant_name": "王五"}}, format="json", **headers
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_answer_verified_by_a_department_cannot_be_changed_through_either_channel(
    channel, newborn, applicant, client, api_client
):
    _wallet(applicant, newborn, "resident_id_card", "household_register")
    newborn.materials.filter(position=0).update(required=False)
    _verified_name(applicant, newborn, consent="given")
    before = _snapshot(applicant)

    status, read = _change_the_verified_name(channel, client, api_client, HTTP_ACCEPT_LANGUAGE="en")

    if channel == "page":
        assert status == 200  # the page again, with the error: it does not move on
        assert EN_VERIFIED in read
        assert Draft.objects.get().answers["applicant_name"] == "张伟"
    else:
        assert status == 400
        assert read["errors"] == {"applicant_name": [EN_VERIFIED]}
        assert _snapshot(applicant) == before
    assert not Application.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_refusal_of_a_changed_verified_answer_is_in_chinese_by_default(
    channel, newborn, applicant, client, api_client
):
    _verified_name(applicant, newborn, consent="given")

    _status, read = _change_the_verified_name(channel, client, api_client)

    message = read if channel == "page" else read["errors"]["applicant_name"][0]
    assert ZH_VERIFIED in message


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_verified_answer_itself_is_accepted_through_either_channel(
    channel, newborn, applicant, client, api_client, django_capture_on_commit_callbacks
):
    _wallet(applicant, newborn, "resident_id_card", "household_register")
    newborn.materials.filter(position=0).update(required=False)
    _verified_name(applicant, newborn, consent="given")

    with django_capture_on_commit_callbacks(execute=True):
        status, _read = _send(channel, client, api_client, applicant, {"applicant_name": " 张伟 "})

    assert status in (201, 302)
    assert Application.objects.get().answers["applicant_name"] == "张伟"


def test_a_verified_answer_is_compared_as_its_question_reads_it(newborn, citizen):
    """The same mobile number written another way is no change; another number is."""
    from services.applications.rules import answers_locked

    attribute = _verified_name(citizen, newborn, consent="given")
    attribute.plain = "13800138001"
    spec = {"name": "mobile", "type": "mobile", "label": {"zh": "手机", "en": "Mobile"}, "verified": "full_name"}
    verified = {"full_name": attribute}

    assert answers_locked(fields=[spec], data={"mobile": "+86 138 0013 8001"}, verified=verified) == {}
    assert list(answers_locked(fields=[spec], data={"mobile": "13900139001"}, verified=verified)) == ["mobile"]
    assert list(answers_locked(fields=[spec], data={"mobile": "not a number"}, verified=verified)) == ["mobile"]


@pytest.mark.parametrize("consent", ["", "declined"])
@pytest.mark.parametrize("channel", CHANNELS)
def test_without_consent_nothing_from_the_registry_is_used_in_either_channel(
    channel, consent, newborn, applicant, client, api_client, django_capture_on_commit_callbacks
):
    """The registry's name binds only the citizen who agreed to its use on this service: one
    who did not (or was not asked yet) types their name, on the pages and in the API alike."""
    _wallet(applicant, newborn, "resident_id_card", "household_register")
    newborn.materials.filter(position=0).update(required=False)
    _verified_name(applicant, newborn, consent=consent)

    if channel == "page":
        form = client.get(_page("applicant")).content.decode()
        assert 'name="applicant_name"' in form and "disabled" not in form
    with django_capture_on_commit_callbacks(execute=True):
        status, _read = _send(channel, client, api_client, applicant, {"applicant_name": "王五"})

    assert status in (201, 302)
    assert Application.objects.get().answers["applicant_name"] == "王五"


# --- consent ------------------------------------------------------------------------------------


def _consent(channel, client, api_client, data: dict, **headers):
    if channel == "page":
        client.get(_page("consent"))
        form = {"action": "agree" if data["agree"] else "decline", "id_number": data.get("id_number", "")}
        response = client.post(_page("consent"), {**form, "requirement": data.get("requirements", [])}, **headers)
        return response.status_code, html.unescape(response.text)
    response = api_client.post(f"/api/v1/drafts/{CODE}/consent/", data, format="json", **headers)
    return response.status_code, response.json()


@pytest.fixture
def requirement(newborn):
    from services.accounts.models import Department
    from services.records.models import DataRequirement

    registry = Registry.objects.create(
        code="population",
        name_zh="人口信息库",
        name_en="Population registry",
        department=Department.objects.get(code="psb"),
    )
    return DataRequirement.objects.create(
        service=newborn, registry=registry, purpose_zh="核对申请人身份", purpose_en="To confirm who applies"
    )


@pytest.mark.parametrize(
    ("id_number", "chosen", "message"),
    [
        ("11010519491231002X", False, "Choose at least one department, or upload the documents instead."),
        ("110105194912310021", True, "check it for a typing error"),
    ],
)
@pytest.mark.parametrize("channel", CHANNELS)
def test_an_agreement_that_cannot_stand_is_refused_alike_and_nothing_is_asked(
    channel, id_number, chosen, message, requirement, applicant, client, api_client
):
    data = {"agree": True, "id_number": id_number, "requirements": [requirement.pk] if chosen else []}
    before = _snapshot(applicant) if channel == "api" else None

    status, read = _consent(channel, client, api_client, data, HTTP_ACCEPT_LANGUAGE="en")

    assert status == 400
    assert message in (read if channel == "page" else read["detail"])
    assert not Fetch.objects.exists()
    assert set(Draft.objects.values_list("data_consent", flat=True)) <= {""}
    if channel == "api":
        assert _snapshot(applicant) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_declining_is_kept_alike_and_nothing_is_asked(channel, requirement, applicant, client, api_client):
    status, _read = _consent(channel, client, api_client, {"agree": False})

    assert status in (200, 302)
    assert Draft.objects.get().data_consent == "declined"
    assert not Fetch.objects.exists()


def test_through_the_api_alone_consent_fills_and_locks_the_registrys_answers(
    demo, api_client, django_capture_on_commit_callbacks
):
    """The demo's citizen agrees through the API; the population registry's name then binds
    their application, which takes the fetches along."""
    citizen = demo["13800138001"]
    api_client.force_authenticate(user=citizen)
    code = "public-rental-housing"
    requirements = [r["id"] for r in api_client.get(f"/api/v1/drafts/{code}/").json()["requirements"]]
    assert requirements == list(citizen_requirements(code))
    with django_capture_on_commit_callbacks(execute=True):
        agreed = api_client.post(
            f"/api/v1/drafts/{code}/consent/",
            {"agree": True, "id_number": "11010519491231002X", "requirements": requirements},
            format="json",
        )
    assert agreed.status_code == 200
    assert agreed.json()["data_consent"] == "given"
    assert [f["registry"] for f in agreed.json()["fetches"]] == ["population"]
    assert Fetch.objects.get(citizen=citizen).status == "done"
    answers = {
        "applicant_name": "李四",
        "applicant_id_number": "11010519491231002X",
        "applicant_mobile": "13800138001",
        "household_size": 2,
        "monthly_income": 5000,
        "current_address": "幸福路1号",
    }

    changed = api_client.post(
        "/api/v1/applications/", {"service": code, "answers": answers}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert changed.status_code == 400
    assert "this answer cannot be changed" in changed.json()["errors"]["applicant_name"][0]

    certificate = Material.objects.get(service__code=code, name_zh="结婚证")
    api_client.post(
        f"/api/v1/drafts/{code}/files/",
        {"material": certificate.pk, "file": SimpleUploadedFile("m.pdf", SAMPLE_PDF)},
        format="multipart",
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = api_client.post(
            "/api/v1/applications/", {"service": code, "answers": {**answers, "applicant_name": "张伟"}}, format="json"
        )
    assert sent.status_code == 201, sent.json()
    application = Application.objects.get(reference=sent.json()["reference"])
    assert Fetch.objects.get(citizen=citizen).application == application
    assert Upload.objects.get(application=application).material == certificate
    assert not Draft.objects.filter(citizen=citizen, service__code=code).exists()


def citizen_requirements(code: str):
    from services.records.models import DataRequirement

    return DataRequirement.objects.filter(service__code=code).values_list("pk", flat=True)


def test_a_refused_agreement_through_the_api_keeps_the_draft_the_citizen_had(
    requirement, applicant, client, api_client
):
    _through_questions(client, {})
    before = _snapshot(applicant)

    status, _read = _consent("api", client, api_client, {"agree": True, "id_number": "11010519491231002X"})

    assert status == 400
    assert _snapshot(applicant) == before
