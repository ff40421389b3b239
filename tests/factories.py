"""Factories, one per model, with the states tests need."""

import factory
from django.contrib.auth import get_user_model

from services.accounts.constants import CITY_WIDE_ROLES, StaffRole, UserKind
from services.accounts.models import Department, Membership
from services.catalog.models import Material, Service, Stage, StageStep, WorkflowTemplate

PASSWORD = "Correct-Horse-42"

SIMPLE_SCHEMA = {
    "groups": [
        {
            "key": "applicant",
            "title": {"zh": "申请人信息", "en": "About you"},
            "fields": [
                {"name": "full_name", "type": "text", "label": {"zh": "姓名", "en": "Full name"}, "required": True},
                {
                    "name": "id_number",
                    "type": "id_number",
                    "label": {"zh": "身份证号", "en": "ID number"},
                    "required": True,
                },
                {"name": "mobile", "type": "mobile", "label": {"zh": "手机号码", "en": "Mobile"}, "required": True},
                {"name": "birth_date", "type": "date", "label": {"zh": "出生日期", "en": "Date of birth"}},
            ],
        }
    ]
}

# The smallest file that is a PDF by its content.
SAMPLE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

VALID_ANSWERS = {"full_name": "王小明", "id_number": "11010519491231002X", "mobile": "13812345678"}


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name_zh = factory.LazyAttribute(lambda o: f"{o.code}局")
    name_en = factory.LazyAttribute(lambda o: f"{o.code} bureau")


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    kind = UserKind.CITIZEN
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    username = factory.LazyAttribute(lambda o: o.mobile)
    full_name = "测试市民"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff member; pass department= and role= to give them a membership."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    kind = UserKind.STAFF
    username = factory.Sequence(lambda n: f"staff{n}")
    full_name = factory.Sequence(lambda n: f"工作人员{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def membership(obj, create, extracted, department=None, role=StaffRole.REVIEWER, **kwargs):
        if create:
            obj.save()
            if department is not None or role in CITY_WIDE_ROLES:
                Membership.objects.create(user=obj, department=department, role=role)


def staff_of(department_code: str | None, role: str = StaffRole.REVIEWER):
    """A new staff member with `role` in the existing department `department_code` (None for
    the city-wide roles: leader, auditor)."""
    department = Department.objects.get(code=department_code) if department_code else None
    return StaffFactory(membership__department=department, membership__role=role)


def make_service(
    *, code: str = "test-service", stages: list[list[str]], promised_days: int = 5, schema=None
) -> Service:
    """A published service whose workflow has the given stages, each a list of department
    codes (several codes = a parallel stage)."""
    departments = {c: DepartmentFactory(code=c) for stage in stages for c in stage}
    service = Service.objects.create(
        code=code,
        name_zh=f"{code}服务",
        name_en=f"{code} service",
        lead_department=departments[stages[0][0]],
        promised_days=promised_days,
        form_schema=schema or SIMPLE_SCHEMA,
        is_published=True,
    )
    Material.objects.create(service=service, name_zh="居民身份证", name_en="Resident ID card")
    workflow = WorkflowTemplate.objects.create(service=service, version=1, is_active=True)
    for position, codes in enumerate(stages, start=1):
        stage = Stage.objects.create(
            template=workflow, position=position, name_zh=f"第{position}阶段", name_en=f"Stage {position}"
        )
        for c in codes:
            StageStep.objects.create(stage=stage, department=departments[c], name_zh=f"{c}审核", name_en=f"{c} review")
    return service


# A demo citizen's answers to the marriage registration of the demo data.
MARRIAGE = {
    "applicant_name": "张伟",
    "applicant_id_number": "11010519491231002X",
    "applicant_mobile": "13800138001",
    "partner_name": "王芳",
    "partner_id_number": "440305199003071236",
    "preferred_date": "2026-12-18",
    "previously_married": "no",
}
