"""Follow-ups of bad ratings on the workbench: who may reply and how often, the list (its
order, overdue marks, query counts), the follow-up page (plain and htmx) and the API."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services.accounts.constants import StaffRole
from services.casework import ratings
from services.casework.models import FollowUp
from services.catalog.models import Service
from services.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.notifications.constants import NotificationKind
from services.notifications.models import Notification
from tests.casework.helpers import decide, open_steps, submit
from tests.factories import CitizenFactory, StaffFactory, make_service, staff_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ordinary_working_day", "english_clients")]

LIST = "/workbench/follow-ups/"
API_LIST = "/api/v1/follow-ups/"


@pytest.fixture(autouse=True)
def five_working_days_to_reply(settings):
    """Follow-ups opened today (Wednesday 10 June 2026, ordinary_working_day) are due on
    Wednesday 17 June."""
    settings.FOLLOW_UP_WORKING_DAYS = 5


@pytest.fixture
def service():
    """A licence of public security (this module's own, not the shared birth registration)."""
    return make_service(code="licence", stages=[["psb"]])


@pytest.fixture
def clerk(service):
    return staff_of("psb", StaffRole.CLERK)


@pytest.fixture
def stranger():
    """A reviewer of civil affairs, a department with a service and follow-ups of its own
    (unlike the shared `outsider`, whose department has none)."""
    make_service(code="other", stages=[["mca"]])
    return staff_of("mca", StaffRole.REVIEWER)


def bad_rating(service, capture, *, score=1, tags=("slow", "repeat"), comment="材料要了两次"):
    citizen = CitizenFactory()
    application = submit(citizen, service, capture)
    for step in open_steps(application):
        decide(step, "approve", capture)
    ratings.application_rate(
        application_id=application.pk, citizen=citizen, score=score, tags=list(tags), comment=comment
    )
    return FollowUp.objects.select_related("rating__application").get(rating__application=application)


@pytest.fixture
def follow_up(service, django_capture_on_commit_callbacks):
    return bad_rating(service, django_capture_on_commit_callbacks)


def detail_url(follow_up) -> str:
    return f"/workbench/follow-ups/{follow_up.pk}/"


def reply_url(follow_up) -> str:
    return f"/workbench/follow-ups/{follow_up.pk}/reply/"


# The rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [StaffRole.CLERK, StaffRole.REVIEWER, StaffRole.DEPARTMENT_ADMIN])
def test_any_staff_member_of_the_department_replies_once(follow_up, role):
    member = staff_of("psb", role)
    replied = ratings.follow_up_reply(follow_up_id=follow_up.pk, user=member, reply="  抱歉，已改进。 ")
    assert (replied.reply, replied.replied_by, replied.replied_at is not None) == ("抱歉，已改进。", member, True)
    citizen = follow_up.rating.application.citizen
    notification = Notification.objects.get(kind=NotificationKind.FOLLOW_UP_REPLIED)
    assert notification.recipient == citizen
    assert notification.params == {"reference": follow_up.rating.application.reference}
    with pytest.raises(Conflict) as refused:
        ratings.follow_up_reply(follow_up_id=follow_up.pk, user=staff_of("psb", StaffRole.CLERK), reply="再说一次")
    assert refused.value.code == "already_replied" and str(member) in refused.value.message
    follow_up.refresh_from_db()
    assert follow_up.reply == "抱歉，已改进。"


@pytest.mark.parametrize("reply", ["", "   ", None])
def test_a_reply_is_required(follow_up, clerk, reply):
    with pytest.raises(InvalidInput) as refused:
        ratings.follow_up_reply(follow_up_id=follow_up.pk, user=clerk, reply=reply)
    assert list(refused.value.errors) == ["reply"]
    follow_up.refresh_from_db()
    assert follow_up.replied_at is None


def test_a_reply_is_not_endless(follow_up, clerk):
    with pytest.raises(InvalidInput):
        ratings.follow_up_reply(follow_up_id=follow_up.pk, user=clerk, reply="长" * (ratings.REPLY_MAX + 1))


def test_staff_of_another_department_or_a_citizen_cannot_reply(follow_up, stranger):
    with pytest.raises(NotFound):
        ratings.follow_up_reply(follow_up_id=follow_up.pk, user=stranger, reply="不是我们")
    with pytest.raises(Forbidden):
        ratings.follow_up_reply(follow_up_id=follow_up.pk, user=follow_up.rating.application.citizen, reply="我自己")
    auditor = StaffFactory(membership__role=StaffRole.AUDITOR)
    with pytest.raises(NotFound):
        ratings.follow_up_reply(follow_up_id=follow_up.pk, user=auditor, reply="审计")
    follow_up.refresh_from_db()
    assert follow_up.replied_at is None


# The list ---------------------------------------------------------------------------------


def test_the_list_shows_open_follow_ups_of_my_departments_oldest_due_first(
    client, service, clerk, stranger, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    later = bad_rating(service, capture)
    with time_machine.travel("2026-06-01 10:00 +08:00"):
        earlier = bad_rating(service, capture, score=2)
    answered = bad_rating(service, capture)
    ratings.follow_up_reply(follow_up_id=answered.pk, user=clerk, reply="已答复")
    elsewhere = bad_rating(Service.objects.get(code="other"), capture)
    client.force_login(clerk)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    references = [f.rating.application.reference for f in (earlier, later, answered, elsewhere)]
    assert html.index(references[0]) < html.index(references[1])
    assert references[2] not in html and references[3] not in html
    # Opened on Monday 1 June, due Monday 8 June: overdue on 10 June. The other is not.
    row_earlier = html[html.index(references[0]) : html.index(references[1])]
    assert "2026-06-08 · Overdue" in row_earlier and "badge-overdue" in row_earlier
    row_later = html[html.index(references[1]) :]
    assert "2026-06-17" in row_later and "Overdue" not in row_later.split("</tr>")[0]
    assert "Dissatisfied (2 of 5)" in row_earlier


def test_the_workbench_links_to_the_follow_ups(client, clerk):
    client.force_login(clerk)
    assert f'href="{LIST}"' in client.get("/workbench/").content.decode()


def test_an_empty_list_says_so(client, stranger):
    client.force_login(stranger)
    assert "No follow-up is waiting for a reply." in client.get(LIST).content.decode()


def test_citizens_may_not_see_the_list_or_a_follow_up(client, follow_up):
    client.force_login(follow_up.rating.application.citizen)
    assert client.get(LIST).status_code == 403
    assert client.get(detail_url(follow_up)).status_code == 403
    assert client.post(reply_url(follow_up), {"reply": "x"}).status_code == 403


def test_the_list_costs_the_same_number_of_queries_for_one_or_many(
    client, service, clerk, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    bad_rating(service, django_capture_on_commit_callbacks)
    client.force_login(clerk)
    client.get(LIST)  # warm up: session and translations
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(4):
        bad_rating(service, django_capture_on_commit_callbacks)
    # Session, user, the header's unread notifications, the follow-ups (departments in a subquery).
    with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as five:
        html = client.get(LIST).content.decode()
    assert html.count('href="/workbench/follow-ups/') == 5
    assert len(five) == len(one)


def test_the_api_list_costs_the_same_number_of_queries_for_one_or_many(
    api_client, service, clerk, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    bad_rating(service, django_capture_on_commit_callbacks)
    api_client.force_authenticate(clerk)
    with CaptureQueriesContext(connection) as one:
        api_client.get(API_LIST)
    for _ in range(4):
        bad_rating(service, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(3), CaptureQueriesContext(connection) as five:
        assert api_client.get(API_LIST).json()["count"] == 5
    assert len(five) == len(one)


# One follow-up ----------------------------------------------------------------------------


def test_the_follow_up_page_shows_the_rating_and_a_reply_form(client, follow_up, clerk):
    client.force_login(clerk)
    response = client.get(detail_url(follow_up))
    assert response.status_code == 200
    html = response.content.decode()
    application = follow_up.rating.application
    assert application.reference in html and "licence service" in html
    assert "Very dissatisfied (1 of 5)" in html
    assert "Too slow" in html and "Asked for the same thing again" in html
    assert "材料要了两次" in html and "2026-06-17" in html
    assert f'action="{reply_url(follow_up)}"' in html and f'hx-post="{reply_url(follow_up)}"' in html
    assert '<label for="reply">' in html and '<textarea id="reply" name="reply"' in html


def test_another_department_gets_not_found(client, api_client, follow_up, stranger):
    client.force_login(stranger)
    assert client.get(detail_url(follow_up)).status_code == 404
    assert client.post(reply_url(follow_up), {"reply": "x"}).status_code == 404
    api_client.force_authenticate(stranger)
    assert api_client.get(API_LIST).json()["results"] == []
    assert api_client.post(f"{API_LIST}{follow_up.pk}/reply/", {"reply": "x"}, format="json").status_code == 404
    assert api_client.post(f"{API_LIST}{follow_up.pk}/reply/", {}, format="json").status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.replied_at is None


def test_reply_with_a_plain_form(client, follow_up, clerk):
    client.force_login(clerk)
    response = client.post(reply_url(follow_up), {"reply": "抱歉，已整改。"})
    assert response.status_code == 302 and response["Location"] == detail_url(follow_up)
    html = client.get(detail_url(follow_up)).content.decode()
    assert "Your reply was sent to the applicant." in html and "抱歉，已整改。" in html
    assert 'name="reply"' not in html
    assert follow_up.rating.application.reference not in client.get(LIST).content.decode()


def test_an_empty_reply_with_a_plain_form_shows_the_page_with_the_error(client, follow_up, clerk):
    client.force_login(clerk)
    response = client.post(reply_url(follow_up), {"reply": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" in html and 'class="error-summary"' in html and "Write the reply to the applicant." in html


def test_reply_with_htmx_returns_only_the_reply_panel(client, follow_up, clerk):
    client.force_login(clerk)
    refused = client.post(reply_url(follow_up), {"reply": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "<html" not in html and html.startswith('<section id="follow-up-reply"')
    assert "Write the reply to the applicant." in html
    done = client.post(reply_url(follow_up), {"reply": "已回访"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    html = done.content.decode()
    assert "<html" not in html and html.startswith('<section id="follow-up-reply"')
    assert "Your reply was sent to the applicant." in html and "已回访" in html
    again = client.post(reply_url(follow_up), {"reply": "再来"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "already answered" in again.content.decode()


# The API ----------------------------------------------------------------------------------


def test_api_lists_and_replies(api_client, follow_up, clerk):
    api_client.force_authenticate(clerk)
    body = api_client.get(API_LIST).json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["id"] == follow_up.pk
    assert item["reference"] == follow_up.rating.application.reference
    assert (item["service"], item["department"], item["score"]) == ("licence", "psb", 1)
    assert item["tags"] == ["slow", "repeat"] and item["comment"] == "材料要了两次"
    assert (item["due_date"], item["overdue"], item["replied_at"]) == ("2026-06-17", False, None)
    response = api_client.post(f"{API_LIST}{follow_up.pk}/reply/", {"reply": "已整改"}, format="json")
    assert response.status_code == 200
    assert response.json()["reply"] == "已整改" and response.json()["replied_by"] == clerk.username
    again = api_client.post(f"{API_LIST}{follow_up.pk}/reply/", {"reply": "again"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_replied")
    assert api_client.get(API_LIST).json()["results"] == []


def test_api_marks_overdue_follow_ups(api_client, follow_up, clerk):
    api_client.force_authenticate(clerk)
    with time_machine.travel("2026-06-18 10:00 +08:00"):
        assert api_client.get(API_LIST).json()["results"][0]["overdue"] is True


def test_api_refuses_an_empty_reply_and_citizens(api_client, follow_up, clerk):
    api_client.force_authenticate(clerk)
    empty = api_client.post(f"{API_LIST}{follow_up.pk}/reply/", {"reply": ""}, format="json")
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid_input")
    assert "reply" in empty.json()["errors"]
    api_client.force_authenticate(follow_up.rating.application.citizen)
    assert api_client.get(API_LIST).status_code == 403
    assert api_client.post(f"{API_LIST}{follow_up.pk}/reply/", {"reply": "x"}, format="json").status_code == 403
