from typing import cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from services.applications.actions import application_send
from services.casework import selectors
from services.casework.citizen import case_correction_submit
from services.casework.timeline import timeline_entries
from services.core.api import PortalPagination, error_responses, json_object


class IsCitizen(BasePermission):
    message = "Only citizens can use this."

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_citizen)


class ApplicationIn(serializers.Serializer):
    service = serializers.SlugField(max_length=60, help_text="The service code.")
    answers = serializers.DictField(help_text="Answers keyed by the field names of the service's form schema.")


class ApplicationListOut(serializers.Serializer):
    reference = serializers.CharField()
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    submitted_at = serializers.DateTimeField()
    due_date = serializers.DateField()


class TimelineEntryOut(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    text = serializers.CharField()
    note = serializers.CharField()


class CorrectionOut(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField())
    requested_at = serializers.DateTimeField()


class ApplicationDetailOut(ApplicationListOut):
    answers = serializers.DictField()
    open_correction = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(allow_null=True)
    current_departments = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    def get_open_correction(self, application) -> dict | None:
        correction = selectors.case_open_correction(application=application)
        return CorrectionOut(correction).data if correction else None

    def get_current_departments(self, application) -> list[dict]:
        departments = selectors.case_departments_now(application=application)
        return [{"code": department.code, "name": department.name} for department in departments]

    def get_timeline(self, application) -> list[dict]:
        events = selectors.application_events(application=application)
        # many=True makes a ListSerializer, whose data is a list (the stubs say a ReturnDict).
        return cast(list[dict], TimelineEntryOut(timeline_entries(events), many=True).data)


class ApplicationListCreateApi(APIView):
    permission_classes = [IsCitizen]
    pagination_class = PortalPagination

    @extend_schema(responses=ApplicationListOut(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.application_list_for_citizen(citizen=request.user), request, self)
        return paginator.get_paginated_response(ApplicationListOut(page, many=True).data)

    @extend_schema(
        request=ApplicationIn,
        # 404: no published service has the code; 409: the key was used with other answers.
        responses={201: ApplicationDetailOut, 200: ApplicationDetailOut, **error_responses(404, 409)},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "maxLength": 80},
                OpenApiParameter.HEADER,
                description="Repeat a request with the same key and the same body: one case is created.",
            )
        ],
    )
    def post(self, request):
        """Submit an application under the rules of the pages: every required material sent
        to the draft (`/api/v1/drafts/{code}/files/`) or met by the wallet, unless it may
        follow later; an answer a registry verified (after consent) unchanged. A refusal is a
        400 with the message the page gives: `errors` per question, or under `materials`."""
        payload = ApplicationIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        application, created = application_send(
            citizen=request.user,
            service_code=payload.validated_data["service"],
            answers=payload.validated_data["answers"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response(
            ApplicationDetailOut(application).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ApplicationDetailApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses=ApplicationDetailOut)
    def get(self, request, reference: str):
        application = selectors.application_get_for_citizen(citizen=request.user, reference=reference)
        return Response(ApplicationDetailOut(application).data)


class CorrectionIn(serializers.Serializer):
    answers = serializers.DictField(
        required=False, default=dict, help_text="New answers to the questions the correction request names."
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ApplicationCorrectionApi(APIView):
    """Answer a correction request (补正). Only the questions it names may change; the case
    returns to the step that asked, with its deadline moved on by the days it waited."""

    permission_classes = [IsCitizen]

    @extend_schema(request=CorrectionIn, responses={200: ApplicationDetailOut, **error_responses(409)})
    def post(self, request, reference: str):
        payload = CorrectionIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        application = selectors.application_get_for_citizen(citizen=request.user, reference=reference)
        case_correction_submit(
            application_id=application.pk,
            citizen=request.user,
            answers=payload.validated_data["answers"],
            comment=payload.validated_data.get("comment", ""),
        )
        application.refresh_from_db()
        return Response(ApplicationDetailOut(application).data)
