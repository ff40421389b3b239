from django.db.models import Count, Q, QuerySet

from services.notifications.models import FAILING_DELIVERY, Delivery, DeliveryStatus, Notification


def notification_list_for_user(*, user) -> QuerySet[Notification]:
    """The user's own notifications, newest first, each with its deliveries (one query more)."""
    return (
        Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk").prefetch_related("deliveries")
    )


def notification_unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def deliveries_failing_by_channel() -> dict[str, dict[str, int]]:
    """Per channel, the deliveries that failed for good and those waiting for a retry after a
    failure, for the operators' metrics: one grouped query over a partial index (the
    deliveries that went well, nearly all of them, are never read)."""
    failed = Q(status=DeliveryStatus.FAILED)
    rows = (
        Delivery.objects.filter(FAILING_DELIVERY)
        .values("channel")
        .annotate(failed=Count("pk", filter=failed), retrying=Count("pk", filter=~failed))
        .order_by()
    )
    return {row["channel"]: {"failed": row["failed"], "retrying": row["retrying"]} for row in rows}
