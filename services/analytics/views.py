"""The statistics pages: the dashboard of a department administrator or city leader, its CSV
exports, and the public statistics. Every figure comes from `selectors`; these views choose
the scope the viewer may see and arrange the figures."""

import csv
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from services.analytics import charts, selectors
from services.analytics.forms import DashboardForm, PeriodForm
from services.analytics.open_data import SMALLEST_PUBLISHED, open_statistics
from services.audit.constants import Action
from services.audit.trail import audit_record
from services.catalog.models import Service
from services.core.cache import public_page
from services.core.errors import Forbidden
from services.core.i18n import localized_value
from services.core.replica import statistics_view
from services.core.views import staff_required

# The steps drawn in the chart of the slowest; the table beside it lists every step.
SLOWEST_STEPS_CHARTED = 8


def _scope(request) -> tuple[DashboardForm, selectors.Scope | None]:
    """The filter form, and the scope it asks for within what the viewer may see (None when
    the form is wrong). Anyone but department administrators and leaders is refused."""
    try:
        departments = selectors.viewer_departments(user=request.user)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    form = DashboardForm(
        request.GET,
        departments=selectors.departments_visible(departments=departments),
        services=selectors.services_visible(departments=departments),
        city_wide=departments is None,
        department_count=len(departments or ()),
    )
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    department, service = data.get("department"), data.get("service")
    scope = selectors.Scope(
        month_from=data["month_from"],
        month_to=data["month_to"],
        departments=(department.pk,) if department else departments,
        service_id=service.pk if service else None,
    )
    return form, scope


def _step_labels(waits: list[dict]) -> list[tuple[str, dict]]:
    """A step's name on the chart, with its service's where two charted steps share a name."""
    names = [w["step"] for w in waits]
    return [(f"{w['step']}（{w['service']}）" if names.count(w["step"]) > 1 else w["step"], w) for w in waits]


@staff_required
@statistics_view
def dashboard(request):
    form, scope = _scope(request)
    template = "analytics/_dashboard.html" if request.htmx else "analytics/dashboard.html"
    if scope is None:
        return render(request, template, {"form": form}, status=400)
    return render(request, template, {"form": form, "scope": scope, **dashboard_figures(scope=scope)})


def dashboard_figures(*, scope: selectors.Scope) -> dict:
    measured = selectors.measures(scope=scope)
    by_month = [(month, measured.by_month.get(month) or selectors.Figures()) for month in scope.months]
    labels = [f"{month:%Y-%m}" for month, _ in by_month]
    backlog = selectors.backlog(scope=scope)
    backlog_total = selectors.backlog_total(backlog)
    ages = [
        (_("up to 5 days"), backlog_total["age_0_5"]),
        (_("6–10 days"), backlog_total["age_6_10"]),
        (_("11–20 days"), backlog_total["age_11_20"]),
        (_("over 20 days"), backlog_total["age_over_20"]),
    ]
    waits = selectors.step_waits(scope=scope)
    for wait in waits:
        wait["step"], wait["service"] = localized_value(wait, "step"), localized_value(wait, "service")
        wait["department"] = localized_value(wait, "department")
    services = Service.objects.in_bulk(set(measured.by_service) | set(backlog))
    service_rows: list[dict[str, Any]] = sorted(
        (
            {
                "service": service,
                "figures": measured.by_service.get(pk) or selectors.Figures(),
                "backlog": backlog.get(pk),
            }
            for pk, service in services.items()
        ),
        key=lambda row: row["service"].code,
    )
    several = scope.departments is None or len(scope.departments) > 1
    ranking = selectors.department_ranking(by_department=measured.by_department) if several else []
    return {
        "total": measured.total,
        "by_month": by_month,
        "service_rows": service_rows,
        "ranking": ranking,
        "waits": waits,
        "slowest_waits": [w for w in waits if w["slowest"]],
        "other_waits": [w for w in waits if not w["slowest"]],
        "backlog": backlog_total,
        "ages": ages,
        "refreshed": selectors.last_refresh(),
        "chart_volume": charts.bars(
            label=_("Applications received and decided per month"),
            x_labels=labels,
            series=[
                (pgettext("statistics", "Received"), [f.sums["received"] for _, f in by_month]),
                (_("Decided"), [f.sums["decided"] for _, f in by_month]),
            ],
        ),
        "chart_on_time": charts.lines(
            label=_("On-time rate per month (%)"),
            x_labels=labels,
            series=[(_("On time"), [f.on_time_rate for _, f in by_month])],
            percent=True,
        ),
        "chart_backlog": charts.bars(
            label=_("Open cases by age in working days"),
            x_labels=[label for label, _ in ages],
            series=[(_("Open cases"), [count for _, count in ages])],
        ),
        "chart_waits": charts.horizontal_bars(
            label=_("The slowest steps: 90th percentile of working days waited"),
            rows=[(label, w["p90_days"]) for label, w in _step_labels(waits[:SLOWEST_STEPS_CHARTED])],
            series_name=_("Working days (90th percentile)"),
        )
        if waits
        else None,
        "chart_ranking": charts.horizontal_bars(
            label=_("On-time rate by department (%)"),
            rows=[(str(row["department"]), row["on_time_rate"]) for row in ranking if row["rank"]],
            series_name=_("On time"),
            percent=True,
        )
        if any(row["rank"] for row in ranking)
        else None,
    }


# CSV --------------------------------------------------------------------------------------


def _cell(value):
    """Spreadsheets run a cell that starts like a formula: names are written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _exported(request, what: str, scope, rows: int) -> None:
    audit_record(
        Action.EXPORT,
        request=request,
        object_type="statistics",
        object_id=what,
        detail={"from": f"{scope.month_from:%Y-%m}", "to": f"{scope.month_to:%Y-%m}", "rows": rows},
    )


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel reads UTF-8 Chinese only after a byte-order mark
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return response


MEASURE_COLUMNS = [
    ("received", pgettext_lazy("statistics", "Received")),
    ("decided", gettext_lazy("Decided")),
    ("approved", gettext_lazy("Approved")),
    ("rejected", gettext_lazy("Rejected")),
    ("on_time", gettext_lazy("On time")),
    ("on_time_rate", gettext_lazy("On-time rate (%)")),
    ("mean_days", gettext_lazy("Mean working days")),
    ("p90_days", gettext_lazy("Working days, 90th percentile")),
    ("corrected", gettext_lazy("Corrected")),
    ("correction_rate", gettext_lazy("Correction rate (%)")),
    ("rejection_rate", gettext_lazy("Rejection rate (%)")),
    ("materials_reused", gettext_lazy("Materials reused (trips saved)")),
    ("uploads", gettext_lazy("Files uploaded")),
    ("ratings", gettext_lazy("Ratings")),
    ("average_rating", gettext_lazy("Average rating")),
    ("bad_rating_rate", gettext_lazy("Bad ratings (%)")),
    ("follow_ups_due", gettext_lazy("Follow-ups due")),
    ("follow_ups_in_time", gettext_lazy("Follow-ups answered in time")),
]


@staff_required
@statistics_view
def export_services(request):
    """The figures per service and month in the dashboard's scope, one row each."""
    form, scope = _scope(request)
    if scope is None:
        return render(request, "analytics/dashboard.html", {"form": form}, status=400)
    by_month_service = selectors.measures(scope=scope, by_month_service=True).by_month_service
    services = Service.objects.select_related("lead_department").in_bulk({pk for _, pk in by_month_service})
    header = [_("Month"), _("Service code"), _("Service"), _("Lead department")]
    header += [str(label) for _, label in MEASURE_COLUMNS]
    rows = []
    for (month, pk), figures in sorted(
        by_month_service.items(), key=lambda item: (item[0][0], services[item[0][1]].code)
    ):
        values = figures.as_dict()
        service = services[pk]
        rows.append(
            [f"{month:%Y-%m}", service.code, service.name, service.lead_department.name]
            + [values[key] for key, _ in MEASURE_COLUMNS]
        )
    _exported(request, "services", scope, len(rows))
    return _csv_response(f"services-{scope.month_from:%Y%m}-{scope.month_to:%Y%m}.csv", header, rows)


@staff_required
@statistics_view
def export_steps(request):
    """Waiting time per workflow step in the dashboard's scope."""
    form, scope = _scope(request)
    if scope is None:
        return render(request, "analytics/dashboard.html", {"form": form}, status=400)
    header = [
        _("Service"),
        _("Step"),
        _("Department"),
        _("Steps decided"),
        _("Mean working days"),
        _("Working days, 90th percentile"),
        _("Slowest step of the service"),
    ]
    rows = [
        [
            localized_value(w, "service"),
            localized_value(w, "step"),
            localized_value(w, "department"),
            w["steps"],
            w["mean_days"],
            w["p90_days"],
            _("yes") if w["slowest"] else "",
        ]
        for w in selectors.step_waits(scope=scope)
    ]
    _exported(request, "steps", scope, len(rows))
    return _csv_response(f"steps-{scope.month_from:%Y%m}-{scope.month_to:%Y%m}.csv", header, rows)


# Public ----------------------------------------------------------------------------------


@public_page
@statistics_view
def open_data(request):
    """The public statistics: anyone may read them, signed in or not."""
    form = PeriodForm(request.GET)
    template = "analytics/_open_data.html" if request.htmx else "analytics/open_data.html"
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    rows = open_statistics(month_from=form.cleaned_data["month_from"], month_to=form.cleaned_data["month_to"])
    services: dict[str, dict] = {}
    for row in rows:
        entry = services.setdefault(row["service"], {"name": localized_value(row, "service_name"), "months": []})
        entry["months"].append(row)
    return render(
        request,
        template,
        {"form": form, "services": services.values(), "smallest": SMALLEST_PUBLISHED, "period": form.cleaned_data},
    )
