from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from services.catalog.models import Material, Service, Stage, StageStep, WorkflowTemplate
from services.core.errors import NotFound


def service_list_published() -> QuerySet[Service]:
    return Service.objects.filter(is_published=True).select_related("lead_department").order_by("code")


def service_get_published(*, code: str) -> Service:
    """The guide of a published service with materials and the active workflow, in few queries."""
    stages = Stage.objects.order_by("position").prefetch_related(
        Prefetch("steps", queryset=StageStep.objects.select_related("department").order_by("pk"))
    )
    service = (
        Service.objects.filter(is_published=True, code=code)
        .select_related("lead_department")
        .prefetch_related(
            Prefetch("materials", queryset=Material.objects.order_by("position", "pk")),
            Prefetch(
                "workflows",
                queryset=WorkflowTemplate.objects.filter(is_active=True).prefetch_related(
                    Prefetch("stages", queryset=stages)
                ),
                to_attr="active_workflows",
            ),
        )
        .first()
    )
    if service is None:
        raise NotFound(_("There is no published service with the code “%(code)s”.") % {"code": code})
    return service


def service_active_workflow(*, service: Service) -> WorkflowTemplate | None:
    if hasattr(service, "active_workflows"):
        return service.active_workflows[0] if service.active_workflows else None
    return service.workflows.filter(is_active=True).first()


def workflow_departments(*, workflow: WorkflowTemplate | None) -> list:
    """Departments involved, in the order they first act."""
    if workflow is None:
        return []
    seen = {}
    for stage in workflow.stages.all():
        for step in stage.steps.all():
            seen.setdefault(step.department.pk, step.department)
    return list(seen.values())
