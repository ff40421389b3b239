"""Reads of the citizen's drafts: the pages a draft has (given its answers), one page's form,
the first page still to complete, and the materials with what is still needed."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from services.applications.forms import page_form
from services.applications.models import Draft
from services.catalog.models import Service
from services.catalog.schema import text, visible_fields
from services.core.errors import NotFound
from services.records.selectors import attributes_current

CONSENT_PAGE = "consent"
MATERIALS_PAGE = "materials"
CHECK_PAGE = "check"


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    fields: list[dict]


def draft_list_for_citizen(*, citizen) -> QuerySet[Draft]:
    return Draft.objects.filter(citizen=citizen).select_related("service").order_by("-updated_at")


def draft_pages(*, service: Service, answers: dict) -> list[Page]:
    """The pages this citizen will see, given their answers: a group whose every question is
    hidden by earlier answers is skipped."""
    asked = visible_fields(service.form_schema, answers)
    pages = []
    if service.data_requirements.exists():
        pages.append(Page(CONSENT_PAGE, _("Data the departments already hold"), []))
    for group in service.form_schema.get("groups", []):
        fields = [f for f in group["fields"] if f["name"] in asked]
        if fields:
            pages.append(Page(group["key"], text(group["title"]), fields))
    if service.materials.exists():
        pages.append(Page(MATERIALS_PAGE, _("Materials"), []))
    pages.append(Page(CHECK_PAGE, _("Check your answers"), []))
    return pages


def page_get(*, service: Service, answers: dict, key: str) -> tuple[Page, Page | None, Page | None]:
    """(page, previous, next) for a page key; NotFound for a page this citizen does not see."""
    pages = draft_pages(service=service, answers=answers)
    for index, page in enumerate(pages):
        if page.key == key:
            return page, pages[index - 1] if index else None, pages[index + 1] if index + 1 < len(pages) else None
    raise NotFound(_("This page is not part of your application."))


def draft_verified(*, draft: Draft) -> dict:
    """The citizen's verified attributes in force, when they agreed to their use."""
    if draft.data_consent != "given":
        return {}
    return attributes_current(citizen=draft.citizen)


def draft_page_form(*, draft: Draft, page: Page, data=None, verified: dict | None = None):
    """The form of one page: bound to `data`, or showing the draft's answers."""
    verified = verified if verified is not None else draft_verified(draft=draft)
    initial = None if data is not None else draft.answers
    return page_form(service=draft.service, fields=page.fields, data=data, initial=initial, verified=verified)


def draft_first_incomplete(*, draft: Draft) -> str | None:
    """The first question page whose answers do not pass, or None when all do."""
    verified = draft_verified(draft=draft)
    for page in draft_pages(service=draft.service, answers=draft.answers):
        if page.fields:
            form = draft_page_form(draft=draft, page=page, data=draft.answers, verified=verified)
            if not form.is_valid():
                return page.key
    return None
