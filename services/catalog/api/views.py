from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from services.catalog import selectors
from services.core.cache import public_data


class DepartmentOut(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()


class ServiceListOut(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    promised_days = serializers.IntegerField()
    lead_department = DepartmentOut()


class MaterialOut(serializers.Serializer):
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    note_zh = serializers.CharField()
    note_en = serializers.CharField()
    # DRF's metaclass takes declared fields off the class; the stubs read this as overriding Field.required.
    required = serializers.BooleanField()  # type: ignore[assignment]


class StepOut(serializers.Serializer):
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    role = serializers.CharField()
    department = DepartmentOut()


class StageOut(serializers.Serializer):
    position = serializers.IntegerField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    steps = StepOut(many=True, source="steps.all")


class ServiceGuideOut(ServiceListOut):
    summary_zh = serializers.CharField()
    summary_en = serializers.CharField()
    fee_zh = serializers.CharField()
    fee_en = serializers.CharField()
    materials = MaterialOut(many=True, source="materials.all")
    departments = serializers.SerializerMethodField()
    stages = serializers.SerializerMethodField()
    form_schema = serializers.JSONField()

    def get_departments(self, service) -> list[dict]:
        workflow = selectors.service_active_workflow(service=service)
        # many=True makes a ListSerializer, whose data is a list (the stubs say a ReturnDict).
        return cast(list[dict], DepartmentOut(selectors.workflow_departments(workflow=workflow), many=True).data)

    def get_stages(self, service) -> list[dict]:
        workflow = selectors.service_active_workflow(service=service)
        # many=True makes a ListSerializer, whose data is a list (the stubs say a ReturnDict).
        return cast(list[dict], StageOut(workflow.stages.all() if workflow else [], many=True).data)


class ServiceListApi(APIView):
    """Published services."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ServiceListOut(many=True))
    def get(self, request):
        return Response(
            public_data(request, lambda: ServiceListOut(selectors.service_list_published(), many=True).data)
        )


class ServiceGuideApi(APIView):
    """The service guide (办事指南): materials, deadline, departments, stages and form schema."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ServiceGuideOut)
    def get(self, request, code: str):
        return Response(public_data(request, lambda: ServiceGuideOut(selectors.service_get_published(code=code)).data))
