import uuid

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from services.applications import actions, selectors
from services.applications.timeline import timeline_entries

# Moving a running case is casework's; the citizen's page hands the correction to it.
from services.casework.actions import case_correction_submit
from services.casework.constants import StepStatus
from services.catalog import selectors as catalog_selectors
from services.catalog.schema import answer_display, answers_form_class, schema_questions, text
from services.core.errors import InvalidInput, PortalError
from services.core.views import citizen_required, or_404


def _form_groups(schema: dict, form) -> list[dict]:
    return [
        {"title": text(group["title"]), "fields": [form[spec["name"]] for spec in group["fields"]]}
        for group in schema["groups"]
    ]


@citizen_required
def application_apply(request, code: str):
    service = or_404(catalog_selectors.service_get_published, code=code)
    form_class = answers_form_class(service.form_schema)
    error = None
    if request.method == "POST":
        form = form_class(request.POST)
        # The key is made when the form is shown, so a double tap or a resent form makes one case.
        key = request.POST.get("idempotency_key") or str(uuid.uuid4())
        data = {name: request.POST.get(name, "") for name in form_class.base_fields}
        try:
            application, _created = actions.application_submit(
                citizen=request.user, service_code=service.code, answers=data, idempotency_key=key
            )
        except InvalidInput as exc:
            form.is_valid()
            error = exc.message
        except PortalError as exc:
            error = exc.message
        else:
            return redirect("applications:submitted", reference=application.reference)
    else:
        form = form_class()
        key = str(uuid.uuid4())
    return render(
        request,
        "applications/application_apply.html",
        {
            "service": service,
            "form": form,
            "groups": _form_groups(service.form_schema, form),
            "idempotency_key": key,
            "error": error,
        },
    )


@citizen_required
def application_submitted(request, reference: str):
    application = or_404(selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    return render(request, "applications/application_submitted.html", {"application": application})


@citizen_required
def application_list(request):
    applications = selectors.application_list_for_citizen(citizen=request.user)[:100]
    return render(request, "applications/application_list.html", {"applications": applications})


def _correction_form(application, data=None):
    """A form with only the questions the open correction request names, filled in."""
    correction = application.corrections.filter(resolved_at=None).first()
    if correction is None:
        return None, None
    fields = [item["field"] for item in correction.items if item.get("field")]
    form_class = answers_form_class(application.service.form_schema)
    form = form_class(data=data, initial=application.answers)
    for name in list(form.fields):
        if name not in fields:
            del form.fields[name]
    return correction, form


def _detail_context(application, correction_form=None, error=None) -> dict:
    schema = application.service.form_schema
    answers = [
        (
            title,
            [
                (label, answer_display(schema, name, application.answers.get(name)))
                for name, label in fields
                if name in application.answers
            ],
        )
        for title, fields in schema_questions(schema)
    ]
    current = application.steps.filter(status=StepStatus.OPEN).select_related("department")
    correction, form = _correction_form(application)
    return {
        "correction": correction,
        "correction_form": correction_form or form,
        "error": error,
        "application": application,
        "answers": answers,
        "current_departments": [s.department for s in current],
        "timeline": timeline_entries(selectors.application_events(application=application)),
    }


@citizen_required
def application_detail(request, reference: str):
    application = or_404(selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    context = _detail_context(application)
    if request.htmx:
        return render(request, "applications/_status.html", context)
    return render(request, "applications/application_detail.html", context)


@citizen_required
@require_POST
def application_correction(request, reference: str):
    """The citizen answers a correction request (补正): only the named questions change."""
    application = or_404(selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    correction, form = _correction_form(application, data=request.POST)
    if correction is None:
        return redirect("applications:detail", reference=reference)
    answers = {name: request.POST.get(name, "") for name in form.fields}
    try:
        case_correction_submit(
            application_id=application.pk,
            citizen=request.user,
            answers=answers,
            comment=request.POST.get("comment", ""),
        )
    except InvalidInput as exc:
        form.is_valid()
        return render(request, "applications/application_detail.html", _detail_context(application, form, exc.message))
    except PortalError as exc:
        return render(request, "applications/application_detail.html", _detail_context(application, form, exc.message))
    return redirect("applications:detail", reference=reference)
