from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from services.applications.selectors import application_events
from services.applications.timeline import timeline_entries
from services.casework import actions, selectors
from services.casework.constants import Decision
from services.catalog.schema import answer_display, schema_questions
from services.core.errors import PortalError
from services.core.masking import mask_id_number, mask_mobile
from services.core.views import or_404, staff_required


@staff_required
def workbench(request):
    steps = selectors.step_list_open_for_staff(user=request.user)[:200]
    return render(request, "casework/workbench.html", {"steps": steps})


def _answers_for_staff(application) -> list:
    """Answers with personal identifiers masked: staff screens never show them in full."""
    schema = application.service.form_schema
    types = {f["name"]: f["type"] for g in schema["groups"] for f in g["fields"]}
    masks = {"id_number": mask_id_number, "mobile": mask_mobile}
    result = []
    for title, fields in schema_questions(schema):
        rows = []
        for name, label in fields:
            if name not in application.answers:
                continue
            value = answer_display(schema, name, application.answers[name])
            rows.append((label, masks[types[name]](value) if types[name] in masks else value))
        result.append((title, rows))
    return result


def _step_context(step, **extra) -> dict:
    return {
        "step": step,
        "application": step.application,
        "answers": _answers_for_staff(step.application),
        "timeline": timeline_entries(application_events(application=step.application), for_staff=True),
        "decisions": Decision,
        **extra,
    }


@staff_required
def step_detail(request, pk: int):
    step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    return render(request, "casework/step_detail.html", _step_context(step))


@staff_required
@require_POST
def step_decide(request, pk: int):
    step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    try:
        actions.step_decide(
            step_id=step.pk,
            user=request.user,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except PortalError as exc:
        step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
        context = _step_context(step, error=exc.message, reason=request.POST.get("reason", ""))
        template = "casework/_decision.html" if request.htmx else "casework/step_detail.html"
        return render(request, template, context, status=exc.status)
    step = or_404(selectors.step_get_for_staff, user=request.user, pk=pk)
    if request.htmx:
        return render(request, "casework/_decision.html", _step_context(step, decided=True))
    return redirect("casework:step", pk=pk)
