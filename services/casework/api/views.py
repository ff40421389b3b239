from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from services.casework import actions, selectors
from services.casework.constants import Decision


class IsStaff(BasePermission):
    message = "Only department staff can use this."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_portal_staff)


class StepOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(source="application.reference")
    service = serializers.CharField(source="application.service.code")
    service_name = serializers.CharField(source="application.service.name")
    department = serializers.CharField(source="department.code")
    step_name = serializers.CharField(source="stage_step.name")
    role = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    due_date = serializers.DateField(source="application.due_date")


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DecisionOut(StepOut):
    decided_at = serializers.DateTimeField()
    reason = serializers.CharField()


class TaskListApi(APIView):
    """Open steps of the departments the staff member works in."""

    permission_classes = [IsStaff]

    @extend_schema(responses=StepOut(many=True))
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.step_list_open_for_staff(user=request.user), request, self)
        return paginator.get_paginated_response(StepOut(page, many=True).data)


class TaskDecisionApi(APIView):
    """Approve a step, or reject it with a reason. 409 if it was already decided."""

    permission_classes = [IsStaff]

    @extend_schema(request=DecisionIn, responses=DecisionOut)
    def post(self, request, pk: int):
        payload = DecisionIn(data=request.data)
        payload.is_valid(raise_exception=True)
        step = actions.step_decide(step_id=pk, user=request.user, **payload.validated_data)
        return Response(DecisionOut(selectors.step_get_for_staff(user=request.user, pk=step.pk)).data)
