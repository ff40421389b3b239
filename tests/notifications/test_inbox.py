"""The inbox page, the header's unread count and the API: each person sees only their own
notifications, opening one reads it, "mark all read" works with and without htmx, and the
page's query count does not grow with the number of notifications."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from services.notifications.actions import notify
from services.notifications.constants import NotificationKind
from services.notifications.models import Channel, Delivery, DeliveryStatus, Notification
from tests.factories import CitizenFactory, StaffFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

INBOX = "/inbox/"
READ_ALL = "/inbox/read/"
API = "/api/v1/notifications/"
API_READ = "/api/v1/notifications/read/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def decided(user, reference="20261126-0001", link=None) -> Notification:
    notify(
        recipients=[user],
        kind=NotificationKind.CASE_DECIDED,
        params={"reference": reference},
        link=f"/my/applications/{reference}/" if link is None else link,
    )
    return Notification.objects.filter(recipient=user).order_by("-pk").first()


@pytest.fixture
def citizen(client):
    user = CitizenFactory(email="wang@example.cn")
    client.force_login(user)
    return user


def test_the_inbox_needs_a_signed_in_user(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    assert client.post(READ_ALL).status_code == 302
    assert Notification.objects.count() == 0


def test_the_inbox_lists_only_the_users_own_notifications_newest_first(client, citizen):
    decided(citizen, "20261126-0001")
    decided(citizen, "20261126-0002")
    decided(CitizenFactory(), "20261126-0999")

    page = client.get(INBOX, **EN).content.decode()
    assert "20261126-0999" not in page
    assert page.index("20261126-0002") < page.index("20261126-0001")
    assert "Your application 20261126-0002 was decided." in page
    assert page.count('class="badge badge-unread"') == 2
    own = Notification.objects.filter(recipient=citizen).values_list("pk", flat=True)
    for pk in own:
        assert f'href="/inbox/{pk}/"' in page


def test_the_inbox_is_in_chinese_by_default(client, citizen):
    decided(citizen, "20261126-0003")
    page = client.get(INBOX).content.decode()
    assert "您的办件20261126-0003已办结。" in page


def test_the_inbox_tells_what_happened_to_each_email_and_text_message(client, citizen):
    notification = decided(citizen)
    Delivery.objects.filter(notification=notification, channel=Channel.SMS).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now()
    )
    Delivery.objects.filter(notification=notification, channel=Channel.EMAIL).update(status=DeliveryStatus.FAILED)
    page = client.get(INBOX, **EN).content.decode()
    assert "Text message sent" in page
    assert "Email could not be sent" in page


def test_the_inbox_is_empty_for_a_new_user(client, citizen):
    assert "You have no notifications." in client.get(INBOX, **EN).content.decode()


def test_opening_a_notification_reads_it_and_goes_to_its_link(client, citizen):
    notification = decided(citizen, "20261126-0004")
    response = client.get(f"/inbox/{notification.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/my/applications/20261126-0004/"
    notification.refresh_from_db()
    first_read = notification.read_at
    assert first_read is not None
    client.get(f"/inbox/{notification.pk}/")  # again: still read, at the first time
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_another_users_notification_is_not_found_and_stays_unread(client, citizen):
    theirs = decided(CitizenFactory(), "20261126-0005")
    assert client.get(f"/inbox/{theirs.pk}/").status_code == 404
    assert client.get("/inbox/999999/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_notification_without_a_link_or_with_an_outside_one_goes_back_to_the_inbox(client, citizen):
    no_link = decided(citizen, link="")
    outside = decided(citizen, link="https://evil.example/phish")
    assert client.get(f"/inbox/{no_link.pk}/")["Location"] == INBOX
    assert client.get(f"/inbox/{outside.pk}/")["Location"] == INBOX


def test_mark_all_read_is_a_post_form_that_works_without_javascript(client, citizen):
    decided(citizen, "20261126-0001")
    decided(citizen, "20261126-0002")
    theirs = decided(CitizenFactory())

    page = client.get(INBOX).content.decode()
    assert f'action="{READ_ALL}"' in page and 'method="post"' in page
    assert client.get(READ_ALL).status_code == 405

    response = client.post(READ_ALL, **EN)
    assert response.status_code == 302 and response["Location"] == INBOX
    assert not Notification.objects.filter(recipient=citizen, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    page = client.get(INBOX, **EN).content.decode()
    assert "All notifications are marked as read." in page
    assert "badge-unread" not in page
    assert f'action="{READ_ALL}"' not in page  # nothing left to mark


def test_mark_all_read_with_htmx_answers_the_list_and_the_header_count(client, citizen):
    decided(citizen)
    response = client.post(READ_ALL, HTTP_HX_REQUEST="true", **EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<section id="inbox">' in body
    assert "<html" not in body
    assert 'id="inbox-link"' in body and 'hx-swap-oob="true"' in body
    assert "badge-count" not in body
    assert not Notification.objects.filter(recipient=citizen, read_at__isnull=True).exists()


def test_the_header_shows_the_unread_count_on_every_page(client, citizen):
    for n in range(3):
        decided(citizen, f"20261126-000{n}")
    decided(CitizenFactory())  # someone else's does not count

    page = client.get("/", **EN).content.decode()
    assert '<a id="inbox-link" href="/inbox/">Inbox <span class="badge badge-count" aria-hidden="true">3</span>' in page
    assert "(3 unread)" in page

    client.get(f"/inbox/{Notification.objects.filter(recipient=citizen).first().pk}/")
    assert '<span class="badge badge-count" aria-hidden="true">2</span>' in client.get("/").content.decode()

    client.post(READ_ALL)
    page = client.get("/", **EN).content.decode()
    assert 'href="/inbox/">Inbox</a>' in page
    assert "badge-count" not in page


def test_staff_have_an_inbox_too(client):
    staff = StaffFactory()
    client.force_login(staff)
    notify(recipients=[staff], kind=NotificationKind.STEP_ASSIGNED, params={"reference": "R1", "step": "审核"})
    page = client.get(INBOX, **EN).content.decode()
    assert "Case R1, step “审核”, was assigned to you." in page
    assert 'aria-hidden="true">1</span>' in page


def test_visitors_have_no_inbox_link_and_no_count_query(client, rf, django_assert_max_num_queries):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    assert 'id="inbox-link"' not in client.get("/accounts/signin/").content.decode()
    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_max_num_queries(0):
        rendered = Template("{% load inbox %}{% inbox_unread_count %}").render(Context({"request": request}))
    assert rendered == "0"


def test_the_inbox_page_query_count_is_bounded_and_does_not_grow(client, citizen, django_assert_max_num_queries):
    for n in range(3):
        decided(citizen, f"20261126-{n:04d}")
    few = count_queries(client, INBOX)
    for n in range(3, 40):
        decided(citizen, f"20261126-{n:04d}")
    many = count_queries(client, INBOX)
    assert many == few
    # session, user, page count, page, deliveries of the page, unread count
    with django_assert_max_num_queries(6):
        client.get(INBOX)
    with django_assert_max_num_queries(6):
        client.get(f"{INBOX}?page=2")


def test_the_inbox_pages_older_notifications(client, citizen):
    for n in range(35):
        decided(citizen, f"20261126-{n:04d}")
    first = client.get(INBOX, **EN).content.decode()
    assert "20261126-0034" in first and "20261126-0000" not in first
    assert 'href="?page=2"' in first
    second = client.get(f"{INBOX}?page=2", **EN).content.decode()
    assert "20261126-0000" in second and "20261126-0034" not in second


# The API --------------------------------------------------------------------------------


def test_the_api_lists_the_users_own_notifications_paginated(api_client):
    citizen = CitizenFactory(email="wang@example.cn")
    mine = decided(citizen, "20261126-0001")
    decided(citizen, "20261126-0002")
    decided(CitizenFactory(), "20261126-0999")
    Delivery.objects.filter(notification=mine, channel=Channel.SMS).update(status=DeliveryStatus.SENT)
    api_client.force_authenticate(user=citizen)

    response = api_client.get(API, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2 and "next" in data
    first, second = data["results"]
    assert first["text"] == "Your application 20261126-0002 was decided."
    assert second["id"] == mine.pk
    assert second["link"] == "/my/applications/20261126-0001/"
    assert second["read_at"] is None
    assert {(d["channel"], d["status"], d["status_display"]) for d in second["deliveries"]} == {
        ("email", "pending", "Email waiting to be sent"),
        ("sms", "sent", "Text message sent"),
    }

    chinese = api_client.get(API).json()
    assert chinese["results"][0]["text"] == "您的办件20261126-0002已办结。"


def test_the_api_pages_by_number(api_client):
    citizen = CitizenFactory()
    for n in range(55):
        decided(citizen, f"20261126-{n:04d}")
    api_client.force_authenticate(user=citizen)
    first = api_client.get(API).json()
    assert first["count"] == 55 and len(first["results"]) == 50 and first["next"]
    assert len(api_client.get(first["next"]).json()["results"]) == 5


def test_the_api_marks_all_read(api_client):
    citizen = CitizenFactory()
    decided(citizen)
    decided(citizen)
    theirs = decided(CitizenFactory())
    api_client.force_authenticate(user=citizen)

    response = api_client.post(API_READ)
    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert api_client.post(API_READ).json() == {"marked": 0}
    assert all(n["read_at"] for n in api_client.get(API).json()["results"])
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_needs_a_signed_in_user(api_client):
    assert api_client.get(API).status_code in (401, 403)
    assert api_client.post(API_READ).status_code in (401, 403)


def test_the_api_query_count_does_not_grow(api_client):
    citizen = CitizenFactory(email="wang@example.cn")
    api_client.force_authenticate(user=citizen)
    decided(citizen)
    with CaptureQueriesContext(connection) as few:
        api_client.get(API)
    for n in range(20):
        decided(citizen, f"20261126-{n:04d}")
    with CaptureQueriesContext(connection) as many:
        api_client.get(API)
    assert len(many) == len(few)
