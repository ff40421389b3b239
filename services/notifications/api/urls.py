"""Included under /api/v1/notifications/ in the "api" namespace."""

from django.urls import path

from services.notifications.api.views import NotificationListApi, NotificationReadAllApi

urlpatterns = [
    path("", NotificationListApi.as_view(), name="notification-list"),
    path("read/", NotificationReadAllApi.as_view(), name="notification-read-all"),
]
