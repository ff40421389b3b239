"""Every measure against the hand-built history of tests/analytics/history.py, where the
right answer is known: working days across the National Day holiday, a clock stopped
during a correction, months dated by their own event."""

from datetime import date

import pytest

from services.analytics import actions, selectors
from services.analytics.models import ServiceMonth
from tests.analytics.history import TODAY, at

pytestmark = pytest.mark.django_db


def scope_of(*codes, service=None, month_from=date(2026, 9, 1), month_to=date(2026, 11, 1)):
    from services.accounts.models import Department

    departments = tuple(Department.objects.filter(code__in=codes).values_list("pk", flat=True)) if codes else None
    return selectors.Scope(
        month_from=month_from,
        month_to=month_to,
        departments=departments,
        service_id=service.pk if service else None,
    )


def test_the_real_actions_store_working_days_without_holidays_and_paused_days(history):
    cases = history.cases
    assert cases["P1"].processing_working_days == 2  # 30 Sep -> 9 Oct, over National Day
    assert cases["P2"].processing_working_days == 6  # 9 working days, 3 of them waiting
    assert cases["P2"].due_date == date(2026, 11, 12)  # 9 November, moved on by the 3 days
    steps = {(s.application_id, s.department.code): s.working_days for s in cases["P2"].steps.all()}
    assert steps == {(cases["P2"].pk, "psb"): 1, (cases["P2"].pk, "mca"): 5}


def test_the_lead_department_s_measures(history):
    figures = selectors.measures(scope=scope_of("psb")).total
    assert figures.sums["received"] == 3
    assert figures.sums["decided"] == 3
    assert figures.sums["approved"] == 2
    assert figures.sums["rejected"] == 1
    assert figures.on_time_rate == 66.7  # P1 and P3; P2 was a day late
    assert figures.mean_days == 3.0  # (2 + 6 + 1) / 3
    assert figures.p90_days == 6  # the nearest rank: the 3rd of 3
    assert figures.correction_rate == 33.3
    assert figures.rejection_rate == 33.3
    assert figures.sums["materials_reused"] == 1
    assert figures.reuse_rate == 50.0
    assert figures.average_rating == 3.0  # 5 and 1
    assert figures.bad_rating_rate == 50.0
    # P2's follow-up belongs to mca, which decided last.
    assert figures.sums["follow_ups_due"] == 0


def test_each_count_is_dated_by_its_own_event(history):
    by_month = selectors.measures(scope=scope_of("psb")).by_month
    september, october, november = (by_month.get(date(2026, m, 1)) for m in (9, 10, 11))
    assert (september.sums["received"], september.sums["decided"]) == (1, 0)
    assert (october.sums["received"], october.sums["decided"]) == (0, 1)  # P1 decided in October
    assert (november.sums["received"], november.sums["decided"]) == (2, 2)
    assert october.on_time_rate == 100.0
    assert november.on_time_rate == 50.0


def test_follow_ups_count_for_the_department_that_must_answer(history):
    mca = selectors.measures(scope=scope_of("mca")).total
    assert (mca.sums["follow_ups_due"], mca.sums["follow_ups_in_time"]) == (1, 1)
    assert mca.sums["received"] == 0  # mca leads no service
    amr = selectors.measures(scope=scope_of("amr")).total
    # L1's follow-up was due 18 November and never answered.
    assert (amr.sums["follow_ups_due"], amr.sums["follow_ups_in_time"]) == (1, 0)
    assert amr.follow_up_in_time_rate == 0.0
    assert amr.bad_rating_rate == 100.0
    assert amr.on_time_rate == 100.0


def test_the_backlog_by_age_in_working_days(history):
    backlog = selectors.backlog_total(selectors.backlog(scope=scope_of("amr"), today=TODAY))
    # L2: 17-26 November are 8 working days; due 19 November.
    assert backlog == {
        "open": 1,
        "overdue": 1,
        "waiting": 0,
        "age_0_5": 0,
        "age_6_10": 1,
        "age_11_20": 0,
        "age_over_20": 0,
    }
    assert selectors.backlog(scope=scope_of("psb"), today=TODAY) == {}


def test_a_case_waiting_for_the_citizen_is_not_overdue(history, django_capture_on_commit_callbacks):
    from tests.casework.helpers import decide, open_steps

    with at("2026-11-17"):
        decide(
            open_steps(history.cases["L2"])[0],
            "correction",
            django_capture_on_commit_callbacks,
            user=history.reviewers["amr"],
            items=["请补充"],
        )
    backlog = selectors.backlog_total(selectors.backlog(scope=scope_of("amr"), today=TODAY))
    assert (backlog["open"], backlog["overdue"], backlog["waiting"]) == (1, 0, 1)


def test_the_slowest_step_of_each_service_stands_out(history):
    waits = selectors.step_waits(scope=scope_of(service=history.permit))
    table = {(w["step_zh"], w["steps"], w["mean_days"], w["p90_days"], w["slowest"]) for w in waits}
    # psb: 1, 1 (P2 less its 3 waiting days) and 1; mca: 1 and 5.
    assert table == {("mca审核", 2, 3.0, 5, True), ("psb审核", 3, 1.0, 1, False)}
    assert waits[0]["step_zh"] == "mca审核"


def test_a_department_sees_only_its_own_steps(history):
    waits = selectors.step_waits(scope=scope_of("psb"))
    assert {w["step_zh"] for w in waits} == {"psb审核"}


def test_the_ranking_puts_the_department_on_time_first(history):
    measured = selectors.measures(scope=scope_of())
    ranking = selectors.department_ranking(by_department=measured.by_department)
    ranked = [(row["department"].code, row["rank"]) for row in ranking]
    # amr 100% on time, psb 66.7%; mca decided nothing of its own and is not ranked.
    assert ranked == [("amr", 1), ("psb", 2), ("mca", None)]


def test_a_refresh_of_recent_months_keeps_the_older_ones(history):
    older = ServiceMonth.objects.filter(month__lt=date(2026, 11, 1))
    before = set(older.values_list("month", "service_id", "received"))
    ServiceMonth.objects.filter(month=date(2026, 11, 1)).delete()
    with at("2026-11-26", "09:00"):
        refresh = actions.summary_refresh_recent(months=1)
    assert refresh.since == date(2026, 11, 1)
    assert set(older.values_list("month", "service_id", "received")) == before
    assert selectors.measures(scope=scope_of("psb")).total.sums["received"] == 3


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [({}, None), ({3: 1}, 3), ({1: 9, 10: 1}, 1), ({1: 8, 10: 2}, 10), ({2: 5, 4: 5}, 4)],
)
def test_the_90th_percentile_is_the_nearest_rank(histogram, expected):
    assert selectors.percentile(histogram) == expected


def test_beat_rebuilds_the_last_three_months(history):
    from portal.celery import app
    from services.analytics.models import Refresh
    from services.analytics.tasks import refresh

    assert app.conf.beat_schedule["analytics-refresh"]["task"] == "analytics.refresh"
    with at("2026-11-26", "09:30"):
        refresh.apply()
    assert Refresh.objects.latest().since == date(2026, 9, 1)
    assert selectors.measures(scope=scope_of("psb")).total.sums["received"] == 3


def test_steps_closed_before_the_statistics_get_their_working_days_by_migration(history):
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from services.casework.models import Step

    migration = import_module("services.casework.migrations.0004_step_working_days")
    # The models as they were when the migration ran (the tables are the same today).
    apps = MigrationLoader(connection).project_state(("casework", "0004_step_working_days")).apps
    expected = dict(Step.objects.values_list("pk", "working_days"))
    Step.objects.update(working_days=None)
    migration.closed_steps_count_their_working_days(apps, None)
    assert dict(Step.objects.values_list("pk", "working_days")) == expected
    assert None in expected.values()  # the open step of L2 stays without


def test_the_first_beat_refresh_rebuilds_the_whole_history(history):
    from services.analytics.models import Refresh

    Refresh.objects.all().delete()
    ServiceMonth.objects.all().delete()
    with at("2026-11-26", "09:30"):
        refresh = actions.summary_refresh_recent(months=1)
    assert refresh.since is None
    assert selectors.measures(scope=scope_of("psb")).by_month[date(2026, 9, 1)].sums["received"] == 1
