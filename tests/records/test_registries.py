"""Department registries: consent first, fetches on the departments' queues, verified data
with provenance, the HTTP JSON connector against a real local server, and disputes."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.accounts.models import Department
from services.applications import actions as application_actions
from services.catalog.models import Service
from services.core.crypto import encrypt
from services.core.models import OutboxMessage
from services.records import actions, selectors
from services.records.connectors import sign
from services.records.models import DataAccess, Fetch, FetchStatus, Registry, RegistryKind, VerifiedAttribute

pytestmark = pytest.mark.django_db

ZHANG_ID = "11010519491231002X"


@pytest.fixture
def zhang(demo):
    return demo["13800138001"]


def _consent(client, zhang, ids=None, id_number=ZHANG_ID, capture=None):
    service = Service.objects.get(code="marriage-registration")
    requirement_ids = ids if ids is not None else list(service.data_requirements.values_list("pk", flat=True))
    client.force_login(zhang)
    data = {"action": "agree", "id_number": id_number, "requirement": requirement_ids}
    if capture:
        with capture(execute=True):
            return client.post("/services/marriage-registration/apply/consent/", data)
    return client.post("/services/marriage-registration/apply/consent/", data)


def test_the_consent_page_says_what_from_whom_and_why_before_anything_is_fetched(client, zhang):
    client.force_login(zhang)
    assert client.get("/services/marriage-registration/apply/").url.endswith("/apply/consent/")
    html = client.get("/services/marriage-registration/apply/consent/").content.decode()
    assert "市公安局" in html and "市民政局" in html
    assert "核对当事人目前的婚姻状况" in html
    assert not Fetch.objects.exists()


def test_consent_fetches_from_each_department_on_its_own_queue(client, zhang, django_capture_on_commit_callbacks):
    response = _consent(client, zhang, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    queues = sorted(OutboxMessage.objects.filter(task_name="records.fetch").values_list("queue", flat=True))
    assert queues == ["dept.mca", "dept.psb"]
    assert set(Fetch.objects.values_list("status", flat=True)) == {FetchStatus.DONE}
    attributes = selectors.attributes_current(citizen=zhang)
    assert attributes["full_name"].plain == "张伟" and attributes["marital_status"].plain == "未婚"
    assert attributes["full_name"].registry.department.code == "psb"
    # Each connector read is in the citizen's data log, as the connector, not a person.
    log = DataAccess.objects.filter(citizen=zhang)
    # The identity check (实名核验) with the population registry, then the two fetches.
    assert sorted(log.values_list("connector", flat=True)) == ["marriage", "population", "population"]
    assert not log.filter(actor__isnull=False).exists()


def test_a_verified_answer_is_prefilled_with_its_source_and_cannot_be_changed(
    client, zhang, django_capture_on_commit_callbacks
):
    _consent(client, zhang, capture=django_capture_on_commit_callbacks)
    html = client.get("/services/marriage-registration/apply/applicant/").content.decode()
    assert 'value="张伟"' in html and "disabled" in html and "市公安局" in html
    client.post(
        "/services/marriage-registration/apply/applicant/",
        {
            "applicant_name": "别人",
            "applicant_id_number": ZHANG_ID,
            "applicant_mobile": "13800138001",
            "action": "next",
        },
    )
    draft = application_actions.draft_start(citizen=zhang, service=Service.objects.get(code="marriage-registration"))
    assert draft.answers["applicant_name"] == "张伟"


def test_declining_fetches_nothing_and_leaves_every_answer_to_the_citizen(client, zhang):
    client.force_login(zhang)
    response = client.post("/services/marriage-registration/apply/consent/", {"action": "decline"})
    assert response.url.endswith("/apply/applicant/")
    assert not Fetch.objects.exists()
    html = client.get("/services/marriage-registration/apply/applicant/").content.decode()
    assert 'name="applicant_name"' in html and "disabled" not in html


@pytest.mark.parametrize(("ids", "id_number"), [([], ZHANG_ID), (None, "110105194912310021")])
def test_consent_needs_a_choice_and_a_valid_id_number(client, zhang, ids, id_number):
    response = _consent(client, zhang, ids=ids, id_number=id_number)
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not Fetch.objects.exists()


def test_a_citizen_reports_an_error_to_the_department_that_holds_it(
    client, demo, zhang, django_capture_on_commit_callbacks
):
    _consent(client, zhang, capture=django_capture_on_commit_callbacks)
    name = selectors.attributes_current(citizen=zhang)["full_name"]
    assert client.post("/my/data/", {"attribute": name.pk, "note": ""}).status_code == 400
    client.post("/my/data/", {"attribute": name.pk, "note": "我的名字是张伟民"})
    assert VerifiedAttribute.objects.get(pk=name.pk).disputed_at is not None
    assert demo["psb.admin"].notifications.filter(kind="attribute_disputed").exists()
    assert not demo["mca.admin"].notifications.filter(kind="attribute_disputed").exists()


# The HTTP JSON connector, against a real server on this machine ---------------------------


class _Registry(BaseHTTPRequestHandler):
    mode = "ok"
    secret = "shared-secret"
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = sign(self.secret, self.headers["X-Portal-Timestamp"], body) == self.headers["X-Portal-Signature"]
        type(self).seen.append({"signed": signed, "body": json.loads(body)})
        if self.mode == "slow":
            time.sleep(2.5)
        if not signed:
            return self._answer(401, b"{}")
        if self.mode == "garbage":
            return self._answer(200, b"<html>Service Unavailable</html>")
        if self.mode == "error":
            return self._answer(503, b"busy")
        if self.mode == "missing":
            return self._answer(404, b"{}")
        return self._answer(200, json.dumps({"found": True, "data": {"degree": "博士研究生", "extra": "x"}}).encode())

    def _answer(self, status: int, body: bytes):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def http_registry(zhang):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Registry.seen = []
    registry = Registry.objects.create(
        code="degree-http",
        name_zh="学历学位查询系统",
        name_en="Degree lookup",
        department=Department.objects.get(code="hrss"),
        kind=RegistryKind.HTTP_JSON,
        base_url=f"http://127.0.0.1:{server.server_address[1]}/lookup",
        secret=_Registry.secret,
        timeout_seconds=1,
        provides=["degree"],
    )
    yield registry
    server.shutdown()


def _fetch(zhang, registry) -> Fetch:
    return Fetch.objects.create(
        citizen=zhang,
        service=Service.objects.get(code="marriage-registration"),
        registry=registry,
        purpose="核对学历",
        id_number=encrypt(ZHANG_ID),
        consented_at="2026-11-26T10:00:00+08:00",
    )


def test_http_registry_answers_a_signed_request(zhang, http_registry):
    fetch = _fetch(zhang, http_registry)
    assert actions.fetch_run(fetch_id=fetch.pk) == FetchStatus.DONE
    assert _Registry.seen[0]["signed"] and _Registry.seen[0]["body"]["id_number"] == ZHANG_ID
    attributes = selectors.attributes_current(citizen=zhang)
    assert attributes["degree"].plain == "博士研究生" and "extra" not in attributes


def test_http_registry_that_times_out_is_retried_then_failed_clearly(zhang, http_registry, settings):
    settings.REGISTRY_MAX_ATTEMPTS = 2
    _Registry.mode = "slow"
    try:
        fetch = _fetch(zhang, http_registry)
        assert actions.fetch_run(fetch_id=fetch.pk) == actions.RETRY
        assert actions.fetch_run(fetch_id=fetch.pk) == FetchStatus.FAILED
    finally:
        _Registry.mode = "ok"
    fetch.refresh_from_db()
    assert fetch.attempts == 2 and "no answer within 1 s" in fetch.error
    assert not VerifiedAttribute.objects.filter(name="degree").exists()
    assert actions.fetch_run(fetch_id=fetch.pk) == FetchStatus.FAILED  # finished: left alone


@pytest.mark.parametrize(
    ("mode", "status", "attempts"),
    [("garbage", FetchStatus.FAILED, 1), ("missing", FetchStatus.NOT_FOUND, 1), ("error", "retry", 1)],
)
def test_http_registry_garbage_missing_and_server_errors(zhang, http_registry, mode, status, attempts):
    _Registry.mode = mode
    try:
        fetch = _fetch(zhang, http_registry)
        assert actions.fetch_run(fetch_id=fetch.pk) == status
    finally:
        _Registry.mode = "ok"
    fetch.refresh_from_db()
    assert fetch.attempts == attempts
    if mode == "garbage":
        assert "not JSON" in fetch.error


def test_a_wrong_secret_is_refused_by_the_registry_and_not_retried(zhang, http_registry):
    http_registry.secret = "wrong"
    http_registry.save()
    fetch = _fetch(zhang, http_registry)
    assert actions.fetch_run(fetch_id=fetch.pk) == FetchStatus.FAILED
    assert not _Registry.seen[0]["signed"]


def test_the_fetch_panel_shows_failures_so_the_citizen_can_act(client, zhang, http_registry, settings):
    settings.REGISTRY_MAX_ATTEMPTS = 1
    _Registry.mode = "garbage"
    try:
        draft = application_actions.draft_start(
            citizen=zhang, service=Service.objects.get(code="marriage-registration")
        )
        fetch = _fetch(zhang, http_registry)
        Fetch.objects.filter(pk=fetch.pk).update(draft=draft)
        actions.fetch_run(fetch_id=fetch.pk)
    finally:
        _Registry.mode = "ok"
    client.force_login(zhang)
    html = client.get("/services/marriage-registration/apply/data/").content.decode()
    assert "fetch-failed" in html and "hx-get" not in html


def test_a_citizen_cannot_fetch_someone_elses_records(client, demo, zhang):
    """The ID number must be the citizen's own: the account's name must match the population
    registry's record of it, and it is then bound to that account."""
    li_id = "440305199003071236"
    response = _consent(client, zhang, id_number=li_id)
    assert response.status_code == 400
    assert not Fetch.objects.exists() and not VerifiedAttribute.objects.exists()

    assert _consent(client, zhang).status_code == 302  # 张伟's own number: confirmed and bound
    zhang.refresh_from_db()
    assert zhang.id_digest
    assert _consent(client, zhang, id_number=li_id).status_code == 400  # never another number after

    li = demo["13800138002"]
    client.force_login(li)
    response = client.post(
        "/services/marriage-registration/apply/consent/",
        {
            "action": "agree",
            "id_number": ZHANG_ID,
            "requirement": [r.pk for r in Service.objects.get(code="marriage-registration").data_requirements.all()],
        },
    )
    assert response.status_code == 400  # bound to 张伟's account
    assert not VerifiedAttribute.objects.filter(citizen=li).exists()
