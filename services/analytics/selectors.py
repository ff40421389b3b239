"""The measures, read from the summary tables (and, for the backlog, from the open cases
themselves). Each function is a fixed number of grouped queries, whatever the number of
cases; Python only combines the grouped rows (a few per service and month).

Definitions (the same on every page, in the CSV and in the open data):
- received: applications submitted in the period;
- decided: approved or rejected in the period; the rates below are shares of these;
- on time: decided on or before the due date, which moves on by the days the case waited
  for the citizen;
- processing time: working days from submission to decision, less those waiting days;
  the 90th percentile is the nearest rank: the smallest number of days within which at
  least 90% of the cases were decided;
- trips saved: materials met from the citizen's wallet instead of an upload;
- bad rating: BAD_RATING_MAX or less; a follow-up is answered in time when its reply came
  by its due date, and counts once it is due (or answered).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from services.accounts.models import Department
from services.accounts.selectors import staff_statistics_scope
from services.analytics.models import ProcessingDays, Refresh, ServiceMonth, StepWait
from services.casework.constants import OPEN_STATUSES, ApplicationStatus
from services.casework.models import Application
from services.catalog.models import Service
from services.core.errors import Forbidden
from services.core.workdays import start_of_day, working_days_back

SUMS = (
    "received",
    "decided",
    "approved",
    "rejected",
    "on_time",
    "corrected",
    "processing_days",
    "materials_reused",
    "uploads",
    "ratings",
    "rating_points",
    "bad_ratings",
    "follow_ups_due",
    "follow_ups_in_time",
)

# Backlog ages, in working days since submission: (upper bound or None, key).
BACKLOG_AGES = ((5, "age_0_5"), (10, "age_6_10"), (20, "age_11_20"), (None, "age_over_20"))


@dataclass(frozen=True)
class Scope:
    """What a viewer may see and chose to see: departments (None: the whole city), an
    optional service, and a period of whole months."""

    month_from: date
    month_to: date
    departments: tuple[int, ...] | None = None
    service_id: int | None = None

    @property
    def months(self) -> list[date]:
        months, current = [], self.month_from
        while current <= self.month_to:
            months.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return months

    def filter(self, *, department_field: str = "department_id", service_field: str = "service_id") -> Q:
        q = Q()
        if self.departments is not None:
            q &= Q(**{f"{department_field}__in": self.departments})
        if self.service_id is not None:
            q &= Q(**{service_field: self.service_id})
        return q

    def period(self) -> Q:
        return Q(month__gte=self.month_from, month__lte=self.month_to)


# Who sees what ------------------------------------------------------------------------


def viewer_departments(*, user) -> tuple[int, ...] | None:
    """None for a city leader (every department); the departments a department administrator
    runs; Forbidden for anyone else."""
    scope = staff_statistics_scope(user=user)
    if scope.city_wide:
        return None
    if not scope.department_ids:
        raise Forbidden(_("The statistics are for department administrators and city leaders."))
    return scope.department_ids


def departments_visible(*, departments: tuple[int, ...] | None):
    qs = Department.objects.order_by("code")
    return qs if departments is None else qs.filter(pk__in=departments)


def services_visible(*, departments: tuple[int, ...] | None):
    """The services whose figures the viewer may see any of: those their departments lead,
    or work a step of."""
    qs = Service.objects.order_by("code")
    if departments is None:
        return qs
    return qs.filter(
        Q(lead_department_id__in=departments) | Q(workflows__stages__steps__department_id__in=departments)
    ).distinct()


# Arithmetic on grouped rows ------------------------------------------------------------


def share(part: int | None, whole: int | None) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


def mean(total: int | None, count: int | None) -> float | None:
    if not count:
        return None
    return round((total or 0) / count, 1)


def percentile(histogram: dict[int, int], fraction: float = 0.9) -> int | None:
    """Nearest-rank percentile of a {value: count} histogram."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = math.ceil(fraction * total)
    running = 0
    for value in sorted(histogram):
        running += histogram[value]
        if running >= rank:
            return value
    return None  # pragma: no cover - the loop always reaches the rank


@dataclass
class Figures:
    """The measures of one group (a month, a service, a department, or all)."""

    sums: dict = field(default_factory=lambda: dict.fromkeys(SUMS, 0))
    histogram: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, row: dict) -> None:
        for name in SUMS:
            self.sums[name] += row.get(name) or 0

    @property
    def on_time_rate(self):
        return share(self.sums["on_time"], self.sums["decided"])

    @property
    def rejection_rate(self):
        return share(self.sums["rejected"], self.sums["decided"])

    @property
    def correction_rate(self):
        return share(self.sums["corrected"], self.sums["decided"])

    @property
    def mean_days(self):
        return mean(self.sums["processing_days"], sum(self.histogram.values()) or self.sums["decided"])

    @property
    def p90_days(self):
        return percentile(self.histogram)

    @property
    def reuse_rate(self):
        return share(self.sums["materials_reused"], self.sums["materials_reused"] + self.sums["uploads"])

    @property
    def average_rating(self):
        return mean(self.sums["rating_points"], self.sums["ratings"])

    @property
    def bad_rating_rate(self):
        return share(self.sums["bad_ratings"], self.sums["ratings"])

    @property
    def follow_up_in_time_rate(self):
        return share(self.sums["follow_ups_in_time"], self.sums["follow_ups_due"])

    def as_dict(self) -> dict:
        return {**self.sums, **{name: getattr(self, name) for name in DERIVED}}


# What Figures derives from the sums, as in the CSV and `as_dict`.
DERIVED = (
    "on_time_rate",
    "rejection_rate",
    "correction_rate",
    "mean_days",
    "p90_days",
    "reuse_rate",
    "average_rating",
    "bad_rating_rate",
    "follow_up_in_time_rate",
)


# The measures --------------------------------------------------------------------------


@dataclass
class Measures:
    total: Figures
    by_month: dict[date, Figures]
    by_service: dict[int, Figures]
    by_department: dict[int, Figures]
    by_month_service: dict[tuple[date, int], Figures]


def measures(*, scope: Scope, by_month_service: bool = False) -> Measures:
    """Totals, and the same figures per month, service and department (and, asked, per
    month and service): two queries."""
    where = scope.period() & scope.filter()
    total = Figures()
    by_month: defaultdict[date, Figures] = defaultdict(Figures)
    by_service: defaultdict[int, Figures] = defaultdict(Figures)
    by_department: defaultdict[int, Figures] = defaultdict(Figures)
    cells: defaultdict[tuple[date, int], Figures] = defaultdict(Figures)

    def groups(row):
        yield from (total, by_month[row["month"]], by_service[row["service_id"]], by_department[row["department_id"]])
        if by_month_service:
            yield cells[row["month"], row["service_id"]]

    rows = (
        ServiceMonth.objects.filter(where)
        .values("month", "service_id", "department_id")
        .annotate(**{name: Sum(name) for name in SUMS})
    )
    for row in rows:
        for figures in groups(row):
            figures.add(row)
    for row in (
        ProcessingDays.objects.filter(where)
        .values("month", "service_id", "department_id", "days")
        .annotate(n=Sum("cases"))
    ):
        for figures in groups(row):
            figures.histogram[row["days"]] += row["n"]
    return Measures(
        total=total,
        by_month=dict(by_month),
        by_service=dict(by_service),
        by_department=dict(by_department),
        by_month_service=dict(cells),
    )


def department_ranking(*, by_department: dict[int, Figures]) -> list[dict]:
    """Departments by on-time rate, then by the shorter mean processing time, then by rating.
    Departments that decided nothing in the period come last, unranked."""
    names = {d.pk: d for d in Department.objects.filter(pk__in=by_department)}
    ranked = sorted(
        ({"department": names[pk], **figures.as_dict()} for pk, figures in by_department.items() if pk in names),
        key=lambda r: (
            r["on_time_rate"] is None,
            -(r["on_time_rate"] or 0),
            r["mean_days"] if r["mean_days"] is not None else math.inf,
            -(r["average_rating"] or 0),
            r["department"].code,
        ),
    )
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position if row["on_time_rate"] is not None else None
    return ranked


def step_waits(*, scope: Scope, limit: int | None = None) -> list[dict]:
    """Waiting time per workflow step (mean and 90th percentile, in working days), slowest
    first; each service's slowest step is marked. Versions of a workflow that name a step
    alike count as one step. One query."""
    rows = (
        StepWait.objects.filter(scope.period() & scope.filter())
        .values(
            "service_id",
            "service__name_zh",
            "service__name_en",
            "department_id",
            "department__name_zh",
            "department__name_en",
            "stage_step__name_zh",
            "stage_step__name_en",
            "days",
        )
        .annotate(n=Sum("steps"))
    )
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = (row["service_id"], row["department_id"], row["stage_step__name_zh"])
        group = groups.setdefault(
            key,
            {
                "service_id": row["service_id"],
                "service_zh": row["service__name_zh"],
                "service_en": row["service__name_en"],
                "department_zh": row["department__name_zh"],
                "department_en": row["department__name_en"],
                "step_zh": row["stage_step__name_zh"],
                "step_en": row["stage_step__name_en"],
                "histogram": defaultdict(int),
            },
        )
        group["histogram"][row["days"]] += row["n"]
    result = []
    for group in groups.values():
        histogram = group.pop("histogram")
        steps = sum(histogram.values())
        group.update(
            steps=steps,
            mean_days=mean(sum(d * n for d, n in histogram.items()), steps),
            p90_days=percentile(histogram),
        )
        result.append(group)
    result.sort(key=lambda g: (-(g["p90_days"] or 0), -(g["mean_days"] or 0), g["service_zh"], g["step_zh"]))
    slowest_seen = set()
    for group in result:
        group["slowest"] = group["service_id"] not in slowest_seen
        slowest_seen.add(group["service_id"])
    return result[:limit] if limit else result


def backlog(*, scope: Scope, today: date | None = None) -> dict[int, dict]:
    """Open cases now, per service, by age in working days; overdue ones (past their due date
    and not waiting for the citizen) and those waiting for the citizen. One query."""
    today = today or timezone.localdate()
    # Counting a column of the partial index (not the id): it holds all the counts read.
    counts = {
        "open": Count("service_id"),
        "overdue": Count("service_id", filter=Q(due_date__lt=today) & ~Q(status=ApplicationStatus.CORRECTION)),
        "waiting": Count("service_id", filter=Q(status=ApplicationStatus.CORRECTION)),
    }
    lower = None
    for upper, key in BACKLOG_AGES:
        q = Q()
        if upper is not None:
            q &= Q(submitted_at__gte=start_of_day(working_days_back(today, upper)))
        if lower is not None:
            q &= Q(submitted_at__lt=start_of_day(working_days_back(today, lower)))
        counts[key] = Count("service_id", filter=q)
        lower = upper
    rows = (
        Application.objects.filter(status__in=OPEN_STATUSES)
        .filter(scope.filter(department_field="service__lead_department_id"))
        .values("service_id")
        .annotate(**counts)
    )
    return {row["service_id"]: {k: v for k, v in row.items() if k != "service_id"} for row in rows}


def backlog_total(by_service: dict[int, dict]) -> dict:
    keys = ["open", "overdue", "waiting", *(key for _, key in BACKLOG_AGES)]
    return {key: sum(row[key] for row in by_service.values()) for key in keys}


def last_refresh() -> Refresh | None:
    return Refresh.objects.order_by("-finished_at").first()
