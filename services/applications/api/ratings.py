"""The citizen's rating of a finished case (好差评) through the API, and the department's
reply to a bad one."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from services.applications.api.views import IsCitizen
from services.casework import ratings, selectors
from services.casework.constants import RatingTag
from services.core.api import error_responses, json_object
from services.core.errors import NotFound


class RatingIn(serializers.Serializer):
    score = serializers.IntegerField(
        min_value=1,
        max_value=5,
        help_text="1 very dissatisfied, 2 dissatisfied, 3 fairly satisfied, 4 satisfied, 5 very satisfied.",
    )
    tags = serializers.ListField(
        child=serializers.ChoiceField(choices=RatingTag.choices),
        required=False,
        default=list,
        max_length=len(RatingTag),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=ratings.COMMENT_MAX)


class RatingFollowUpOut(serializers.Serializer):
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    due_date = serializers.DateField(help_text="The department replies by this day.")
    answered = serializers.SerializerMethodField()
    reply = serializers.CharField()
    replied_at = serializers.DateTimeField(allow_null=True)

    def get_answered(self, follow_up) -> bool:
        return follow_up.replied_at is not None


class RatingOut(serializers.Serializer):
    reference = serializers.CharField(source="application.reference")
    score = serializers.IntegerField()
    score_display = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField())
    tags_display = serializers.SerializerMethodField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    follow_up = RatingFollowUpOut(
        allow_null=True, help_text="Opened by a rating of 2 or less: the department's reply, when it comes."
    )

    def get_score_display(self, rating) -> str:
        return ratings.score_label(rating.score)

    def get_tags_display(self, rating) -> list[str]:
        return ratings.tag_labels(rating.tags)


class ApplicationRatingApi(APIView):
    """Rate a finished case (approved or not), once. A rating of 2 or less opens a follow-up:
    the department that decided replies within a few working days. 409 for a case still
    running or already rated."""

    permission_classes = [IsCitizen]

    @extend_schema(responses=RatingOut, operation_id="applications_rating_retrieve")
    def get(self, request, reference: str):
        application = selectors.application_get_for_citizen(citizen=request.user, reference=reference)
        rating = selectors.rating_for_application(application=application)
        if rating is None:
            raise NotFound(_("This case has not been rated yet."))
        return Response(RatingOut(rating).data)

    @extend_schema(
        request=RatingIn, responses={201: RatingOut, **error_responses(409)}, operation_id="applications_rating_create"
    )
    def post(self, request, reference: str):
        # The case first: another citizen's reference is "not found", whatever the body.
        application = selectors.application_get_for_citizen(citizen=request.user, reference=reference)
        payload = RatingIn(data=json_object(request.data))
        payload.is_valid(raise_exception=True)
        ratings.application_rate(application_id=application.pk, citizen=request.user, **payload.validated_data)
        rating = selectors.rating_for_application(application=application)
        return Response(RatingOut(rating).data, status=status.HTTP_201_CREATED)
