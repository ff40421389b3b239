"""The citizen's draft of a service through the API: what its materials still need, and the
files for them. The draft is the same one the pages fill, so a file sent here counts on the
pages and the other way round, and `POST /api/v1/applications/` takes the draft's files to
the case (`actions.application_send`)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from services.applications import actions
from services.applications.api.views import IsCitizen
from services.applications.models import Draft
from services.applications.rules import application_materials
from services.catalog.selectors import service_get_published
from services.core.errors import NotFound
from services.records.selectors import fetch_list_for_draft


class UploadOut(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.IntegerField(source="material_id")
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class MaterialStateOut(serializers.Serializer):
    material = serializers.IntegerField(source="material.pk")
    name = serializers.CharField(source="material.name")
    # Not "required": a serializer field's own attribute has that name.
    needed = serializers.BooleanField(
        source="material.required", help_text="The service needs it: now, or within deferrable_days when set."
    )
    deferrable_days = serializers.IntegerField(source="material.deferrable_days", allow_null=True)
    files = UploadOut(source="uploads", many=True)
    from_wallet = serializers.SerializerMethodField(help_text="The wallet document that meets it: nothing to upload.")
    missing = serializers.BooleanField(help_text="Needed before the application is accepted.")
    deferred = serializers.BooleanField(help_text="Needed, and allowed to follow within deferrable_days (容缺).")

    def get_from_wallet(self, row) -> str | None:
        document = row["from_wallet"]
        return f"{document.document_type.name} {document.number}" if document else None


class RequirementOut(serializers.Serializer):
    id = serializers.IntegerField()
    registry = serializers.CharField(source="registry.code")
    department = serializers.CharField(source="registry.department.name")
    purpose = serializers.CharField()


class DraftOut(serializers.Serializer):
    service = serializers.CharField()
    requirements = RequirementOut(
        many=True, help_text="What the service would ask the departments' registries, and why: the consent is to these."
    )
    data_consent = serializers.CharField(help_text="given, declined, or empty when not asked yet.")
    materials = MaterialStateOut(many=True)


class FetchOut(serializers.Serializer):
    registry = serializers.CharField(source="registry.code")
    department = serializers.CharField(source="registry.department.name")
    status = serializers.CharField(help_text="pending, done, not_found or failed.")


class ConsentIn(serializers.Serializer):
    agree = serializers.BooleanField(help_text="true: ask the departments; false: type and upload everything.")
    id_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=18, help_text="Needed to agree."
    )
    requirements = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        max_length=50,
        help_text="The ids of the draft's requirements (GET /api/v1/drafts/{code}/) the citizen agrees to.",
    )


class ConsentOut(serializers.Serializer):
    data_consent = serializers.CharField()
    fetches = FetchOut(many=True)


class UploadIn(serializers.Serializer):
    material = serializers.IntegerField(
        help_text="The id of one of the draft's materials (GET /api/v1/drafts/{code}/)."
    )
    file = serializers.FileField(help_text="JPEG, PNG or PDF, judged from its content.")


def _service(code: str):
    return service_get_published(code=code)


def _draft(citizen, service) -> Draft | None:
    return Draft.objects.filter(citizen=citizen, service=service).first()


class DraftApi(APIView):
    """What a submission of the service would bring today: each material with the files sent
    for it, the wallet document that meets it, and whether it is missing or may follow."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=DraftOut)
    def get(self, request, code: str):
        service = _service(code)
        draft = _draft(request.user, service)
        rows = application_materials(citizen=request.user, service=service, draft=draft)
        state = {
            "service": service.code,
            "requirements": service.data_requirements.select_related("registry__department").order_by("pk"),
            "data_consent": draft.data_consent if draft else "",
            "materials": rows,
        }
        return Response(DraftOut(state).data)


class DraftConsentApi(APIView):
    """Agree that the service's registries be asked for the citizen's data (their ID number
    is checked to be theirs first), or decline and type everything. As on the pages, the
    answers those registries verify then cannot be changed in the application."""

    permission_classes = [IsCitizen]

    @extend_schema(request=ConsentIn, responses=ConsentOut)
    def post(self, request, code: str):
        payload = ConsentIn(data=request.data)
        payload.is_valid(raise_exception=True)
        draft = actions.draft_consent_answer(
            request=request,
            citizen=request.user,
            service=_service(code),
            agree=payload.validated_data["agree"],
            id_number=payload.validated_data["id_number"],
            requirement_ids=payload.validated_data["requirements"],
        )
        return Response(
            ConsentOut({"data_consent": draft.data_consent, "fetches": fetch_list_for_draft(draft=draft)}).data
        )


class DraftFileApi(APIView):
    """Send a file for one material of the service: it waits on the draft (made if need be)
    until the application is submitted."""

    permission_classes = [IsCitizen]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": UploadIn}, responses={201: UploadOut})
    def post(self, request, code: str):
        payload = UploadIn(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = actions.draft_file_send(
            citizen=request.user,
            service=_service(code),
            material_id=payload.validated_data["material"],
            file=payload.validated_data["file"],
        )
        return Response(UploadOut(upload).data, status=status.HTTP_201_CREATED)


class DraftFileRemoveApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={204: None})
    def delete(self, request, code: str, pk: int):
        draft = _draft(request.user, _service(code))
        if draft is None:
            raise NotFound(_("This file is not in your application."))
        actions.draft_upload_remove(draft=draft, upload_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
