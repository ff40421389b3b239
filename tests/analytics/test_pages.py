"""The statistics pages: who may see which figures, the htmx partial, CSV, the public page
and its JSON, and query counts that do not grow with the cases."""

import csv
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from services.accounts.constants import StaffRole
from services.accounts.models import Department, Membership
from services.analytics import actions
from services.analytics.models import ServiceMonth
from tests.analytics.history import at
from tests.casework.helpers import submit
from tests.factories import CitizenFactory, staff_of

pytestmark = pytest.mark.django_db

DASHBOARD = "/analytics/"
PERIOD = "?month_from=2026-09&month_to=2026-11"


@pytest.fixture
def leader(db):
    return staff_of(None, StaffRole.LEADER)


@pytest.fixture
def psb_admin(history):
    return staff_of("psb", StaffRole.DEPARTMENT_ADMIN)


def test_the_leader_sees_every_department_and_the_ranking(client, history, leader):
    client.force_login(leader)
    response = client.get(DASHBOARD + PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "permit服务" in page and "licence服务" in page
    assert 'id="ranking"' in page
    main = page.split("<main", 1)[1]
    # Volumes, on time, backlog, steps, ranking: SVG images, with no script inside.
    assert main.count('<img class="chart-image" src="data:image/svg+xml;') == 5
    assert "%3Csvg" in main and "<script" not in main and "%3Cscript" not in main


def test_a_department_admin_sees_only_their_department(client, history, psb_admin):
    client.force_login(psb_admin)
    page = client.get(DASHBOARD + PERIOD).content.decode()
    assert "permit服务" in page
    assert "licence服务" not in page  # amr's service
    assert "mca审核" not in page  # another department's step in psb's service
    assert 'id="ranking"' not in page
    # Asking for another department is refused, not answered.
    response = client.get(DASHBOARD + PERIOD + "&department=amr")
    assert response.status_code == 400
    assert "licence服务" not in response.content.decode()


def test_a_department_admin_cannot_export_another_department_s_figures(client, history, psb_admin):
    client.force_login(psb_admin)
    response = client.get("/analytics/export/services.csv" + PERIOD)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row[1] for row in rows[1:]} == {"permit"}
    assert client.get("/analytics/export/services.csv" + PERIOD + "&department=amr").status_code == 400


@pytest.mark.parametrize("role", [StaffRole.REVIEWER, StaffRole.CLERK, StaffRole.AUDITOR])
def test_other_staff_are_refused(client, history, role):
    client.force_login(staff_of(None if role == StaffRole.AUDITOR else "psb", role))
    assert client.get(DASHBOARD).status_code == 403
    assert client.get("/analytics/export/steps.csv").status_code == 403


def test_citizens_are_refused_and_visitors_sent_to_sign_in(client, history):
    assert client.get(DASHBOARD).status_code == 302
    client.force_login(CitizenFactory())
    assert client.get(DASHBOARD).status_code == 403


def test_the_htmx_filter_returns_the_figures_only(client, history, leader):
    client.force_login(leader)
    response = client.get(DASHBOARD + PERIOD + "&service=licence", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('<div id="dashboard">') or page.lstrip().startswith('<div id="dashboard">')
    assert "<html" not in page
    assert "licence服务" in page and "permit服务" not in page.split('id="by-service"')[1]


def test_a_wrong_period_is_explained_in_chinese_and_english(client, history, leader):
    client.force_login(leader)
    response = client.get(DASHBOARD + "?month_from=2026-11&month_to=2026-01")
    assert response.status_code == 400
    assert "结束月份不能早于开始月份" in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.get(DASHBOARD + "?month_from=2026-13", HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter a month as year and month" in response.content.decode()


def test_the_steps_csv_marks_the_slowest_step(client, history, leader):
    client.force_login(leader)
    response = client.get("/analytics/export/steps.csv" + PERIOD + "&service=permit")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == "mca审核" and rows[1][5] == "5" and rows[1][6]
    assert rows[2][1] == "psb审核" and rows[2][6] == ""


def test_csv_cells_never_start_a_formula(client, history, leader):
    history.permit.name_zh = '=HYPERLINK("http://x")'
    history.permit.save()
    client.force_login(leader)
    content = client.get("/analytics/export/services.csv" + PERIOD).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in content


def test_the_dashboard_s_queries_do_not_grow_with_the_cases(
    client, history, leader, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.casework.helpers import decide, open_steps
    from tests.factories import make_service

    client.force_login(leader)
    with CaptureQueriesContext(connection) as before:
        client.get(DASHBOARD + PERIOD)
    # More of everything: a new service of a new department, with decided steps and
    # ratings in new months, and more open cases.
    other = make_service(code="grant", stages=[["hrss"], ["housing"]], promised_days=4)
    citizen = CitizenFactory()
    for day, decided in (("2026-09-14", "2026-09-15"), ("2026-10-12", "2026-10-14"), ("2026-11-18", "2026-11-19")):
        with at(day):
            application = submit(citizen, other, django_capture_on_commit_callbacks)
            submit(citizen, history.licence, django_capture_on_commit_callbacks)
        with at(decided):
            for _ in range(2):
                decide(open_steps(application)[0], "approve", django_capture_on_commit_callbacks)
    with at("2026-11-26", "09:00"):
        actions.summary_refresh()
    with CaptureQueriesContext(connection) as after:
        page = client.get(DASHBOARD + PERIOD).content.decode()
    assert "grant服务" in page and "hrss审核" in page
    assert len(after) == len(before)
    with django_assert_max_num_queries(16):
        client.get(DASHBOARD + PERIOD)


def test_a_far_away_month_is_refused_not_an_error(client, history, leader):
    client.force_login(leader)
    response = client.get(DASHBOARD + "?month_from=9999-12&month_to=9999-12")
    assert response.status_code == 400
    assert client.get("/analytics/export/services.csv?month_from=1900-01").status_code == 400


def test_csv_cells_that_start_with_a_tab_are_written_as_text(client, history, leader):
    history.permit.name_zh = "\t=1+1"
    history.permit.save()
    client.force_login(leader)
    content = client.get("/analytics/export/services.csv" + PERIOD).content.decode("utf-8-sig")
    assert "'\t=1+1" in content


@pytest.mark.parametrize(
    ("role", "workbench", "statistics", "audit"),
    [
        (StaffRole.REVIEWER, True, False, False),
        (StaffRole.DEPARTMENT_ADMIN, True, True, False),
        (StaffRole.LEADER, False, True, False),
        (StaffRole.AUDITOR, False, False, True),
    ],
)
def test_the_header_links_each_role_to_its_pages(client, history, role, workbench, statistics, audit):
    department = None if role in (StaffRole.LEADER, StaffRole.AUDITOR) else "psb"
    client.force_login(staff_of(department, role))
    header = client.get("/").content.decode().split("</header>")[0]
    assert ('href="/workbench/"' in header) is workbench
    assert ('href="/analytics/"' in header) is statistics
    assert ('href="/audit/data-access/"' in header) is audit


def test_a_leader_who_also_reviews_keeps_the_workbench(client, history):
    user = staff_of(None, StaffRole.LEADER)
    Membership.objects.create(user=user, department=Department.objects.get(code="psb"), role=StaffRole.REVIEWER)
    client.force_login(user)
    header = client.get("/").content.decode().split("</header>")[0]
    assert 'href="/workbench/"' in header and 'href="/analytics/"' in header


# Public statistics ------------------------------------------------------------------------


def month_row(service, month, received, decided, on_time):
    return ServiceMonth.objects.create(
        month=month,
        service=service,
        department=service.lead_department,
        received=received,
        decided=decided,
        on_time=on_time,
    )


def test_public_statistics_never_show_a_count_under_five(client, history):
    ServiceMonth.objects.all().delete()
    month_row(history.permit, date(2026, 10, 1), received=4, decided=12, on_time=10)  # 2 late: no rate
    month_row(history.permit, date(2026, 11, 1), received=5, decided=20, on_time=20)  # none late: 100%
    month_row(history.licence, date(2026, 11, 1), received=30, decided=3, on_time=3)
    month_row(history.licence, date(2026, 10, 1), received=9, decided=10, on_time=5)
    body = client.get("/api/v1/open-data/statistics/?month_from=2026-10&month_to=2026-11").json()
    cells = {(r["service"], r["month"]): (r["received"], r["decided"], r["on_time_rate"]) for r in body["results"]}
    assert cells == {
        ("licence", "2026-10"): (9, 10, 50.0),
        ("licence", "2026-11"): (30, None, None),
        ("permit", "2026-10"): (None, 12, None),
        ("permit", "2026-11"): (5, 20, 100.0),
    }
    assert body["smallest_published_count"] == 5
    page = client.get("/open-data/?month_from=2026-10&month_to=2026-11").content.decode()
    table = page.split('id="open-data"', 1)[1]
    assert "少于5" in table
    for small in (">4</td>", ">3</td>"):
        assert small not in table
    assert ">12</td>" in table and ">9</td>" in table  # the published counts are there


def test_public_statistics_leave_out_unpublished_services(client, history):
    history.licence.is_published = False
    history.licence.save()
    body = client.get("/api/v1/open-data/statistics/?month_from=2026-09&month_to=2026-11").json()
    assert {r["service"] for r in body["results"]} == {"permit"}


def test_public_statistics_explain_bad_input(client, history):
    response = client.get("/api/v1/open-data/statistics/?month_from=2026/10&service=no%20such")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"month_from", "service"}
    assert client.get("/api/v1/open-data/statistics/?service=nope").status_code == 404
    assert client.get("/api/v1/open-data/statistics/?service=%00").status_code == 400
    assert client.get("/api/v1/open-data/statistics/?month_to=9999-01").status_code == 400
    assert client.get("/open-data/?month_to=abc").status_code == 400


def test_public_statistics_are_open_to_everyone_in_few_queries(client, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert client.get("/open-data/?month_from=2026-09&month_to=2026-11").status_code == 200


def test_the_leader_role_needs_no_department():
    user = get_user_model().objects.create(username="mayor", kind="staff")
    Membership.objects.create(user=user, role=StaffRole.LEADER)
    assert user.sees_statistics and user.is_leader


def test_the_form_shows_the_default_period(client, history, leader):
    from django.utils import timezone

    from services.analytics.actions import months_back

    this_month = timezone.localdate().replace(day=1)
    client.force_login(leader)
    for url in (DASHBOARD, "/open-data/"):
        page = client.get(url).content.decode()
        assert f'name="month_to" value="{this_month:%Y-%m}"' in page
        assert f'name="month_from" value="{months_back(this_month, 11):%Y-%m}"' in page
