"""Follow-ups of bad ratings, for the staff of the department they are for: the open ones,
oldest due first, and the reply to the applicant."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from services.casework import ratings, selectors
from services.casework.api.views import IsStaff
from services.core.api import PortalPagination, error_responses, json_object


class FollowUpOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(source="rating.application.reference")
    service = serializers.CharField(source="rating.application.service.code")
    service_name = serializers.CharField(source="rating.application.service.name")
    department = serializers.CharField(source="department.code")
    score = serializers.IntegerField(source="rating.score")
    tags = serializers.ListField(child=serializers.CharField(), source="rating.tags")
    tags_display = serializers.SerializerMethodField()
    comment = serializers.CharField(source="rating.comment")
    rated_at = serializers.DateTimeField(source="rating.created_at")
    due_date = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    reply = serializers.CharField()
    replied_by = serializers.CharField(source="replied_by.username", allow_null=True, default=None)
    replied_at = serializers.DateTimeField(allow_null=True)

    def get_tags_display(self, follow_up) -> list[str]:
        return ratings.tag_labels(follow_up.rating.tags)

    def get_overdue(self, follow_up) -> bool:
        return selectors.follow_up_is_overdue(follow_up, self.context.get("today") or timezone.localdate())


class FollowUpReplyIn(serializers.Serializer):
    reply = serializers.CharField(max_length=ratings.REPLY_MAX, help_text="The applicant reads it on the case page.")


class FollowUpListApi(APIView):
    """The open follow-ups of the staff member's departments, the oldest due first."""

    permission_classes = [IsStaff]
    pagination_class = PortalPagination

    @extend_schema(responses=FollowUpOut(many=True), operation_id="follow_ups_list")
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.follow_up_list_for_staff(user=request.user), request, self)
        context = {"today": timezone.localdate()}
        return paginator.get_paginated_response(FollowUpOut(page, many=True, context=context).data)


class FollowUpReplyApi(APIView):
    """Reply to the applicant, once (409 after that). Staff of another department get 404."""

    permission_classes = [IsStaff]

    @extend_schema(
        request=FollowUpReplyIn, responses={200: FollowUpOut, **error_responses(409)}, operation_id="follow_ups_reply"
    )
    def post(self, request, pk: int):
        # The department first: staff of another learn nothing, not even that the body was wrong.
        selectors.follow_up_get_for_staff(user=request.user, pk=pk)
        payload = FollowUpReplyIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        ratings.follow_up_reply(follow_up_id=pk, user=request.user, reply=payload.validated_data["reply"])
        return Response(FollowUpOut(selectors.follow_up_get_for_staff(user=request.user, pk=pk)).data)
