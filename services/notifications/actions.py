from services.notifications.models import Notification


def notify(*, recipients, kind: str, params: dict | None = None, link: str = "") -> int:
    """An in-app notification to each recipient (deduplicated). Returns how many were made."""
    unique = {r.pk: r for r in recipients if r is not None}
    Notification.objects.bulk_create(
        [Notification(recipient=r, kind=kind, params=params or {}, link=link) for r in unique.values()]
    )
    return len(unique)
