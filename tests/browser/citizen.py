"""What the citizen-journey tests share: answers for the demo services, filling a page of
questions, uploading the materials, and the department steps taken in Python (the workbench
itself is tested in test_journey.py and test_rejection.py)."""

from playwright.sync_api import Page, expect

from tests.browser.helpers import DEMO_CITIZEN, RESTAURANT_ANSWERS, VALID_ID_NUMBER
from tests.factories import SAMPLE_PDF

MARRIAGE = "marriage-registration"
RESTAURANT = "restaurant-opening"
OTHER_CITIZEN = "13800138002"
PARTNER_ID_NUMBER = "110108199003071238"

# The answers of each question page, in the order the pages come.
ANSWERS = {
    RESTAURANT: {
        "applicant": {k: v for k, v in RESTAURANT_ANSWERS.items() if k.startswith("applicant_")},
        "business": {k: v for k, v in RESTAURANT_ANSWERS.items() if not k.startswith("applicant_")},
    },
    MARRIAGE: {
        "applicant": {
            "applicant_name": "张伟",
            "applicant_id_number": VALID_ID_NUMBER,
            "applicant_mobile": DEMO_CITIZEN,
        },
        "partner": {
            "partner_name": "王芳",
            "partner_id_number": PARTNER_ID_NUMBER,
            "preferred_date": "2026-12-18",
            "previously_married": "yes",  # which asks the questions of the next page
        },
        "previous_marriage": {"previous_marriage_end": "divorce", "previous_certificate_no": "L110105-2019-000123"},
    },
}


def all_answers(service: str) -> dict:
    return {name: value for page in ANSWERS[service].values() for name, value in page.items()}


def fill(page: Page, answers: dict) -> None:
    """Answer the questions of the page shown: a list is chosen from, a box typed in. An
    answer a department's registry verified is shown filled in and cannot be changed."""
    for name, value in answers.items():
        control = page.locator(f"main form [name={name}]")
        if control.is_disabled():
            continue
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def expect_values(page: Page, answers: dict) -> None:
    for name, value in answers.items():
        expect(page.locator(f"main form [name={name}]")).to_have_value(value)


def upload_needed_materials(page: Page) -> int:
    """On the materials page, upload a PDF for every material that cannot follow later (the
    cards marked as needed). Returns how many were uploaded."""
    needed = page.locator("ul.materials-upload > li.needs")
    count = needed.count()
    for index in range(count):
        # The first card still needed: each upload reloads the page and that card is done.
        form = page.locator("ul.materials-upload > li.needs form.upload").first
        form.locator("input[type=file]").set_input_files(
            {"name": f"scan-{index}.pdf", "mimeType": "application/pdf", "buffer": SAMPLE_PDF}
        )
        form.locator("button[type=submit]").tap()
        expect(page.locator(".messages")).to_be_visible()
        expect(page.locator("ul.materials-upload > li.needs")).to_have_count(count - index - 1)
    return count


def apply_url(service: str, page: str = "") -> str:
    return f"/services/{service}/apply/{page + '/' if page else ''}"


# Department steps, in Python --------------------------------------------------------------


def staff_for(step):
    """The demo account that works on a step: the department's clerk or reviewer."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=f"{step.department.code}.{step.role}")


def open_steps(reference: str) -> list:
    from services.casework.models import Step

    return list(
        Step.objects.filter(application__reference=reference, status="open").select_related("department").order_by("pk")
    )


def decide(reference: str, decision: str, **kwargs) -> None:
    """The first open step of the case decides (its department's demo account)."""
    from services.casework.decisions import step_decide

    step = open_steps(reference)[0]
    step_decide(step_id=step.pk, user=staff_for(step), decision=decision, **kwargs)


def approve_to_the_end(reference: str) -> None:
    """Every open step approves, stage after stage (routing runs when each decision commits),
    until the case is complete."""
    from services.casework.models import Application

    for _round in range(10):
        steps = open_steps(reference)
        if not steps:
            break
        decide(reference, "approve")
    assert Application.objects.get(reference=reference).status == "completed"
