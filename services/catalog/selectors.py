from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from services.accounts.models import Department
from services.catalog.models import LifeEvent, Material, Service, Stage, StageStep, WorkflowTemplate
from services.core.errors import NotFound


def service_list_published() -> QuerySet[Service]:
    return Service.objects.filter(is_published=True).select_related("lead_department").order_by("code")


def service_search(*, query: str = "", life_event: str = "", department: str = "") -> QuerySet[Service]:
    """Published services matching every word of `query` (in either language, the summary or
    the keywords), within a life event and/or a department involved in the route."""
    services = service_list_published()
    for word in query.split()[:8]:
        services = services.filter(
            Q(name_zh__icontains=word)
            | Q(name_en__icontains=word)
            | Q(keywords__icontains=word)
            | Q(summary_zh__icontains=word)
            | Q(summary_en__icontains=word)
        )
    if life_event:
        services = services.filter(life_events__code=life_event)
    if department:
        services = services.filter(
            Q(lead_department__code=department)
            | Q(workflows__is_active=True, workflows__stages__steps__department__code=department)
        ).distinct()
    return services


def life_event_list() -> QuerySet[LifeEvent]:
    return LifeEvent.objects.filter(services__is_published=True).distinct().order_by("position", "code")


def department_list_with_services() -> QuerySet[Department]:
    return (
        Department.objects.filter(
            Q(led_services__is_published=True) | Q(stage_steps__stage__template__service__is_published=True)
        )
        .distinct()
        .order_by("code")
    )


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
    seen: dict[int, Department] = {}
    for stage in workflow.stages.all():
        for step in stage.steps.all():
            seen.setdefault(step.department.pk, step.department)
    return list(seen.values())
