from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from services.catalog import selectors
from services.core.views import or_404


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search services"), required=False, max_length=100)
    event = forms.SlugField(required=False, max_length=40)
    department = forms.SlugField(required=False, max_length=40)


def service_list(request):
    """Find a service: by words, by life event, by department."""
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    query, event, department = filters.get("q", ""), filters.get("event", ""), filters.get("department", "")
    events = list(selectors.life_event_list())
    departments = list(selectors.department_list_with_services())
    context = {
        "form": form,
        "services": selectors.service_search(query=query, life_event=event, department=department),
        "events": events,
        "departments": departments,
        "query": query,
        "current_event": next((e for e in events if e.code == event), None),
        "current_department": next((d for d in departments if d.code == department), None),
        "searching": bool(query or event or department),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "catalog/_results.html", context)
    return render(request, "catalog/service_list.html", context)


def service_guide(request, code: str):
    service = or_404(selectors.service_get_published, code=code)
    workflow = selectors.service_active_workflow(service=service)
    return render(
        request,
        "catalog/service_guide.html",
        {
            "service": service,
            "workflow": workflow,
            "departments": selectors.workflow_departments(workflow=workflow),
            "materials": _materials_for(request.user, service),
            "data_requirements": list(service.data_requirements.select_related("registry__department")),
        },
    )


def _materials_for(user, service) -> list[dict]:
    """Each material, and for a signed-in citizen whether their wallet already meets it (一次告知)."""
    from services.records.selectors import wallet_valid_document

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
