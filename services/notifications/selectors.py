from django.db.models import QuerySet

from services.notifications.models import Notification


def notification_list_for_user(*, user) -> QuerySet[Notification]:
    """The user's own notifications, newest first, each with its deliveries (one query more)."""
    return (
        Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk").prefetch_related("deliveries")
    )


def notification_unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
