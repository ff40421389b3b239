"""One citizen never sees another's draft, file, case, notification or e-licence: not in
their lists, and not by typing the address. Another citizen's things are "not found" (404), never
"forbidden", so that a reference number or a file number reveals nothing; and a form posted
at them changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from services.applications import actions as application_actions
from services.applications import selectors as draft_selectors
from services.applications.models import Draft
from services.casework.citizen import case_material_add
from services.casework.models import Application
from services.catalog.models import Service
from services.notifications.models import Notification
from services.records.models import Upload, WalletDocument
from tests.browser.citizen import ANSWERS, MARRIAGE, OTHER_CITIZEN, RESTAURANT, approve_to_the_end, decide
from tests.browser.helpers import DEMO_CITIZEN, RESTAURANT_ANSWERS, open_from_nav, sign_in, submit_case
from tests.factories import SAMPLE_PDF

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SAMPLE_PDF, content_type="application/pdf")


def _first_citizens_things() -> dict:
    """The demo citizen's draft with a file, a case with a file waiting for a correction,
    and the notification that asks for it."""
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.get(mobile=DEMO_CITIZEN)
    marriage = Service.objects.get(code=MARRIAGE)
    draft = application_actions.draft_start(citizen=owner, service=marriage)
    page, _previous, _next = draft_selectors.page_get(service=marriage, answers={}, key="applicant")
    application_actions.draft_save(draft=draft, page=page, data=ANSWERS[MARRIAGE]["applicant"])
    draft_file = application_actions.draft_upload_add(
        draft=draft, material_id=marriage.materials.first().pk, file=_pdf("draft-id.pdf")
    )

    reference = submit_case()
    application = Application.objects.get(reference=reference)
    late = application.service.materials.filter(deferrable_days__isnull=False).first()
    case_file = case_material_add(
        application_id=application.pk, citizen=owner, material_id=late.pk, file=_pdf("food-safety.pdf")
    )
    decide(reference, "correction", items=[{"field": "address", "text": "请补充详细门牌号。"}])
    notification = Notification.objects.get(recipient=owner)

    # An approved case puts its e-licence (a PDF) in the wallet.
    approved = submit_case()
    approve_to_the_end(approved)
    licence = WalletDocument.objects.get(application__reference=approved)
    assert licence.file
    return {
        "reference": reference,
        "draft": draft,
        "files": [draft_file.pk, case_file.pk],
        "notification": notification.pk,
        "licence": licence,
    }


def _status(page: Page, url: str) -> int:
    """Open the address as typed in the address bar; returns the HTTP status shown."""
    response = page.goto(url)
    assert response is not None
    return response.status


def _post(page: Page, url: str, form: dict) -> int:
    """Post a form from this browser (its session and CSRF token), as a crafted page would."""
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post(url, form={"csrfmiddlewaretoken": token, **form}, max_redirects=0)
    return response.status


def test_a_citizen_never_sees_another_citizens_draft_file_case_or_notification(new_page, demo):
    things = _first_citizens_things()
    reference, files, notification = things["reference"], things["files"], things["notification"]
    licence = things["licence"]
    case_pages = [f"/my/applications/{reference}/", f"/my/applications/{reference}/submitted/"]

    # The owner sees each of them: the addresses below are the right ones.
    owner = new_page(javascript=False)
    sign_in(owner, DEMO_CITIZEN, demo)
    for url in case_pages:
        assert _status(owner, url) == 200, url
    for pk in files:
        assert owner.request.get(f"/files/{pk}/").status == 200, pk
    assert owner.request.get(f"/my/wallet/{licence.pk}/file/").status == 200
    owner.goto("/my/applications/")
    expect(owner.locator(f"a[href='/services/{MARRIAGE}/apply/']")).to_have_count(1)

    other = new_page(javascript=False)
    sign_in(other, OTHER_CITIZEN, demo)

    # Not in the other citizen's lists.
    open_from_nav(other, "/my/applications/")
    expect(other.locator("main a[href^='/my/applications/']")).to_have_count(0)
    expect(other.locator("main a[href*='/apply/']")).to_have_count(0)
    expect(other.locator("main")).not_to_contain_text(reference)
    open_from_nav(other, "/inbox/")
    expect(other.locator("#inbox li.card")).to_have_count(0)
    expect(other.locator(f"a[href='/inbox/{notification}/']")).to_have_count(0)
    expect(other.locator("#inbox-link .badge")).to_have_count(0)
    other.goto("/my/wallet/")
    expect(other.locator("main")).not_to_contain_text(licence.number)
    expect(other.locator(f"main a[href='/my/wallet/{licence.pk}/file/']")).to_have_count(0)

    # Not by address either: the case, its confirmation, the files, the notification.
    for url in [*case_pages, f"/inbox/{notification}/"]:
        assert _status(other, url) == 404, url
        expect(other.locator("main")).not_to_contain_text(reference)
        expect(other.locator("main")).not_to_contain_text(RESTAURANT_ANSWERS["business_name"])
    for pk in files:
        response = other.request.get(f"/files/{pk}/")
        assert response.status == 404, pk
        assert SAMPLE_PDF not in response.body()
    response = other.request.get(f"/my/wallet/{licence.pk}/file/")
    assert response.status == 404
    assert not response.body().startswith(b"%PDF")

    # Applying for the same service starts the other citizen's own, empty draft.
    other.goto(f"/services/{MARRIAGE}/apply/")
    expect(other).to_have_url(f"/services/{MARRIAGE}/apply/consent/")  # a new draft starts there
    other.goto(f"/services/{MARRIAGE}/apply/applicant/")
    for name in ANSWERS[MARRIAGE]["applicant"]:
        expect(other.locator(f"main form [name={name}]")).to_have_value("")
    other.goto(f"/services/{MARRIAGE}/apply/materials/")
    expect(other.locator("ul.materials-upload ul.files")).to_have_count(0)
    expect(other.locator("main")).not_to_contain_text("draft-id.pdf")

    # Forms posted at the first citizen's things find nothing, and change nothing.
    for action, form in [
        ("correction/", {"address": "别人的地址"}),
        ("rating/", {"score": "1"}),
        ("withdraw/", {"confirm": "yes"}),
        ("materials/", {"material": "1"}),
    ]:
        assert _post(other, f"/my/applications/{reference}/{action}", form) == 404, action
    for pk in files:
        # The other citizen's drafts have no such file: back to the materials, nothing removed.
        for service in (MARRIAGE, RESTAURANT):
            assert _post(other, f"/services/{service}/apply/files/{pk}/remove/", {}) == 302

    application = Application.objects.get(reference=reference)
    assert application.status == "correction"
    assert application.answers["address"] == RESTAURANT_ANSWERS["address"]
    assert Upload.objects.filter(pk__in=files).count() == 2
    assert Draft.objects.get(pk=things["draft"].pk).answers["applicant_name"] == "张伟"
    assert Notification.objects.get(pk=notification).read_at is None
    for page in (owner, other):
        assert page.errors == [], page.errors
