"""Applying on the site: one question group per page, the materials, a check of the answers,
then the confirmation. Every page works without JavaScript; htmx adds saving as you type."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.applications import actions, selectors
from services.applications.models import Draft
from services.applications.rules import materials_missing
from services.applications.selectors import CHECK_PAGE, CONSENT_PAGE, MATERIALS_PAGE
from services.casework.selectors import application_for_key
from services.catalog import selectors as catalog_selectors
from services.catalog.schema import answer_display, schema_field_label
from services.core.errors import InvalidInput, NotFound, PortalError
from services.core.views import citizen_required, or_404, with_retry_after
from services.records.selectors import fetch_list_for_draft
from services.records.uploads import draft_materials


def _draft(request, code: str) -> Draft:
    service = or_404(catalog_selectors.service_get_published, code=code)
    return actions.draft_start(citizen=request.user, service=service)


def _page_url(code: str, key: str) -> str:
    return reverse("applications:apply-page", args=[code, key])


def _following_key(following: selectors.Page | None) -> str:
    """The key of the next page: every page but the check page, which comes last, has one."""
    if following is None:
        raise RuntimeError("only the check page has no page after it")
    return following.key


def _progress(draft: Draft, page) -> dict:
    pages = selectors.draft_pages(service=draft.service, answers=draft.answers)
    keys = [p.key for p in pages]
    return {"pages": pages, "number": keys.index(page.key) + 1, "total": len(pages)}


@citizen_required
def application_apply(request, code: str):
    """Start or resume: go to the page the citizen last reached."""
    draft = _draft(request, code)
    pages = selectors.draft_pages(service=draft.service, answers=draft.answers)
    keys = [p.key for p in pages]
    return redirect(_page_url(code, draft.page if draft.page in keys else keys[0]))


@citizen_required
def application_page(request, code: str, page: str):
    if page == CHECK_PAGE and request.method == "POST":
        # A second tap on "submit" arrives after the first made the case and closed the draft.
        done = application_for_key(citizen=request.user, key=request.POST.get("submit_key"))
        if done:
            return redirect("applications:submitted", reference=done.reference)
    draft = _draft(request, code)
    if page == CONSENT_PAGE:
        return _consent(request, draft)
    if page == MATERIALS_PAGE:
        return _materials(request, draft)
    if page == CHECK_PAGE:
        return _check(request, draft)
    try:
        current, previous, following = selectors.page_get(service=draft.service, answers=draft.answers, key=page)
    except NotFound:
        return redirect("applications:apply", code=code)
    if request.method == "POST":
        form = actions.draft_page_submit(draft=draft, page=current, data=request.POST)
        if request.POST.get("action") == "save":
            messages.success(request, _("Saved. You can come back to it from “My applications”."))
            return redirect("applications:mine")
        if form.is_valid():
            if request.POST.get("check") == "1":
                # Back from "check your answers": return there, unless the change asks a new question.
                return redirect(_page_url(code, selectors.draft_first_incomplete(draft=draft) or CHECK_PAGE))
            # The answers may have changed which pages come next.
            _current, _previous, following = selectors.page_get(service=draft.service, answers=draft.answers, key=page)
            return redirect(_page_url(code, _following_key(following)))
    else:
        form = selectors.draft_page_form(draft=draft, page=current)
    return render(
        request,
        "applications/apply_page.html",
        {
            "draft": draft,
            "service": draft.service,
            "page": current,
            "previous": previous,
            "form": form,
            "from_check": request.GET.get("check") == "1" or request.POST.get("check") == "1",
            "fetches": fetch_list_for_draft(draft=draft),
        }
        | _progress(draft, current),
    )


@citizen_required
@require_POST
def application_autosave(request, code: str, page: str):
    """htmx: keep what was typed so far on this page, and say so."""
    draft = _draft(request, code)
    try:
        current, _previous, _following = selectors.page_get(service=draft.service, answers=draft.answers, key=page)
    except NotFound:
        return render(request, "applications/_saved.html", {"error": True}, status=400)
    actions.draft_save(draft=draft, page=current, data=request.POST)
    return render(request, "applications/_saved.html", {"draft": draft})


def _materials(request, draft: Draft, error: str | None = None, status: int = 200):
    page, previous, following = selectors.page_get(service=draft.service, answers=draft.answers, key=MATERIALS_PAGE)
    if request.method == "POST" and error is None:
        if request.POST.get("action") == "continue":
            if not materials_missing(rows=draft_materials(draft=draft)):
                actions.draft_page_reach(draft=draft, page=CHECK_PAGE)
                return redirect(_page_url(draft.service.code, _following_key(following)))
            error = _("Upload every material marked as needed before you go on.")
            status = 400
        else:
            try:
                actions.draft_upload_add(
                    draft=draft,
                    material_id=int(request.POST.get("material", "0") or 0),
                    file=request.FILES.get("file"),
                )
            except (PortalError, ValueError) as exc:
                error = getattr(exc, "message", _("Choose a material and a file."))
                status = 400
            else:
                messages.success(request, _("The file was added."))
                return redirect(_page_url(draft.service.code, MATERIALS_PAGE))
    context = {
        "draft": draft,
        "service": draft.service,
        "page": page,
        "previous": previous,
        "rows": draft_materials(draft=draft),
        "error": error,
        "max_mb": settings.UPLOAD_MAX_BYTES // 1024 // 1024,
    } | _progress(draft, page)
    return render(request, "applications/apply_materials.html", context, status=status)


@citizen_required
@require_POST
def application_upload_remove(request, code: str, upload_id: int):
    draft = _draft(request, code)
    try:
        actions.draft_upload_remove(draft=draft, upload_id=upload_id)
    except NotFound as exc:
        messages.error(request, exc.message)
    return redirect(_page_url(code, MATERIALS_PAGE))


def _check(request, draft: Draft):
    page, previous, _following = selectors.page_get(service=draft.service, answers=draft.answers, key=CHECK_PAGE)
    schema = draft.service.form_schema
    sections = []
    for question_page in selectors.draft_pages(service=draft.service, answers=draft.answers):
        if question_page.fields:
            rows = [
                {
                    "label": schema_field_label(schema, spec["name"]),
                    "value": answer_display(schema, spec["name"], draft.answers.get(spec["name"], "")),
                    "change": _page_url(draft.service.code, question_page.key) + f"?check=1#id_{spec['name']}",
                }
                for spec in question_page.fields
            ]
            sections.append({"title": question_page.title, "rows": rows})
    error = None
    if request.method == "POST":
        try:
            application = actions.draft_submit(draft=draft)
        except InvalidInput as exc:
            error = exc.message
            target = exc.errors.get("page", [None])[0]
            if target and target != MATERIALS_PAGE:
                messages.error(request, exc.message)
                return redirect(_page_url(draft.service.code, target))
        except PortalError as exc:
            error = exc.message
        else:
            return redirect("applications:submitted", reference=application.reference)
    context = {
        "draft": draft,
        "service": draft.service,
        "page": page,
        "previous": previous,
        "sections": sections,
        "rows": draft_materials(draft=draft),
        "error": error,
    } | _progress(draft, page)
    return render(request, "applications/apply_check.html", context, status=400 if error else 200)


def _consent(request, draft: Draft):
    """Before anything is fetched: what, from which department, for what; agree, or upload
    the documents instead."""
    page, previous, following = selectors.page_get(service=draft.service, answers=draft.answers, key=CONSENT_PAGE)
    requirements = list(draft.service.data_requirements.select_related("registry__department"))
    error, refusal = None, None
    if request.method == "POST":
        if request.POST.get("action") == "decline":
            actions.draft_consent_decline(draft=draft)
            return redirect(_page_url(draft.service.code, _following_key(following)))
        try:
            actions.draft_consent_give(
                request=request,
                draft=draft,
                id_number=request.POST.get("id_number", ""),
                requirement_ids=[int(v) for v in request.POST.getlist("requirement") if v.isascii() and v.isdigit()],
            )
        except PortalError as exc:
            error, refusal = exc.message, exc
        else:
            return redirect(_page_url(draft.service.code, _following_key(following)))
    response = render(
        request,
        "applications/apply_consent.html",
        {
            "draft": draft,
            "service": draft.service,
            "page": page,
            "previous": previous,
            "requirements": requirements,
            "error": error,
            "fetches": fetch_list_for_draft(draft=draft),
        }
        | _progress(draft, page),
        status=refusal.status if refusal else 200,
    )
    return with_retry_after(response, refusal)


@citizen_required
def application_fetches(request, code: str):
    """The state of the data being fetched (htmx polls it while any is on its way)."""
    draft = _draft(request, code)
    return render(
        request,
        "applications/_fetches.html",
        {
            "fetches": fetch_list_for_draft(draft=draft),
            "service": draft.service,
            "page": {"key": request.GET.get("page", "")},
        },
    )
