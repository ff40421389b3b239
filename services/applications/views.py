from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.applications import actions, selectors
from services.applications.constants import OPEN_STATUSES
from services.applications.timeline import timeline_entries

# Moving a running case is casework's; the citizen's page hands the correction to it.
from services.casework.actions import case_correction_submit, case_withdraw
from services.casework.constants import StepStatus
from services.catalog.schema import answer_display, answers_form_class, schema_questions
from services.core.errors import InvalidInput, PortalError
from services.core.views import citizen_required, or_404


@citizen_required
def application_submitted(request, reference: str):
    application = or_404(selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    return render(request, "applications/application_submitted.html", {"application": application})


@citizen_required
def application_list(request):
    applications = selectors.application_list_for_citizen(citizen=request.user)[:100]
    drafts = selectors.draft_list_for_citizen(citizen=request.user)
    return render(request, "applications/application_list.html", {"applications": applications, "drafts": drafts})


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
        "materials": selectors.application_materials(application=application),
        "predicted_date": selectors.application_predicted_date(application=application),
        "is_open": application.status in OPEN_STATUSES,
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


@citizen_required
@require_POST
def application_withdraw(request, reference: str):
    application = or_404(selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want to withdraw the application."))
        return redirect("applications:detail", reference=reference)
    try:
        case_withdraw(application_id=application.pk, citizen=request.user)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect("applications:detail", reference=reference)


@citizen_required
@require_POST
def application_material(request, reference: str):
    """A material allowed to follow later (容缺), sent from the case page."""
    application = or_404(selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    try:
        actions.application_material_add(
            application=application,
            citizen=request.user,
            material_id=int(request.POST.get("material", "0") or 0),
            file=request.FILES.get("file"),
        )
    except (PortalError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("Choose a material and a file.")))
    else:
        messages.success(request, _("The file was added to your application."))
    return redirect("applications:detail", reference=reference)


@login_required
def upload_download(request, pk: int):
    """A file, to its owner and to staff of the departments handling its case. Always as a
    download, so that no uploaded content runs in the portal's pages."""
    upload = or_404(selectors.upload_get_for_user, user=request.user, pk=pk)
    step = getattr(upload, "staff_step", None)
    if step is not None:
        from services.records.actions import data_access_record

        data_access_record(
            actor=request.user,
            citizen=upload.owner,
            department=step.department,
            case_reference=upload.application.reference,
            what=upload.material.name_zh,
            purpose=_("Opening a material of the case"),
        )
    response = FileResponse(upload.file.open("rb"), as_attachment=True, filename=upload.original_name)
    response["Content-Type"] = upload.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
