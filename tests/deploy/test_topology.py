"""The multi-node topology of docs/deploy.md, simulated on one machine with the files of
deploy/: nginx from Debian in front (the shipped site, TLS and all), two web nodes, two worker
pools consuming disjoint sets of department queues, two beats; every portal process in
production mode with the environment of its role, the files in a bucket of a local S3
server. Through it: a file sent to one node is served by both; a journey across departments
is routed by the pool of each department; a web node killed during a stream of submissions
loses none (the clients repeat with their idempotency keys); a department's pool stopped
holds only that department's automatic work, until it returns; periodic tasks are sent once.

PostgreSQL only (the web nodes, workers and the test share the test database); CI runs it."""

import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from moto.server import ThreadedMotoServer

from portal.embedded import start_redis
from services.accounts.tokens import token_issue
from services.casework.constants import ApplicationStatus
from services.casework.models import Application, Step
from services.catalog.models import StageStep
from tests import worker
from tests.casework.helpers import reviewer_of
from tests.deploy.topology import (
    BASE_DIR,
    Process,
    env_file,
    free_port,
    nginx_config,
    port_open,
    production_secrets,
    unit_command,
    wait_until,
)
from tests.factories import SAMPLE_PDF, VALID_ANSWERS, CitizenFactory, make_service
from tests.worker import queue_length

pytestmark = [pytest.mark.integration]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
POOLS = ("central", "enterprise")
BEAT_SENT = "Sending due task audit-seal"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Topology:
    folder: Path
    redis_url: str
    https_port: int
    http_port: int
    secrets: dict[str, str]
    bucket: dict[str, str]
    web: list[Process] = field(default_factory=list)
    web_ports: list[int] = field(default_factory=list)
    pools: dict[str, Process] = field(default_factory=dict)
    beats: list[Process] = field(default_factory=list)
    nginx: Process | None = None
    others: list[Process] = field(default_factory=list)

    def processes(self) -> list[Process]:
        return [p for p in [self.nginx, *self.web, *self.pools.values(), *self.beats, *self.others] if p]

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None, source="127.0.0.1"
    ) -> Response:
        """One request to nginx over TLS, trusting the simulation's certificate."""
        context = ssl.create_default_context(cafile=str(self.folder / "nginx" / "portal" / "tls" / "fullchain.pem"))
        client = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=context, timeout=30, source_address=(source, 0)
        )
        try:
            client.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
            answer = client.getresponse()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
        finally:
            client.close()

    def api(
        self, method: str, path: str, token: str, payload: dict | None = None, source="127.0.0.1", **headers
    ) -> Response:
        return self.request(
            method,
            path,
            body=json.dumps(payload).encode() if payload is not None else None,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json", **headers},
            source=source,
        )

    def start_pool(self, name: str) -> None:
        pool = self.pools[name]
        before = pool.log().count(" ready.")
        pool.start()
        wait_until(lambda: pool.log().count(" ready.") > before, timeout=90, what=f"pool {name}", logs=[pool])


def _topology_start(topology: Topology, database_url: str) -> None:
    folder, secrets = topology.folder, topology.secrets
    redis_url = topology.redis_url
    public = f"https://localhost:{topology.https_port}"
    common = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BROKER_URL": redis_url,
        **{name: secrets[name] for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY")},
        **{name: secrets[name] for name in ("LICENCE_SIGNING_KEY", "AUDIT_CHECKPOINT_VERIFY_KEYS")},
        # The files in a bucket of a local S3 server (moto's), which every node shares.
        **topology.bucket,
        "PORTAL_PUBLIC_URL": public,
    }
    # Not in the shipped files: where the simulation keeps what a node keeps on its disk (the
    # files must not land there).
    simulation = {"MEDIA_ROOT": str(folder / "media"), "PORTAL_VAR_DIR": str(folder / "var")}
    static_parent = folder / "lib"

    def web_command(port: int, name: str) -> tuple[list[str], dict]:
        command, env = unit_command(
            "portal-web.service",
            overrides={
                **common,
                # Its connections named after the node, so that the test sees which one waits.
                "DATABASE_URL": f"{database_url}?application_name={name}",
                "WEB_BIND": f"127.0.0.1:{port}",
                "WEB_WORKERS": "2",
                "ALLOWED_HOSTS": "localhost",
                "CSRF_TRUSTED_ORIGINS": public,
                "TRUSTED_PROXIES": "127.0.0.1",
                "STATIC_ROOT": str(static_parent / "static"),
            },
        )
        return command, {**env, **simulation}

    # The static files, collected as an upgrade does, for nginx to serve.
    command, env = web_command(0, "collectstatic")
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collect, cwd=BASE_DIR, env=env, check=True, timeout=300)  # noqa: S603 - our own manage.py

    for index in range(2):
        port = free_port()
        command, env = web_command(port, f"web{index}")
        topology.web_ports.append(port)
        topology.web.append(Process(f"web{index}", command, env, folder / f"web{index}.log").start())

    for name in POOLS:
        overrides = {
            **common,
            "NOTIFICATION_SMS_BACKEND": "services.notifications.backends.ConsoleSmsBackend",
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "WORKER_CONCURRENCY": "2",
        }
        if "AUDIT_CHECKPOINT_SIGNING_KEY" in env_file(f"worker-{name}.env"):
            overrides["AUDIT_CHECKPOINT_SIGNING_KEY"] = secrets["AUDIT_CHECKPOINT_SIGNING_KEY"]
            overrides["AUDIT_CHECKPOINT_DIR"] = str(folder / "audit-checkpoints")
        command, env = unit_command("portal-worker@.service", instance=name, overrides=overrides)
        topology.pools[name] = Process(f"pool {name}", command, {**env, **simulation}, folder / f"pool-{name}.log")

    prefix = f"topology:{uuid.uuid4().hex[:8]}:beat:"
    for index in range(2):
        # Sealing every second and a short lock, so that the test sees many sends and a takeover.
        overrides = {**common, "BEAT_KEY_PREFIX": prefix, "BEAT_LOCK_SECONDS": "3", "AUDIT_SEAL_SECONDS": "1"}
        command, env = unit_command("portal-beat.service", overrides=overrides)
        topology.beats.append(Process(f"beat{index}", command, {**env, **simulation}, folder / f"beat{index}.log"))

    conf = nginx_config(
        folder / "nginx",
        web_ports=topology.web_ports,
        http_port=topology.http_port,
        https_port=topology.https_port,
        static_parent=static_parent,
    )
    nginx_folder = folder / "nginx"
    command = [NGINX, "-p", str(nginx_folder), "-c", str(conf), "-e", str(nginx_folder / "error.log")]
    topology.nginx = Process(
        "nginx", [*command, "-g", "daemon off;"], {"PATH": "/usr/sbin:/usr/bin"}, folder / "nginx.log"
    )
    topology.nginx.start()

    for name in POOLS:
        topology.start_pool(name)
    for beat in topology.beats:
        beat.start()
    every = topology.processes()
    for port in [*topology.web_ports, topology.https_port, topology.http_port]:
        wait_until(lambda port=port: port_open(port), timeout=60, what=f"port {port}", logs=every)
    for beat in topology.beats:
        wait_until(lambda beat=beat: "beat: Starting" in beat.log(), timeout=60, what=beat.name, logs=[beat])
    wait_until(
        lambda: topology.request("GET", "/services/").status == 200,
        timeout=60,
        what="the portal through nginx",
        logs=every,
    )


@pytest.fixture(scope="module")
def topology(request, tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip("the topology shares the test database between processes: PostgreSQL only (CI sets DATABASE_URL)")
    if not Path(NGINX).exists():
        pytest.skip("needs nginx from Debian: apt-get install nginx (.ci/run installs it)")
    request.getfixturevalue("django_db_setup")
    folder = tmp_path_factory.mktemp("topology")
    redis_process, redis_url = start_redis(folder, data_dir=folder, persist=False)
    s3_port = free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    topology = Topology(
        folder=folder,
        redis_url=redis_url,
        https_port=free_port(),
        http_port=free_port(),
        secrets=production_secrets(),
        bucket=_bucket(f"http://127.0.0.1:{s3_port}"),
    )
    try:
        _topology_start(topology, worker.test_database_url())
        yield topology
    finally:
        for process in reversed(topology.processes()):
            process.stop(timeout=20)
        redis_process.terminate()
        redis_process.wait(timeout=10)
        s3.stop()


def _bucket(endpoint: str) -> dict[str, str]:
    """A private bucket on the local S3 server, and the settings that name it."""
    config = {
        "S3_BUCKET": f"portal-{uuid.uuid4().hex[:12]}",
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "cn-north-1",
        "S3_ACCESS_KEY_ID": "portal-topology",
        "S3_SECRET_ACCESS_KEY": "portal-topology-secret",
    }
    _s3_client(config).create_bucket(
        Bucket=config["S3_BUCKET"], CreateBucketConfiguration={"LocationConstraint": config["S3_REGION"]}
    )
    return config


def _s3_client(config: dict[str, str]):
    return boto3.client(
        "s3",
        endpoint_url=config["S3_ENDPOINT_URL"],
        region_name=config["S3_REGION"],
        aws_access_key_id=config["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=config["S3_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(autouse=True)
def _same_keys(topology, transactional_db, settings):
    """This process writes the citizens, staff and tokens the nodes read: with their keys."""
    for name in ("SECRET_KEY", "BLIND_INDEX_KEY", "LICENCE_SIGNING_KEY"):
        setattr(settings, name, topology.secrets[name])
    settings.FIELD_ENCRYPTION_KEYS = [topology.secrets["FIELD_ENCRYPTION_KEYS"]]


def _service(code: str, stages: list[list[str]], automatic: tuple[str, ...] = ()):
    service = make_service(code=code, stages=stages)
    service.materials.update(deferrable_days=5)  # nothing to upload: this is about the nodes
    StageStep.objects.filter(stage__template__service=service, department__code__in=automatic).update(
        automatic_check="applicant_adult"
    )
    return service


def _steps(reference: str) -> dict[str, str]:
    return dict(Step.objects.filter(application__reference=reference).values_list("department__code", "status"))


def _submit(topology: Topology, token: str, service_code: str, key: str, source: str = "127.0.0.1") -> Response:
    payload = {"service": service_code, "answers": dict(VALID_ANSWERS)}
    return topology.api("POST", "/api/v1/applications/", token, payload, source=source, **{"Idempotency-Key": key})


def _approve(topology: Topology, token: str, reference: str, department: str) -> Response:
    """A reviewer of `department` approves its step, through nginx and the staff API."""
    step = Step.objects.get(application__reference=reference, department__code=department)
    return topology.api("POST", f"/api/v1/tasks/{step.pk}/decision/", token, {"decision": "approve"})


def _new_lines(process: Process, mark: int) -> str:
    return "\n".join(process.log_lines()[mark:])


def _received(log: str, task: str) -> int:
    """How many messages of `task` a worker took, by its log."""
    return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] received", log))


# --- nginx as shipped ------------------------------------------------------------------------


def test_nginx_redirects_to_https_serves_static_files_and_hands_the_client_address_on(topology):
    with socket.create_connection(("127.0.0.1", topology.http_port)) as plain:
        plain.sendall(b"GET /services/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        head = plain.recv(4096).decode()
    assert head.startswith("HTTP/1.1 301")
    assert "Location: https://localhost/services/" in head

    page = topology.request("GET", "/services/")
    assert page.status == 200
    assert "max-age=31536000" in page.headers["strict-transport-security"]  # the portal knows it is HTTPS
    stylesheet = next(
        line.split('href="')[1].split('"')[0] for line in page.body.decode().splitlines() if 'rel="stylesheet"' in line
    )
    static = topology.request("GET", stylesheet, headers={"Accept-Encoding": "gzip"})
    assert static.status == 200
    assert "immutable" in static.headers["cache-control"]
    assert static.headers["server"].startswith("nginx")
    assert static.headers.get("content-encoding") == "gzip"  # WhiteNoise's copy, sent by nginx
    assert not any(stylesheet in node.log() for node in topology.web)  # no web node was asked

    # A client that names another address: the portal counts the one nginx saw.
    from services.audit.models import AuditEvent

    refused = topology.request(
        "POST",
        "/api/v1/auth/token/",
        body=json.dumps({"username": "nobody-here", "password": "wrong"}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"},
        source="127.0.0.2",
    )
    assert refused.status == 401  # wrong credentials
    assert AuditEvent.objects.filter(action="sign_in_failed").values_list("address", flat=True).get() == "127.0.0.2"


def test_nginx_lets_an_upload_of_the_largest_size_through_and_stops_a_larger_body(topology):
    citizen = CitizenFactory()
    token = token_issue(user=citizen)[1]
    large = {"service": "none", "answers": {"note": "x" * (10 * 1024 * 1024)}}
    answered = topology.api("POST", "/api/v1/applications/", token, large)
    assert answered.status != 413  # the portal's own answer, in JSON
    assert answered.json()["code"]

    too_large = {"service": "none", "answers": {"note": "x" * (13 * 1024 * 1024)}}
    stopped = topology.api("POST", "/api/v1/applications/", token, too_large)
    assert stopped.status == 413
    assert stopped.headers["server"].startswith("nginx")


# --- the files ------------------------------------------------------------------------------


def test_a_file_sent_through_one_web_node_is_served_by_either_from_the_bucket(topology):
    service = _service("topology-files", [["mca"]])
    citizen = CitizenFactory()
    token = token_issue(user=citizen)[1]
    sent = _upload(topology, token, service, SAMPLE_PDF)
    assert sent.status == 201, sent.body
    path = f"/files/{sent.json()['id']}/"

    browser = Client()
    browser.force_login(citizen)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    downloads = [topology.request("GET", path, headers={"Cookie": cookie}) for _ in range(2)]

    assert [download.status for download in downloads] == [200, 200]
    assert all(download.body == SAMPLE_PDF for download in downloads)

    def served_by() -> list[int]:
        return [
            int(port) for port in re.findall(rf"GET {path} 200 upstream=127\.0\.0\.1:(\d+):200", _access_log(topology))
        ]

    # nginx writes its access log once the answer has gone.
    wait_until(lambda: len(served_by()) == 2, timeout=10, what="both downloads in nginx's log")
    assert sorted(served_by()) == sorted(topology.web_ports)  # one each, nginx's round robin
    stored = _s3_client(topology.bucket).list_objects_v2(Bucket=topology.bucket["S3_BUCKET"])["Contents"]
    assert len(stored) == 1
    assert not any(path.is_file() for path in (topology.folder / "media").rglob("*"))


def _upload(topology: Topology, token: str, service, content: bytes) -> Response:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="material"\r\n\r\n{service.materials.get().pk}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="id-card.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return topology.request(
        "POST",
        f"/api/v1/drafts/{service.code}/files/",
        body=body,
        headers={"Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def test_a_case_uploaded_through_one_node_is_decided_through_the_other_and_its_licence_issued_to_the_bucket(
    topology,
):
    from services.accounts.models import Department
    from services.catalog.models import DocumentType
    from services.records.models import Upload, WalletDocument

    service = make_service(code="topology-licence", stages=[["mca"]])
    service.issues = DocumentType.objects.create(
        code="topology-certificate",
        name_zh="测试证照",
        name_en="Test certificate",
        issuer=Department.objects.get(code="mca"),
    )
    service.save(update_fields=["issues"])
    citizen_token = token_issue(user=CitizenFactory(full_name="张伟"))[1]
    reviewer_token = token_issue(user=reviewer_of("mca"))[1]
    logs = list(topology.pools.values())
    marks = {name: len(pool.log_lines()) for name, pool in topology.pools.items()}

    sent = _upload(topology, citizen_token, service, SAMPLE_PDF + b"%licence-case\n")
    assert sent.status == 201, sent.body
    # nginx writes its access log once the answer has gone.
    wait_until(
        lambda: re.search(rf"/api/v1/drafts/{service.code}/files/ 201", _access_log(topology)),
        timeout=10,
        what="the upload in nginx's log",
    )
    uploads = re.findall(
        rf"POST /api/v1/drafts/{service.code}/files/ 201 upstream=127\.0\.0\.1:(\d+):201", _access_log(topology)
    )
    (upload_port,) = map(int, uploads)
    submitted = _submit(topology, citizen_token, service.code, key="licence-case")
    assert submitted.status == 201, submitted.body
    reference = submitted.json()["reference"]
    wait_until(lambda: _steps(reference) == {"mca": "open"}, timeout=60, what="the mca step", logs=logs)

    # The reviewer's decision, straight to the other node (as nginx would hand it on).
    other_port = next(port for port in topology.web_ports if port != upload_port)
    step = Step.objects.get(application__reference=reference)
    direct = http.client.HTTPConnection("127.0.0.1", other_port, timeout=30)
    try:
        direct.request(
            "POST",
            f"/api/v1/tasks/{step.pk}/decision/",
            body=json.dumps({"decision": "approve"}).encode(),
            headers={
                "Host": "localhost",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "127.0.0.1",
                "Authorization": f"Token {reviewer_token}",
                "Content-Type": "application/json",
            },
        )
        decided = direct.getresponse()
        assert decided.status == 200, decided.read()
    finally:
        direct.close()

    licence = wait_until(
        lambda: WalletDocument.objects.filter(application__reference=reference).first(),
        timeout=60,
        what="the e-licence, issued by mca's pool",
        logs=logs,
    )
    assert Application.objects.get(reference=reference).status == ApplicationStatus.APPROVED
    # Issued on the issuing department's queue: mca's, which pool central consumes.
    issued_by = {
        name: _received(_new_lines(pool, marks[name]), "casework.issue_licence")
        for name, pool in topology.pools.items()
    }
    assert issued_by == {"central": 1, "enterprise": 0}
    stored = {
        item["Key"]
        for item in _s3_client(topology.bucket).list_objects_v2(Bucket=topology.bucket["S3_BUCKET"])["Contents"]
    }
    upload = Upload.objects.get(application__reference=reference)
    assert {upload.file.name, licence.file.name} <= stored
    assert not any(path.is_file() for path in (topology.folder / "media").rglob("*"))


def _access_log(topology: Topology) -> str:
    return (topology.folder / "nginx" / "access.log").read_text()


# --- the worker pools --------------------------------------------------------------------------


def test_a_journey_across_departments_is_routed_with_each_department_on_its_pool(topology):
    service = _service("topology-journey", [["psb"], ["amr", "fire"], ["mip"]], automatic=("psb", "fire"))
    tokens = {code: token_issue(user=reviewer_of(code))[1] for code in ("amr", "mip")}
    citizen_token = token_issue(user=CitizenFactory())[1]
    marks = {name: len(pool.log_lines()) for name, pool in topology.pools.items()}
    logs = list(topology.pools.values())

    submitted = _submit(topology, citizen_token, service.code, key="journey")
    assert submitted.status == 201, submitted.body
    reference = submitted.json()["reference"]
    # psb's check (pool central), then amr for a person and fire's check (pool enterprise).
    wait_until(
        lambda: _steps(reference) == {"psb": "approved", "amr": "open", "fire": "approved"},
        timeout=60,
        what="the automatic checks of psb and fire",
        logs=logs,
    )
    assert _approve(topology, tokens["amr"], reference, "amr").status == 200
    wait_until(lambda: _steps(reference).get("mip") == "open", timeout=60, what="the last stage", logs=logs)
    assert _approve(topology, tokens["mip"], reference, "mip").status == 200
    wait_until(
        lambda: Application.objects.filter(reference=reference, status=ApplicationStatus.APPROVED).exists(),
        timeout=60,
        what="the decision",
        logs=logs,
    )

    central = _new_lines(topology.pools["central"], marks["central"])
    enterprise = _new_lines(topology.pools["enterprise"], marks["enterprise"])
    assert _received(central, "casework.run_check") == 1  # psb's
    assert _received(enterprise, "casework.run_check") == 1  # fire's
    assert "casework.route_case" in central
    assert "casework.route_case" not in enterprise  # routing is on the default queue


def test_a_stopped_pool_holds_only_its_departments_automatic_work_until_it_returns(topology):
    central_service = _service("topology-central", [["psb"], ["mip"]], automatic=("psb",))
    enterprise_service = _service("topology-enterprise", [["fire"], ["mip"]], automatic=("fire",))
    token = token_issue(user=CitizenFactory())[1]
    pool = topology.pools["enterprise"]
    pool.stop()
    try:
        held = _submit(topology, token, enterprise_service.code, key="held").json()["reference"]
        going = _submit(topology, token, central_service.code, key="going").json()["reference"]

        wait_until(
            lambda: _steps(going) == {"psb": "approved", "mip": "open"},
            timeout=60,
            what="the central pool's check",
            logs=[topology.pools["central"]],
        )
        wait_until(lambda: queue_length(topology.redis_url, "dept.fire") == 1, timeout=30, what="fire's check queued")
        assert _steps(held) == {"fire": "open"}
        assert Step.objects.get(application__reference=held).automatic_check == "applicant_adult"
    finally:
        topology.start_pool("enterprise")

    wait_until(
        lambda: _steps(held) == {"fire": "approved", "mip": "open"}, timeout=60, what="fire's check", logs=[pool]
    )
    assert queue_length(topology.redis_url, "dept.fire") == 0


# --- beat ------------------------------------------------------------------------------------


def test_two_beats_send_each_periodic_task_once_and_the_other_takes_over(topology):
    beats = topology.beats
    central = topology.pools["central"]
    wait_until(lambda: any(BEAT_SENT in b.log() for b in beats), timeout=30, what="a beat sending", logs=beats)
    beat_marks = [len(b.log_lines()) for b in beats]
    worker_mark = len(central.log_lines())
    time.sleep(6)
    time.sleep(1.5)  # the last ones sent reach the worker

    sent = [_new_lines(b, m).count(BEAT_SENT) for b, m in zip(beats, beat_marks, strict=True)]
    received = _received(_new_lines(central, worker_mark), "audit.seal")
    assert sorted(sent)[0] == 0, sent  # one beat sends, the other waits
    assert 5 <= sum(sent) <= 9, sent  # every second, once
    assert abs(received - sum(sent)) <= 1, (received, sent)

    holder = beats[0] if sent[0] else beats[1]
    other = beats[1] if holder is beats[0] else beats[0]
    other_mark = len(other.log_lines())
    holder.kill()  # no release: the lock expires
    try:
        wait_until(
            lambda: _new_lines(other, other_mark).count(BEAT_SENT) >= 2, timeout=20, what="the takeover", logs=beats
        )
    finally:
        holder.start()


# --- a web node killed -------------------------------------------------------------------------


def test_a_web_node_killed_during_a_stream_of_submissions_loses_none(topology):
    service = _service("topology-stream", [["hrss"]])
    # Six citizens, each at an address of their own: the API's submissions are counted per
    # address (RATE_LIMIT_SUBMIT), as nginx hands it on.
    citizens = [(token_issue(user=CitizenFactory())[1], f"127.0.1.{n + 1}") for n in range(6)]
    jobs = [(*citizens[n % len(citizens)], f"stream-{n}-{uuid.uuid4().hex[:8]}") for n in range(30)]
    results: dict[str, str] = {}
    retries: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()

    def send(token: str, source: str, key: str) -> None:
        for _attempt in range(30):
            try:
                answer = _submit(topology, token, service.code, key, source=source)
            except (OSError, http.client.HTTPException) as exc:
                outcome = repr(exc)
            else:
                if answer.status in (200, 201):
                    with lock:
                        results[key] = answer.json()["reference"]
                    return
                outcome = f"{answer.status} {answer.body[:200]!r}"
                if answer.status not in (502, 503, 504):
                    failures.append(f"{key}: {outcome}")
                    return
            with lock:
                retries.append(f"{key}: {outcome}")
            time.sleep(0.3)
        failures.append(f"{key}: gave up")

    def client(share: list[tuple[str, str, str]]) -> None:
        for token, source, key in share:
            send(token, source, key)

    threads = [threading.Thread(target=client, args=(jobs[i::4],)) for i in range(4)]
    victim = topology.web[0]
    counter = psycopg.connect(worker.test_database_url())
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: len(results) >= 8, timeout=60, what="the first submissions", logs=topology.web)
        # The next submissions wait for the reference numbers' counter, held here: the node
        # dies with submissions inside it.
        counter.execute("SELECT * FROM applications_referencecounter FOR UPDATE")
        wait_until(lambda: _waiting("web0"), timeout=20, what="a submission inside web0", logs=topology.web)
        victim.kill()
        counter.rollback()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        counter.close()
        victim.start()
        wait_until(lambda: port_open(topology.web_ports[0]), timeout=60, what="the node back", logs=[victim])

    assert not failures, failures
    assert len(results) == len(jobs)
    for _token, _source, key in jobs:
        references = list(Application.objects.filter(idempotency_key=key).values_list("reference", flat=True))
        assert references == [results[key]], key
    # Every case routed once, by the workers, whichever node took it.
    wait_until(
        lambda: Step.objects.filter(application__service=service).count() == len(jobs),
        timeout=60,
        what="every case routed",
        logs=[topology.pools["central"]],
    )
    assert Step.objects.filter(application__service=service, department__code="hrss").count() == len(jobs)
    # The node had answered some, and died with others inside: nginx answered 502 for those
    # and sent none again itself; their clients did, with the same key.
    access = _access_log(topology)
    assert f"upstream=127.0.0.1:{topology.web_ports[0]}:20" in access
    assert any(": 502 " in retry for retry in retries), retries


def _waiting(node: str) -> bool:
    """Whether a request of `node` (its database connections are named after it) waits for a lock."""
    with psycopg.connect(worker.test_database_url(), autocommit=True) as probe:
        (count,) = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'", [node]
        ).fetchone()
    return count > 0
