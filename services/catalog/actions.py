"""Changes to the catalogue. Workflows are versioned: a version that cases have used is never
edited; an administrator copies it, edits the copy and activates it."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from services.catalog.models import Stage, StageStep, WorkflowTemplate
from services.core.cache import public_pages_changed
from services.core.errors import PortalError


@transaction.atomic
def workflow_copy(*, template: WorkflowTemplate) -> WorkflowTemplate:
    """A new, inactive version with the same stages and steps, ready to edit."""
    latest = WorkflowTemplate.objects.filter(service=template.service).aggregate(v=Max("version"))["v"] or 0
    copy = WorkflowTemplate.objects.create(service=template.service, version=latest + 1, is_active=False)
    for stage in template.stages.order_by("position").prefetch_related("steps"):
        new_stage = Stage.objects.create(
            template=copy,
            position=stage.position,
            name_zh=stage.name_zh,
            name_en=stage.name_en,
            condition=stage.condition,
        )
        StageStep.objects.bulk_create(
            [
                StageStep(
                    stage=new_stage,
                    department_id=step.department_id,
                    name_zh=step.name_zh,
                    name_en=step.name_en,
                    role=step.role,
                    automatic_check=step.automatic_check,
                    days=step.days,
                )
                for step in stage.steps.all()
            ]
        )
    return copy


@transaction.atomic
def workflow_activate(*, template: WorkflowTemplate) -> WorkflowTemplate:
    """Make this version the one new applications use. Running cases keep theirs."""
    if not template.stages.exists() or not StageStep.objects.filter(stage__template=template).exists():
        raise PortalError(_("A workflow needs at least one stage with a step before it can be used."))
    WorkflowTemplate.objects.filter(service=template.service, is_active=True).exclude(pk=template.pk).update(
        is_active=False
    )
    if not template.is_active:
        template.is_active = True
        template.save(update_fields=["is_active"])
    public_pages_changed()  # the guide shows the route
    return template


def workflow_in_use(*, template: WorkflowTemplate) -> bool:
    return template.applications.exists()
