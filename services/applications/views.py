from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from services.applications.selectors import draft_list_for_citizen
from services.casework import selectors as case_selectors
from services.casework.citizen import case_correction_submit, case_material_add, case_withdraw
from services.casework.constants import OPEN_STATUSES
from services.casework.timeline import timeline_entries
from services.catalog import selectors as catalog_selectors
from services.catalog.schema import answer_display, answers_form_class, schema_questions
from services.core.cache import public_page
from services.core.errors import InvalidInput, NotFound, PortalError
from services.core.views import citizen_required, or_404
from services.records.actions import data_access_record
from services.records.selectors import wallet_valid_document
from services.records.uploads import case_materials, upload_get


@citizen_required
def application_submitted(request, reference: str):
    application = or_404(case_selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    return render(request, "applications/application_submitted.html", {"application": application})


@citizen_required
def application_list(request):
    applications = case_selectors.application_list_for_citizen(citizen=request.user)[:100]
    drafts = draft_list_for_citizen(citizen=request.user)
    return render(request, "applications/application_list.html", {"applications": applications, "drafts": drafts})


def _correction_form(application, data=None):
    """A form with only the questions the open correction request names, filled in."""
    correction = case_selectors.case_open_correction(application=application)
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
    correction, form = _correction_form(application)
    return {
        "correction": correction,
        "correction_form": correction_form or form,
        "error": error,
        "application": application,
        "answers": answers,
        "current_departments": case_selectors.case_departments_now(application=application),
        "timeline": timeline_entries(case_selectors.application_events(application=application)),
        "materials": case_materials(application=application),
        "predicted_date": case_selectors.application_predicted_date(application=application),
        "is_open": application.status in OPEN_STATUSES,
    }


@citizen_required
def application_detail(request, reference: str):
    application = or_404(case_selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    context = _detail_context(application)
    if request.htmx:
        return render(request, "applications/_status.html", context)
    return render(request, "applications/application_detail.html", context)


@citizen_required
@require_POST
def application_correction(request, reference: str):
    """The citizen answers a correction request (补正): only the named questions change."""
    application = or_404(case_selectors.application_get_for_citizen, citizen=request.user, reference=reference)
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
    application = or_404(case_selectors.application_get_for_citizen, citizen=request.user, reference=reference)
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
    application = or_404(case_selectors.application_get_for_citizen, citizen=request.user, reference=reference)
    try:
        case_material_add(
            application_id=application.pk,
            citizen=request.user,
            material_id=int(request.POST.get("material", "0") or 0),
            file=request.FILES.get("file"),
        )
    except (PortalError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", _("Choose a material and a file.")))
    else:
        messages.success(request, _("The file was added to your application."))
    return redirect("applications:detail", reference=reference)


def _upload_for(user, pk: int):
    """A file its owner may see, and staff of a department with a step in its case (the step
    is what the data-access log names); to anyone else it does not exist."""
    upload = upload_get(pk=pk)
    if upload.owner_id == user.pk:
        return upload, None
    if getattr(user, "is_portal_staff", False) and upload.application_id:
        step = case_selectors.staff_step_in_case(user=user, application_id=upload.application_id)
        if step is not None:
            return upload, step
    raise NotFound(_("This file does not exist or is not yours to see."))


@login_required
def upload_download(request, pk: int):
    """A file, to its owner and to staff of the departments handling its case. Always as a
    download, so that no uploaded content runs in the portal's pages."""
    upload, step = or_404(_upload_for, user=request.user, pk=pk)
    if step is not None:
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


@public_page
def service_guide(request, code: str):
    """The guide (办事指南): everything the service needs, told at once (一次告知); for a
    signed-in citizen, which materials their wallet already holds."""
    service = or_404(catalog_selectors.service_get_published, code=code)
    workflow = catalog_selectors.service_active_workflow(service=service)
    return render(
        request,
        "applications/service_guide.html",
        {
            "service": service,
            "workflow": workflow,
            "departments": catalog_selectors.workflow_departments(workflow=workflow),
            "materials": _materials_held(request.user, service),
            "data_requirements": list(service.data_requirements.select_related("registry__department")),
        },
    )


def _materials_held(user, service) -> list[dict]:
    """Each material, and for a signed-in citizen whether their wallet already meets it."""
    citizen = user if user.is_authenticated and getattr(user, "is_citizen", False) else None
    rows = []
    for material in service.materials.all():
        held = (
            wallet_valid_document(citizen=citizen, document_type_id=material.document_type_id)
            if citizen and material.document_type_id
            else None
        )
        rows.append({"material": material, "held": held})
    return rows
