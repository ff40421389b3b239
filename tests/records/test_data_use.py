"""Who used my data: the citizen sees every staff read of their data, and nothing of anyone
else's; the auditor sees all of it; nobody changes it."""

import pytest

from services.accounts.constants import StaffRole
from services.casework import personal_data
from services.core.models import AppendOnlyError
from services.records.models import DataAccess
from tests.casework.helpers import open_steps, reviewer_of, submit
from tests.factories import CitizenFactory, StaffFactory, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(django_capture_on_commit_callbacks):
    service = make_service(stages=[["psb"]])
    mine, theirs = CitizenFactory(), CitizenFactory()
    a = submit(mine, service, django_capture_on_commit_callbacks)
    b = submit(theirs, service, django_capture_on_commit_callbacks)
    reviewer = reviewer_of("psb")
    step = open_steps(a)[0]
    personal_data.case_access_record(step=step, user=reviewer)
    personal_data.case_data_reveal(step_id=step.pk, user=reviewer, field="id_number", reason="核对户籍信息")
    personal_data.case_access_record(step=open_steps(b)[0], user=reviewer)
    return mine, theirs, a, b


def test_the_citizen_sees_every_read_of_their_data_and_nothing_else(client, two_cases):
    mine, _theirs, a, b = two_cases
    client.force_login(mine)
    html = client.get("/my/data-use/").content.decode()
    assert html.count('class="card"') == 2
    assert "核对户籍信息" in html and a.reference in html
    assert b.reference not in html


def test_only_auditors_see_the_whole_log(client, two_cases):
    _mine, _theirs, a, b = two_cases
    client.force_login(reviewer_of("psb"))
    assert client.get("/audit/data-access/").status_code == 403
    client.force_login(CitizenFactory())
    assert client.get("/audit/data-access/").status_code == 403
    client.force_login(StaffFactory(membership__role=StaffRole.AUDITOR))
    html = client.get("/audit/data-access/").content.decode()
    assert a.reference in html and b.reference in html
    assert b.reference not in client.get(f"/audit/data-access/?reference={a.reference}").content.decode()


def test_the_auditor_pages_through_the_log_by_key(client, two_cases, monkeypatch):
    from services.records import views

    monkeypatch.setattr(views, "PAGE", 2)
    client.force_login(StaffFactory(membership__role=StaffRole.AUDITOR))
    first = client.get("/audit/data-access/")
    assert "before=" in first.content.decode()
    oldest = DataAccess.objects.order_by("pk").first()
    second = client.get(f"/audit/data-access/?before={oldest.pk + 1}").content.decode()
    assert second.count("<tr><td>") == 1


def test_nobody_can_change_the_log(two_cases):
    entry = DataAccess.objects.first()
    entry.purpose = "别的理由"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_the_database_itself_refuses_to_change_the_log_and_the_history(two_cases):
    from django.db import DatabaseError, connection, transaction

    statements = [
        "UPDATE records_dataaccess SET purpose = 'changed'",
        "UPDATE applications_caseevent SET note = 'changed'",
    ]
    if connection.vendor == "postgresql":
        statements += ["DELETE FROM records_dataaccess", "DELETE FROM applications_caseevent"]
    for statement in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert DataAccess.objects.filter(purpose="changed").count() == 0
