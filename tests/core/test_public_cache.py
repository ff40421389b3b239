"""Public pages from the cache: the catalogue, the guides, the public statistics and their
API are made once per generation of public content and kept, per language and elder mode;
a visitor's forms still carry their own CSRF token; nobody who is signed in ever gets a
kept page; and a change an administrator makes (in the admin, or by activating a workflow),
or a rebuild of the statistics, is seen at once."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from services.catalog.actions import workflow_activate, workflow_copy
from services.catalog.models import Service
from tests.factories import CitizenFactory, StaffFactory, make_service

pytestmark = pytest.mark.django_db

GUIDE = "/services/test-service/"


@pytest.fixture
def service(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return make_service(stages=[["psb"]])


def _get(client: Client, url: str, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return response, len(queries)


def _csrf(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize("url", ["/", "/services/", "/services/?event=birth", GUIDE, "/open-data/"])
def test_a_public_page_is_made_once_then_answered_without_the_database(service, url):
    first, made = _get(Client(), url)
    again, kept = _get(Client(), url)
    assert made > 0 and kept == 0
    # The same page, but for the visitor's own CSRF token.
    assert re.sub(r'value="[^"]{64}"|"X-CSRFToken": "[^"]+"', "", first.content.decode()) == re.sub(
        r'value="[^"]{64}"|"X-CSRFToken": "[^"]+"', "", again.content.decode()
    )


def test_each_visitor_of_a_kept_page_gets_a_token_of_their_own_that_works(service):
    Client().get("/services/")  # someone else made the page
    visitor = Client(enforce_csrf_checks=True)
    page, kept = _get(visitor, "/services/")
    assert kept == 0
    token = _csrf(page)
    assert "\x00" not in page.content.decode()
    assert f'"X-CSRFToken": "{token}"' in page.content.decode()
    # The footer's form works with it: elder mode goes on.
    answer = visitor.post("/preferences/elder-mode/", {"on": "1", "next": "/services/", "csrfmiddlewaretoken": token})
    assert answer.status_code == 302
    # ... and the kept page of elder mode is another page.
    elder, made = _get(visitor, "/services/")
    assert made > 0 and '<body class="elder"' in elder.content.decode()


def test_each_language_has_its_own_kept_page(service):
    chinese, _ = _get(Client(), "/services/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    english, made = _get(Client(), "/services/", HTTP_ACCEPT_LANGUAGE="en")
    assert made > 0
    assert 'lang="zh-CN"' in chinese.content.decode() and 'lang="en"' in english.content.decode()
    assert "test-service service" in english.content.decode()


def test_nobody_signed_in_gets_a_kept_page(service):
    _get(Client(), GUIDE)
    client = Client()
    client.force_login(CitizenFactory())
    page, made = _get(client, GUIDE)
    assert made > 0
    assert 'href="/my/applications/"' in page.content.decode()
    # ... and what a signed-in person saw is never kept for anyone else.
    anonymous, _ = _get(Client(), GUIDE)
    assert 'href="/my/applications/"' not in anonymous.content.decode()


def test_a_visitor_with_a_message_waiting_gets_the_page_made_for_them(service):
    _get(Client(), "/services/")
    client = Client()
    client.cookies["messages"] = "x"
    _page, made = _get(client, "/services/")
    assert made > 0


def test_a_search_for_typed_words_is_made_each_time(service):
    _get(Client(), "/services/?q=test")
    _page, made = _get(Client(), "/services/?q=test")
    assert made > 0


def test_an_administrators_change_in_the_admin_is_seen_at_once(service, django_capture_on_commit_callbacks):
    visitor = Client()
    _get(visitor, GUIDE)
    admin = StaffFactory(is_staff=True, is_superuser=True)
    staff_client = Client()
    staff_client.force_login(admin)
    url = f"/admin/catalog/service/{service.pk}/change/"
    form = staff_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"name_zh": "新名称的服务", "summary_zh": "改过的说明"}
    # The inline forms of the change page, as the browser would send them back.
    page = staff_client.get(url).content.decode()
    for name, value in re.findall(r'name="([^"]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)" value="(\d+)"', page):
        data[name] = value
    for inline in staff_client.get(url).context["inline_admin_formsets"]:
        for inline_form in inline.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[inline_form.add_prefix(name)] = value
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff_client.post(url, data)
    assert answer.status_code == 302, answer.context and answer.context["adminform"].form.errors
    assert Service.objects.get(pk=service.pk).name_zh == "新名称的服务"
    page, made = _get(visitor, GUIDE)
    assert made > 0 and "新名称的服务" in page.content.decode()


def test_activating_a_new_workflow_is_seen_at_once(service, django_capture_on_commit_callbacks):
    visitor = Client()
    before, _ = _get(visitor, GUIDE)
    assert "新的审核阶段" not in before.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        copy = workflow_copy(template=service.workflows.get())
        copy.stages.filter(position=1).update(name_zh="新的审核阶段")
        workflow_activate(template=copy)
    after, made = _get(visitor, GUIDE)
    assert made > 0 and "新的审核阶段" in after.content.decode()


def test_a_rebuild_of_the_statistics_is_seen_at_once(service, django_capture_on_commit_callbacks):
    from services.analytics.actions import summary_refresh

    visitor = Client()
    _get(visitor, "/open-data/")
    _get(visitor, "/api/v1/open-data/statistics/")
    with django_capture_on_commit_callbacks(execute=True):
        summary_refresh()
    _page, made = _get(visitor, "/open-data/")
    _data, made_api = _get(visitor, "/api/v1/open-data/statistics/")
    assert made > 0 and made_api > 0


def test_the_service_api_is_kept_too_and_follows_changes(service, django_capture_on_commit_callbacks):
    api = Client()
    _get(api, "/api/v1/services/")
    _again, kept = _get(api, "/api/v1/services/")
    assert kept == 0
    with django_capture_on_commit_callbacks(execute=True):
        Service.objects.get(pk=service.pk).save()  # any change a save makes
    _fresh, made = _get(api, "/api/v1/services/")
    assert made > 0
