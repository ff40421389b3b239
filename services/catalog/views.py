from django.shortcuts import render

from services.catalog import selectors
from services.core.views import or_404


def service_list(request):
    return render(request, "catalog/service_list.html", {"services": selectors.service_list_published()})


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
        },
    )
