from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.casework import claims, decisions, notes, personal_data, selectors
from services.casework.constants import Decision
from services.casework.forms import IdNumberSearchForm, QueueFilterForm
from services.casework.timeline import timeline_entries
from services.core.errors import InvalidInput, PortalError
from services.core.views import or_404, staff_required
from services.records.uploads import case_materials


@staff_required
def workbench(request):
    form = QueueFilterForm(request.GET or None)
    id_form = IdNumberSearchForm(request.POST if request.method == "POST" else None)
    steps, next_cursor, error = [], "", None
    if id_form.is_bound:
        if id_form.is_valid():
            steps = personal_data.steps_find_by_id_number(
                user=request.user, id_number=id_form.cleaned_data["id_number"]
            )
        else:
            error = _("Check the ID number.")
    elif form.is_bound and not form.is_valid():
        error = _("Check the filters.")
    else:
        filters = form.filters() if form.is_bound else selectors.QueueFilters()
        cursor = form.cleaned_data.get("cursor", "") if form.is_bound else ""
        try:
            steps, next_cursor = selectors.step_queue(user=request.user, filters=filters, cursor=cursor)
        except InvalidInput as exc:
            error = exc.message
    next_query = ""
    if next_cursor:
        query = request.GET.copy()
        query["cursor"] = next_cursor
        next_query = query.urlencode()
    context = {
        "form": form,
        "id_form": id_form,
        "steps": selectors.steps_with_deadline_state(steps),
        "next_query": next_query,
        "error": error,
        "current_query": request.GET.urlencode(),
    }
    if request.htmx and request.htmx.target == "queue":
        return render(request, "casework/_queue.html", context)
    return render(request, "casework/workbench.html", context)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@staff_required
@require_POST
def steps_claim(request):
    ids = [int(v) for v in request.POST.getlist("step") if v.isascii() and v.isdigit()]
    if not ids:
        messages.warning(request, _("Choose the steps to claim first."))
    else:
        claimed, refused = claims.steps_claim_bulk(step_ids=ids, user=request.user)
        if claimed:
            messages.success(request, _("You claimed %(count)d step(s).") % {"count": len(claimed)})
        for message in dict.fromkeys(refused.values()):
            messages.error(request, message)
    return redirect(_safe_next(request, reverse("casework:workbench")))


def _step_context(request, step, **extra) -> dict:
    application = step.application
    selectors.steps_with_deadline_state([step])
    return {
        "step": step,
        "application": application,
        "answers": selectors.case_answers_for_staff(application=application, revealed=extra.pop("revealed", None)),
        "timeline": timeline_entries(selectors.application_events(application=application), for_staff=True),
        "notes": selectors.case_notes(application_id=application.pk),
        "decisions": Decision,
        "is_admin": selectors.step_is_administered_by(step=step, user=request.user),
        "colleagues": selectors.step_colleagues(step=step),
        "open_correction": selectors.case_open_correction(application=application),
        "materials": case_materials(application=application),
        "fetches": list(application.fetches.select_related("registry__department")),
        **extra,
    }


def _step_page(request, pk: int, *, template: str = "casework/step_detail.html", status: int = 200, **extra):
    step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    return render(request, template, _step_context(request, step, **extra), status=status)


@staff_required
def step_detail(request, pk: int):
    step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    personal_data.case_access_record(step=step, user=request.user)
    return render(request, "casework/step_detail.html", _step_context(request, step))


def _after_post(request, pk: int, *, fragment: str, error: PortalError | None = None, **extra):
    """htmx gets the fragment again (with the error, if any); a plain form post is redirected
    after success, or shown the page with the error."""
    if error is not None:
        extra["error"] = error.message
        if request.htmx:
            return _step_page(request, pk, template=fragment, status=error.status, **extra)
        return _step_page(request, pk, status=error.status, **extra)
    if request.htmx:
        return _step_page(request, pk, template=fragment, **extra)
    return redirect("casework:step", pk=pk)


@staff_required
@require_POST
def step_decide(request, pk: int):
    step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    items = [line for line in request.POST.get("items", "").splitlines() if line.strip()]
    try:
        decisions.step_decide(
            step_id=step.pk,
            user=request.user,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            items=items,
        )
    except PortalError as exc:
        return _after_post(
            request,
            pk,
            fragment="casework/_decision.html",
            error=exc,
            reason=request.POST.get("reason", ""),
            items_text=request.POST.get("items", ""),
        )
    return _after_post(request, pk, fragment="casework/_decision.html", decided=True)


@staff_required
@require_POST
def step_claim(request, pk: int):
    or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    try:
        claims.step_claim(step_id=pk, user=request.user)
    except PortalError as exc:
        return _after_post(request, pk, fragment="casework/_decision.html", error=exc)
    return _after_post(request, pk, fragment="casework/_decision.html")


@staff_required
@require_POST
def step_note(request, pk: int):
    or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    try:
        notes.case_note_add(step_id=pk, user=request.user, text_=request.POST.get("text", ""))
    except PortalError as exc:
        return _after_post(request, pk, fragment="casework/_notes.html", error=exc)
    return _after_post(request, pk, fragment="casework/_notes.html")


@staff_required
@require_POST
def step_assign(request, pk: int):
    step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    colleagues = {str(u.pk): u for u in selectors.step_colleagues(step=step)}
    try:
        to = colleagues.get(request.POST.get("assignee", ""))
        if to is None:
            raise PortalError(_("Choose a colleague of this department."), code="not_eligible")
        claims.step_assign(step_id=pk, by=request.user, to=to)
    except PortalError as exc:
        return _after_post(request, pk, fragment="casework/_decision.html", error=exc)
    return _after_post(request, pk, fragment="casework/_decision.html")


@staff_required
@require_POST
def step_reveal(request, pk: int):
    or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    field = request.POST.get("field", "")
    try:
        value = personal_data.case_data_reveal(
            step_id=pk, user=request.user, field=field, reason=request.POST.get("reason", "")
        )
    except PortalError as exc:
        return _after_post(request, pk, fragment="casework/_answers.html", error=exc)
    # Shown in this response only; the next page load masks it again.
    return _step_page(
        request,
        pk,
        template="casework/_answers.html" if request.htmx else "casework/step_detail.html",
        revealed={field: value},
    )
