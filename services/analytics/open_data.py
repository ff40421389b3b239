"""Public statistics (open data): per service and month, the applications received and
decided and the on-time rate, for published services only.

Small numbers can point at a person, so no count under five is ever published: such a cell
is withheld (None). An on-time rate is published only when it rests on at least five
decided cases and gives away no count under five: neither the on-time nor the late cases
may number one to four (none late, a rate of 100%, describes nobody)."""

from datetime import date

from django.db.models import Sum

from services.analytics.models import ServiceMonth

SMALLEST_PUBLISHED = 5


def published_count(count: int) -> int | None:
    return count if count >= SMALLEST_PUBLISHED else None


def published_rate(on_time: int, decided: int) -> float | None:
    late = decided - on_time
    if decided < SMALLEST_PUBLISHED or 0 < on_time < SMALLEST_PUBLISHED or 0 < late < SMALLEST_PUBLISHED:
        return None
    return round(100.0 * on_time / decided, 1)


def open_statistics(*, month_from: date, month_to: date, service_id: int | None = None) -> list[dict]:
    """One row per published service and month that had any case: one query."""
    rows = ServiceMonth.objects.filter(month__gte=month_from, month__lte=month_to, service__is_published=True).order_by(
        "service__code", "month"
    )
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    result = []
    for row in rows.values("month", "service__code", "service__name_zh", "service__name_en").annotate(
        received=Sum("received"), decided=Sum("decided"), on_time=Sum("on_time")
    ):
        result.append(
            {
                "service": row["service__code"],
                "service_name_zh": row["service__name_zh"],
                "service_name_en": row["service__name_en"],
                "month": f"{row['month']:%Y-%m}",
                "received": published_count(row["received"]),
                "decided": published_count(row["decided"]),
                "on_time_rate": published_rate(row["on_time"], row["decided"]),
            }
        )
    return result
