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


def test_demo_staff_sign_in_with_the_published_authenticator_key(capsys, rf):
    """Every demo staff account and the system administrator have the demo authenticator;
    the key is printed, and `manage.py demo_code` gives the code that signs in now."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from services.tooling.demo_data import demo_key_base32

    call_command("seed_demo")
    assert demo_key_base32() in capsys.readouterr().out
    staff = User.objects.exclude(kind="citizen")
    assert TOTPDevice.objects.filter(confirmed=True, user__in=staff).count() == staff.count()

    call_command("demo_code")
    code = capsys.readouterr().out.strip()
    assert TOTPDevice.objects.get(user__username="sysadmin").verify_token(code)
    assert not TOTPDevice.objects.filter(user__kind="citizen").exists()


def test_demo_code_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("demo_code")
