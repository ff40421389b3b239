"""The signed-in user's notifications: the list, written in the caller's language, and
"mark all as read"."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from services.core.api import PortalPagination
from services.notifications import actions, selectors
from services.notifications.messages import delivery_status_text, notification_text


class DeliveryOut(serializers.Serializer):
    channel = serializers.CharField(help_text="email or sms")
    status = serializers.CharField(help_text="pending, sent or failed")
    status_display = serializers.SerializerMethodField()
    sent_at = serializers.DateTimeField(allow_null=True)

    def get_status_display(self, delivery) -> str:
        return delivery_status_text(delivery)


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.SerializerMethodField(help_text="The notification in the caller's language.")
    link = serializers.CharField(help_text="The page it is about, a path on this site (may be empty).")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    deliveries = DeliveryOut(many=True, help_text="Its email and text messages, with what happened to them.")

    def get_text(self, notification) -> str:
        return notification_text(notification)


class NotificationListApi(APIView):
    """The signed-in user's own notifications, newest first."""

    pagination_class = PortalPagination

    @extend_schema(responses=NotificationOut(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.notification_list_for_user(user=request.user), request, self)
        return paginator.get_paginated_response(NotificationOut(page, many=True).data)


class NotificationReadAllApi(APIView):
    """Mark every notification of the signed-in user as read."""

    @extend_schema(
        operation_id="notifications_read_all",
        request=None,
        responses=inline_serializer("NotificationsReadOut", {"marked": serializers.IntegerField()}),
    )
    def post(self, request):
        return Response({"marked": actions.notifications_mark_all_read(user=request.user)})
