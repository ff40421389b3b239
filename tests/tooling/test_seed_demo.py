import pytest
from django.core.management import call_command

from services.accounts.constants import StaffRole
from services.accounts.models import Department, Membership, User
from services.catalog.models import Service, StageStep, WorkflowTemplate
from services.catalog.schema import schema_check

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_complete(capsys):
    call_command("seed_demo")
    counts = (Department.objects.count(), Service.objects.count(), User.objects.count(), StageStep.objects.count())
    call_command("seed_demo")
    assert (
        Department.objects.count(),
        Service.objects.count(),
        User.objects.count(),
        StageStep.objects.count(),
    ) == counts
    assert WorkflowTemplate.objects.filter(version=1).count() == Service.objects.count()

    assert Department.objects.count() >= 6
    assert Service.objects.filter(is_published=True).count() >= 6
    for service in Service.objects.all():
        assert service.name_zh and service.name_en
        assert schema_check(service.form_schema) == []

    newborn = Service.objects.get(code="newborn-registration")
    departments = set(StageStep.objects.filter(stage__template__service=newborn).values_list("department", flat=True))
    assert len(departments) >= 3
    restaurant = Service.objects.get(code="restaurant-opening")
    assert any(stage.steps.count() > 1 for stage in restaurant.workflows.get().stages.all())

    assert User.objects.filter(kind="citizen").count() >= 2
    for department in Department.objects.all():
        for role in (StaffRole.CLERK, StaffRole.REVIEWER, StaffRole.DEPARTMENT_ADMIN):
            assert Membership.objects.filter(department=department, role=role).exists(), (department, role)
    assert Membership.objects.filter(role=StaffRole.AUDITOR).exists()
    assert "13800138001" in capsys.readouterr().out
