"""Ratings of finished cases (好差评): who may rate what and how often, the follow-up a bad
rating opens (the right department, a due date in working days), the rating panel on the
case page (plain and htmx) and the rating API."""

import re
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from services.accounts.constants import StaffRole
from services.accounts.models import Department
from services.casework import ratings
from services.casework.citizen import case_withdraw
from services.casework.constants import ApplicationStatus, EventKind, RatingTag
from services.casework.history import event_record
from services.casework.models import CaseEvent, FollowUp, Rating
from services.catalog.models import Stage
from services.core.errors import Conflict, InvalidInput, NotFound, PortalError
from services.notifications.constants import NotificationKind
from services.notifications.models import Notification
from tests.casework.helpers import decide, open_steps, submit
from tests.factories import CitizenFactory, DepartmentFactory, make_service, staff_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ordinary_working_day", "english_clients")]

CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def finish(application, capture, *, reject: bool = False):
    """Decide every open step until the case ends: approve all, or reject the first."""
    while steps := open_steps(application):
        if reject:
            decide(steps[0], "reject", capture, reason="材料不符合要求")
        else:
            for step in steps:
                decide(step, "approve", capture)
        application.refresh_from_db()
    return application


@pytest.fixture
def two_stages():
    """Public security first, then civil affairs: civil affairs decides last."""
    return make_service(code="two-stages", stages=[["psb"], ["mca"]])


@pytest.fixture
def completed(two_stages, citizen, django_capture_on_commit_callbacks):
    application = finish(
        submit(citizen, two_stages, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks
    )
    assert application.status == ApplicationStatus.APPROVED
    return application


def rate(application, citizen, score=5, tags=(), comment=""):
    return ratings.application_rate(
        application_id=application.pk, citizen=citizen, score=score, tags=list(tags), comment=comment
    )


# The rules -----------------------------------------------------------------------------


def test_the_owner_rates_a_completed_case_once_with_tags_and_a_comment(completed, citizen):
    rating = rate(completed, citizen, score=4, tags=["fast", "clear", "fast"], comment="  办得很快  ")
    assert (rating.score, rating.tags, rating.comment) == (4, ["fast", "clear"], "办得很快")
    event = CaseEvent.objects.filter(application=completed).last()
    assert (event.kind, event.actor) == (EventKind.RATED, citizen)
    with translation.override("en"), pytest.raises(Conflict) as refused:
        rate(completed, citizen, score=1)
    assert "already rated" in refused.value.message
    assert refused.value.code == "already_rated"
    assert Rating.objects.get(application=completed).score == 4


def test_a_rating_made_at_the_same_moment_is_a_conflict(completed, citizen, monkeypatch):
    """The database's one-rating-per-case constraint has the last word: a rating that slips
    past the check (a second request at the same moment) is refused the same way."""
    Rating.objects.create(application=completed, score=5)
    monkeypatch.setattr(Rating.objects, "filter", lambda **kwargs: Rating.objects.none())
    with pytest.raises(Conflict) as refused:
        rate(completed, citizen, score=1)
    assert refused.value.code == "already_rated"
    monkeypatch.undo()
    assert Rating.objects.get().score == 5
    assert not FollowUp.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.RATED).exists()


def test_a_rejected_case_can_be_rated_too(two_stages, citizen, django_capture_on_commit_callbacks):
    application = submit(citizen, two_stages, django_capture_on_commit_callbacks)
    finish(application, django_capture_on_commit_callbacks, reject=True)
    assert application.status == ApplicationStatus.REJECTED
    assert rate(application, citizen, score=3).score == 3


def test_only_the_owner_may_rate(completed):
    with pytest.raises(NotFound):
        rate(completed, CitizenFactory())
    with pytest.raises(NotFound):
        rate(completed, staff_of("mca"))
    assert not Rating.objects.exists()


def test_a_running_or_withdrawn_case_cannot_be_rated(two_stages, citizen, django_capture_on_commit_callbacks):
    running = submit(citizen, two_stages, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as refused:
        rate(running, citizen)
    assert refused.value.code == "not_finished"
    withdrawn = submit(citizen, two_stages, django_capture_on_commit_callbacks)
    case_withdraw(application_id=withdrawn.pk, citizen=citizen)
    with pytest.raises(Conflict):
        rate(withdrawn, citizen)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, -1, None, "", "five", 2.5, True, "3.0"])
def test_the_score_is_one_of_five_levels(completed, citizen, score):
    with pytest.raises(InvalidInput) as refused:
        rate(completed, citizen, score=score)
    assert list(refused.value.errors) == ["score"]
    assert not Rating.objects.exists()


def test_a_score_sent_as_digits_is_taken(completed, citizen):
    assert rate(completed, citizen, score="2").score == 2


def test_tags_come_from_the_list(completed, citizen):
    with pytest.raises(PortalError) as refused:
        rate(completed, citizen, tags=["fast", "rude"])
    assert "rude" in refused.value.message
    assert list(refused.value.errors) == ["tags"]
    rating = rate(completed, citizen, tags=list(RatingTag.values))
    assert rating.tags == list(RatingTag.values)


@pytest.mark.parametrize("tags", ["fast", 3, [1], {"fast": True}])
def test_tags_are_a_list_of_names(completed, citizen, tags):
    with pytest.raises(InvalidInput) as refused:
        ratings.application_rate(application_id=completed.pk, citizen=citizen, score=4, tags=tags, comment="")
    assert list(refused.value.errors) == ["tags"]


def test_the_comment_has_at_most_a_thousand_characters(completed, citizen):
    with pytest.raises(InvalidInput) as refused:
        rate(completed, citizen, comment="慢" * 1001)
    assert list(refused.value.errors) == ["comment"]
    assert rate(completed, citizen, comment="慢" * 1000).comment == "慢" * 1000


def test_every_problem_is_reported_at_once(completed, citizen):
    with pytest.raises(InvalidInput) as refused:
        rate(completed, citizen, score=9, tags=["nope"], comment="x" * 1001)
    assert set(refused.value.errors) == {"score", "tags", "comment"}


# Follow-ups ------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [3, 4, 5])
def test_a_good_rating_opens_no_follow_up(completed, citizen, score):
    staff_of("mca", StaffRole.DEPARTMENT_ADMIN)
    rate(completed, citizen, score=score)
    assert not FollowUp.objects.exists()
    assert not Notification.objects.filter(kind=NotificationKind.FOLLOW_UP_OPENED).exists()


@pytest.mark.parametrize("score", [1, 2])
def test_a_bad_rating_opens_a_follow_up_for_the_department_that_decided_last(completed, citizen, score, settings):
    settings.FOLLOW_UP_WORKING_DAYS = 5
    mca_admin, psb_admin = staff_of("mca", StaffRole.DEPARTMENT_ADMIN), staff_of("psb", StaffRole.DEPARTMENT_ADMIN)
    mca_clerk = staff_of("mca", StaffRole.CLERK)
    rating = rate(completed, citizen, score=score, tags=["slow"], comment="跑了三趟")
    follow_up = FollowUp.objects.get()
    assert follow_up.rating == rating
    assert follow_up.department.code == "mca"
    assert follow_up.due_date == date(2026, 6, 17)  # Wednesday 10 June + 5 working days
    assert follow_up.replied_at is None
    (notification,) = Notification.objects.filter(kind=NotificationKind.FOLLOW_UP_OPENED)
    assert notification.recipient == mca_admin
    assert notification.kind == NotificationKind.FOLLOW_UP_OPENED
    assert notification.params == {"reference": completed.reference, "score": score, "due": "2026-06-17"}
    assert notification.link == f"/workbench/follow-ups/{follow_up.pk}/"
    assert not Notification.objects.filter(recipient__in=[psb_admin, mca_clerk]).exists()


def test_the_due_date_counts_working_days_across_the_national_day_holiday(
    two_stages, citizen, settings, django_capture_on_commit_callbacks
):
    settings.FOLLOW_UP_WORKING_DAYS = 5
    with time_machine.travel("2026-09-30 10:00 +08:00", tick=False):
        application = finish(
            submit(citizen, two_stages, django_capture_on_commit_callbacks), django_capture_on_commit_callbacks
        )
        rate(application, citizen, score=1)
    # 1–7 October are off; Saturday 10 October is a make-up working day: 8, 9, 10, 12, 13.
    assert FollowUp.objects.get().due_date == date(2026, 10, 13)


def test_a_later_note_or_reveal_does_not_move_the_follow_up(completed, citizen):
    """The history has entries with a department after the decision (a note, a reveal of
    masked data): the follow-up still goes to the department that decided."""
    event_record(application=completed, kind=EventKind.NOTE_ADDED, department=Department.objects.get(code="psb"))
    rate(completed, citizen, score=1)
    assert FollowUp.objects.get().department.code == "mca"


def test_a_rejection_in_a_parallel_stage_goes_to_the_department_that_rejected(
    citizen, django_capture_on_commit_callbacks
):
    """The siblings' steps are closed after the rejection (with their own department in the
    history): the follow-up goes to the department that said no."""
    service = make_service(code="parallel", stages=[["psb", "mca"]])
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    psb_step = next(s for s in open_steps(application) if s.department.code == "psb")
    decide(psb_step, "reject", django_capture_on_commit_callbacks, reason="不符合条件")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert CaseEvent.objects.filter(application=application, kind=EventKind.STEP_CLOSED).exists()
    rate(application, citizen, score=2)
    assert FollowUp.objects.get().department.code == "psb"


def test_without_any_decision_the_follow_up_goes_to_the_lead_department(citizen, django_capture_on_commit_callbacks):
    """Every stage skipped: no department decided, the service's lead department answers."""
    service = make_service(code="skipped", stages=[["psb"]])
    service.lead_department = DepartmentFactory(code="gov")
    service.save(update_fields=["lead_department"])
    Stage.objects.filter(template__service=service).update(
        condition={"field": "full_name", "op": "equals", "value": "nobody"}
    )
    application = submit(citizen, service, django_capture_on_commit_callbacks)
    assert application.status == ApplicationStatus.APPROVED
    rate(application, citizen, score=1)
    assert FollowUp.objects.get().department.code == "gov"


# The case page ----------------------------------------------------------------------------


def page_of(application) -> str:
    return f"/my/applications/{application.reference}/"


def rating_url(application) -> str:
    return f"/my/applications/{application.reference}/rating/"


def test_a_finished_case_shows_an_accessible_rating_form(client, completed, citizen):
    client.force_login(citizen)
    html = client.get(page_of(completed)).content.decode()
    form = html[html.index('id="rating"') :]
    assert f'action="{rating_url(completed)}"' in form and f'hx-post="{rating_url(completed)}"' in form
    assert form.count("<fieldset") == 2 and form.count("<legend>") == 2
    assert "How satisfied are you" in form
    for score, label in ratings.SCORE_LABELS.items():
        radio = re.search(rf'<input type="radio" name="score" value="{score}"[^>]*id="([^"]+)"', form)
        assert radio, score
        assert f'<label for="{radio.group(1)}">{label}</label>' in form
    for value, label in RatingTag.choices:
        box = re.search(rf'<input type="checkbox" name="tags" value="{value}"[^>]*id="([^"]+)"', form)
        assert box, value
        assert f'<label for="{box.group(1)}">{label}</label>' in form
    assert '<textarea name="comment"' in form and 'id="rating-comment"' in form


def test_a_running_case_shows_no_rating_form(client, two_stages, citizen, django_capture_on_commit_callbacks):
    application = submit(citizen, two_stages, django_capture_on_commit_callbacks)
    client.force_login(citizen)
    html = client.get(page_of(application)).content.decode()
    assert 'id="rating"' not in html


def test_the_rating_form_in_chinese(completed, citizen):
    chinese = Client()
    chinese.force_login(citizen)
    html = chinese.get(page_of(completed)).content.decode()
    assert "非常满意" in html and "非常不满意" in html
    assert "办理快" in html


def test_rating_on_the_page_then_seeing_it(client, completed, citizen):
    client.force_login(citizen)
    response = client.post(rating_url(completed), {"score": "5", "tags": ["fast", "friendly"], "comment": "谢谢"})
    assert response.status_code == 302
    assert response["Location"] == page_of(completed) + "#rating"
    rating = Rating.objects.get(application=completed)
    assert (rating.score, rating.tags, rating.comment) == (5, ["fast", "friendly"], "谢谢")
    html = client.get(page_of(completed)).content.decode()
    assert "Thank you for your rating." in html
    panel = html[html.index('id="rating"') :]
    assert "Very satisfied (5 of 5)" in panel and "Quick" in panel and "Helpful staff" in panel and "谢谢" in panel
    assert 'name="score"' not in panel
    assert "The department&#x27;s reply" not in panel


def test_a_form_with_a_problem_is_shown_again_with_everything_kept(client, completed, citizen):
    client.force_login(citizen)
    response = client.post(rating_url(completed), {"tags": ["slow", "repeat"], "comment": "材料要了两次"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" in html and 'class="error-summary"' in html
    assert 'href="#rating-score_0"' in html and "Choose how satisfied you are." in html
    assert re.search(r'value="slow"[^>]*checked', html) and re.search(r'value="repeat"[^>]*checked', html)
    assert not re.search(r'value="fast"[^>]*checked', html)
    assert "材料要了两次</textarea>" in html
    assert not Rating.objects.exists()


def test_a_second_rating_on_the_page_is_refused_and_the_first_is_shown(client, completed, citizen):
    rate(completed, citizen, score=4)
    client.force_login(citizen)
    response = client.post(rating_url(completed), {"score": "1"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "already rated" in html and "Satisfied (4 of 5)" in html
    assert Rating.objects.get().score == 4


def test_rating_a_running_case_on_the_page_says_why(client, two_stages, citizen, django_capture_on_commit_callbacks):
    application = submit(citizen, two_stages, django_capture_on_commit_callbacks)
    client.force_login(citizen)
    response = client.post(rating_url(application), {"score": "1"})
    assert response.status_code == 409
    assert "when it is finished" in response.content.decode()


def test_with_htmx_only_the_rating_panel_comes_back(client, completed, citizen):
    client.force_login(citizen)
    refused = client.post(rating_url(completed), {"score": "7"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<section id="rating"')
    assert 'class="error-summary"' in html
    done = client.post(rating_url(completed), {"score": "2", "comment": "太慢"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    html = done.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<section id="rating"')
    assert "Thank you for your rating." in html and "Dissatisfied (2 of 5)" in html
    assert "It will reply to you here by 2026-06-17" in html


def test_another_citizen_or_staff_cannot_rate_on_the_page(client, completed):
    client.force_login(CitizenFactory())
    assert client.post(rating_url(completed), {"score": "1"}).status_code == 404
    client.force_login(staff_of("mca"))
    assert client.post(rating_url(completed), {"score": "1"}).status_code == 403
    assert not Rating.objects.exists()


def test_the_citizen_sees_the_follow_up_and_then_the_reply(client, completed, citizen):
    rate(completed, citizen, score=1, tags=["slow"])
    client.force_login(citizen)
    html = client.get(page_of(completed)).content.decode()
    assert "Your rating was passed to mca bureau. It will reply to you here by 2026-06-17." in html
    clerk = staff_of("mca", StaffRole.CLERK)
    ratings.follow_up_reply(follow_up_id=FollowUp.objects.get().pk, user=clerk, reply="抱歉，已改进流程。")
    html = client.get(page_of(completed)).content.decode()
    assert "mca bureau replied on 2026-06-10:" in html and "抱歉，已改进流程。" in html
    notification = Notification.objects.get(recipient=citizen, kind=NotificationKind.FOLLOW_UP_REPLIED)
    assert notification.link == page_of(completed)


def test_an_unanswered_follow_up_past_its_date_says_so(client, completed, citizen):
    rate(completed, citizen, score=1)
    client.force_login(citizen)
    with time_machine.travel("2026-06-18 10:00 +08:00"):
        html = client.get(page_of(completed)).content.decode()
    assert "Its reply was due by 2026-06-17 and has not come yet." in html


# The API ----------------------------------------------------------------------------------


def api_url(application) -> str:
    return f"/api/v1/applications/{application.reference}/rating/"


def test_api_rating_and_reading_it_back(api_client, completed, citizen):
    api_client.force_authenticate(citizen)
    assert api_client.get(api_url(completed)).status_code == 404
    response = api_client.post(api_url(completed), {"score": 1, "tags": ["slow"], "comment": "太慢"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == completed.reference
    assert (body["score"], body["score_display"], body["tags"], body["tags_display"]) == (
        1,
        "Very dissatisfied",
        ["slow"],
        ["Too slow"],
    )
    assert body["follow_up"]["department"] == "mca"
    assert body["follow_up"]["due_date"] == "2026-06-17"
    assert body["follow_up"]["answered"] is False
    clerk = staff_of("mca", StaffRole.CLERK)
    ratings.follow_up_reply(follow_up_id=FollowUp.objects.get().pk, user=clerk, reply="已整改")
    follow_up = api_client.get(api_url(completed)).json()["follow_up"]
    assert follow_up["answered"] is True and follow_up["reply"] == "已整改"


def test_api_a_good_rating_has_no_follow_up(api_client, completed, citizen):
    api_client.force_authenticate(citizen)
    body = api_client.post(api_url(completed), {"score": 5}, format="json").json()
    assert body["follow_up"] is None and body["tags"] == [] and body["comment"] == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"score": 0}, "score"), ({"score": 6}, "score"), ({}, "score"), ({"score": 3, "tags": ["rude"]}, "tags")],
)
def test_api_refuses_bad_input_in_the_common_shape(api_client, completed, citizen, payload, field):
    api_client.force_authenticate(citizen)
    response = api_client.post(api_url(completed), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input" and field in body["errors"]


def test_api_refusals(api_client, completed, citizen, two_stages, django_capture_on_commit_callbacks):
    running = submit(citizen, two_stages, django_capture_on_commit_callbacks)
    api_client.force_authenticate(citizen)
    assert api_client.post(api_url(running), {"score": 1}, format="json").json()["code"] == "not_finished"
    assert api_client.post(api_url(completed), {"score": 4}, format="json").status_code == 201
    again = api_client.post(api_url(completed), {"score": 1}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")
    api_client.force_authenticate(CitizenFactory())
    assert api_client.post(api_url(completed), {"score": 1}, format="json").status_code == 404
    api_client.force_authenticate(staff_of("mca"))
    assert api_client.post(api_url(completed), {"score": 1}, format="json").status_code == 403


def test_api_messages_in_chinese(completed, citizen):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    api.force_authenticate(citizen)
    api.post(api_url(completed), {"score": 5}, format="json")
    body = api.post(api_url(completed), {"score": 1}, format="json").json()
    assert CJK_RE.search(body["detail"])
