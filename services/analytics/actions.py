"""Rebuilding the summary tables from the cases. Every figure is a GROUP BY in the database;
Python only files the grouped rows into their month and service."""

import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from services.analytics.models import ProcessingDays, Refresh, ServiceMonth, StepWait
from services.casework.constants import BAD_RATING_MAX, DECIDED_STATUSES, ApplicationStatus, StepStatus
from services.casework.models import Application, CorrectionRequest, FollowUp, Rating, Step
from services.catalog.models import Service
from services.core.cache import public_pages_changed
from services.core.replica import replica_reads
from services.core.workdays import start_of_day
from services.records.models import Evidence, Upload

logger = logging.getLogger(__name__)

# Closed by a person or a check; cancelled steps were closed by the case ending elsewhere.
DECIDED_STEPS = (StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.RETURNED)


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(month: date, count: int) -> date:
    """The first of the month `count` months before `month`."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _month(field: str):
    return TruncMonth(field, output_field=DateField())


def summary_refresh(*, since: date | None = None, today: date | None = None) -> Refresh | None:
    """Rebuild the summary rows of every month from `since` (the first of a month) on, or of
    the whole history. One refresh at a time (None when another is running: its figures
    will be as fresh); it reads every figure from one snapshot of the cases and replaces the
    rows in the same transaction, so a dashboard reads either the old figures or the new."""
    began = time.monotonic()
    today = today or timezone.localdate()
    if since is not None:
        since = month_start(since)
    with _one_at_a_time() as ours:
        if not ours:
            logger.info("analytics: a refresh is already running; this one does nothing")
            return None
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rows, histogram, waits = _figures_read(since=since, today=today)
            for model in (ServiceMonth, ProcessingDays, StepWait):
                (model.objects.filter(month__gte=since) if since else model.objects.all()).delete()
            ServiceMonth.objects.bulk_create(rows, batch_size=2000)
            ProcessingDays.objects.bulk_create(histogram, batch_size=2000)
            StepWait.objects.bulk_create(waits, batch_size=2000)
            now = timezone.now()
            refresh = Refresh.objects.create(finished_at=now, since=since, seconds=time.monotonic() - began)
            # Beat adds one every few minutes: the recent ones tell enough.
            Refresh.objects.filter(finished_at__lt=now - REFRESH_LOG_KEPT).exclude(since=None).delete()
            public_pages_changed()  # the public statistics
    logger.info(
        "analytics: %s service-months rebuilt from %s in %.1f s", len(rows), since or "the start", refresh.seconds
    )
    return refresh


def _figures_read(*, since: date | None, today: date) -> tuple[list, list, list]:
    """The figures, read from the replica when one is fit (in one snapshot of its own), else
    inside the primary's transaction the caller opened."""
    with replica_reads() as alias:
        if alias == DEFAULT_DB_ALIAS:
            return _figures(since=since, today=today)
        with transaction.atomic(using=alias):
            with connections[alias].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _figures(since=since, today=today)


# Any number, the same in every process: PostgreSQL's advisory lock of the refresh.
_REFRESH_LOCK = 2026_11_26_06
REFRESH_LOG_KEPT = timedelta(days=7)


@contextmanager
def _one_at_a_time():
    """Two refreshes at once would each delete what the other has not committed yet, then
    both insert. On PostgreSQL a session lock, taken without waiting, lets one through; on
    SQLite writers wait for each other anyway."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFRESH_LOCK])
        ours = cursor.fetchone()[0]
    try:
        yield ours
    finally:
        if ours:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFRESH_LOCK])


def _figures(*, since: date | None, today: date) -> tuple[list, list, list]:
    """Every figure from `since` on, grouped in the database, as unsaved summary rows."""
    since_at = start_of_day(since) if since else None
    lead = dict(Service.objects.values_list("pk", "lead_department_id"))
    months: dict[tuple, dict] = defaultdict(dict)

    def after(field: str, *, on_date: bool = False) -> Q:
        if since is None:
            return Q()
        return Q(**{f"{field}__gte": since if on_date else since_at})

    received = (
        Application.objects.filter(after("submitted_at"))
        .annotate(month=_month("submitted_at"))
        .values("month", "service_id")
        .annotate(received=Count("id"))
    )
    for row in received:
        months[row["month"], row["service_id"], lead[row["service_id"]]]["received"] = row["received"]

    decided = Application.objects.filter(
        after("decided_at"), status__in=DECIDED_STATUSES, decided_at__isnull=False
    ).annotate(month=_month("decided_at"))
    for decided_row in decided.values("month", "service_id").annotate(
        decided=Count("id"),
        approved=Count("id", filter=Q(status=ApplicationStatus.APPROVED)),
        rejected=Count("id", filter=Q(status=ApplicationStatus.REJECTED)),
        on_time=Count("id", filter=Q(decided_at__date__lte=F("due_date"))),
        corrected=Count("id", filter=Exists(CorrectionRequest.objects.filter(application_id=OuterRef("pk")))),
        processing_days=Sum("processing_working_days"),
    ):
        counts: dict[str, Any] = dict(decided_row)
        month, service_id = counts.pop("month"), counts.pop("service_id")
        counts["processing_days"] = counts["processing_days"] or 0
        months[month, service_id, lead[service_id]].update(counts)
    histogram = [
        ProcessingDays(
            month=row["month"],
            service_id=row["service_id"],
            department_id=lead[row["service_id"]],
            days=row["processing_working_days"],
            cases=row["cases"],
        )
        for row in decided.filter(processing_working_days__isnull=False)
        .values("month", "service_id", "processing_working_days")
        .annotate(cases=Count("id"))
        # Never None (filtered out above): the check narrows the type.
        if row["processing_working_days"] is not None
    ]

    for model, field in ((Evidence, "materials_reused"), (Upload, "uploads")):
        for material_row in (
            model.objects.filter(after("application__submitted_at"), application__isnull=False)
            .annotate(month=_month("application__submitted_at"))
            .values("month", "application__service_id")
            .annotate(n=Count("id"))
        ):
            service_id = material_row["application__service_id"]
            months[material_row["month"], service_id, lead[service_id]][field] = material_row["n"]

    for rating_row in (
        Rating.objects.filter(after("created_at"))
        .annotate(month=_month("created_at"))
        .values("month", "application__service_id")
        .annotate(
            ratings=Count("id"),
            rating_points=Sum("score"),
            bad_ratings=Count("id", filter=Q(score__lte=BAD_RATING_MAX)),
        )
    ):
        counts = dict(rating_row)
        month, service_id = counts.pop("month"), counts.pop("application__service_id")
        months[month, service_id, lead[service_id]].update(counts)

    # A follow-up counts once it is due, or answered early; in time means answered by the due date.
    for follow_up_row in (
        FollowUp.objects.filter(after("due_date", on_date=True))
        .filter(Q(due_date__lt=today) | Q(replied_at__isnull=False))
        .annotate(month=_month("due_date"))
        .values("month", "rating__application__service_id", "department_id")
        .annotate(
            follow_ups_due=Count("id"),
            follow_ups_in_time=Count("id", filter=Q(replied_at__date__lte=F("due_date"))),
        )
    ):
        counts = dict(follow_up_row)
        months[counts.pop("month"), counts.pop("rating__application__service_id"), counts.pop("department_id")].update(
            counts
        )

    waits = [
        StepWait(
            month=row["month"],
            stage_step_id=row["stage_step_id"],
            service_id=row["service_id"],
            department_id=row["department_id"],
            days=row["working_days"],
            steps=row["steps"],
        )
        for row in Step.objects.filter(after("decided_at"), status__in=DECIDED_STEPS, working_days__isnull=False)
        .annotate(month=_month("decided_at"))
        .values("month", "stage_step_id", "service_id", "department_id", "working_days")
        .annotate(steps=Count("id"))
        # Never None (filtered out above): the check narrows the type.
        if row["working_days"] is not None
    ]

    rows = [
        ServiceMonth(month=month, service_id=service_id, department_id=department_id, **figures)
        for (month, service_id, department_id), figures in months.items()
    ]
    return rows, histogram, waits


def summary_refresh_recent(*, months: int = 3, today: date | None = None) -> Refresh | None:
    """The beat job: the last `months` months, where figures still change (decisions of old
    cases land in the current month; follow-ups are answered within days). The first time
    (a new installation, or one that just gained the statistics), the whole history."""
    today = today or timezone.localdate()
    if not Refresh.objects.filter(since__isnull=True).exists():
        return summary_refresh(today=today)
    return summary_refresh(since=months_back(month_start(today), months - 1), today=today)
