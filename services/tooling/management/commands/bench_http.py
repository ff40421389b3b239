"""`make bench-http`: the portal served as production serves it, under load, against a bare
Django view under the same server on the same machine.

Both run under gunicorn with the same number of sync workers; wrk drives each scenario in
turn. Every figure is printed as requests per second and as a share of what the bare view
answered in the same run, with the median and 95th-percentile latency and the errors, so the
table means the same on a faster or a slower machine. A scenario under its target fails the
command (--report-only prints the table and stops there).

Data: the PostgreSQL database of `make bench` (a million generated cases, made once), the
demo accounts, a citizen with a token for submissions, and a private Redis for the cache and
the broker (no worker runs: submissions queue their routing, as they would while the
workers are busy)."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from services.accounts.constants import UserKind
from services.accounts.second_factor import needs_second_factor
from services.accounts.tokens import token_issue
from services.casework.constants import StepStatus
from services.casework.models import Application, Step
from services.casework.submission import application_submit
from services.catalog.models import Service

BASE_DIR = Path(settings.BASE_DIR)
LUA = Path(__file__).resolve().parents[2] / "http" / "plan.lua"

# Shares of the bare view's requests per second that each kind of scenario must reach.
TARGETS = {
    "anonymous": 0.30,
    "api": 0.30,
    "citizen": 0.12,
    "workbench": 0.08,
    "submit": 0.05,
    "mixed": 0.15,
}
WORKBENCH_P95_MS = 60.0

SUBMITTER = "bench-submitter"
SUBMIT_ANSWERS = (
    '{"service": "public-rental-housing", "answers": {"applicant_name": "张伟", '
    '"applicant_id_number": "11010519491231002X", "applicant_mobile": "13800138001", '
    '"household_size": 3, "monthly_income": 6000, "current_address": "幸福路88号"}}'
)


@dataclass
class Request:
    path: str
    weight: int = 1
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str | None = None
    unique: bool = False  # a fresh Idempotency-Key on every request


@dataclass
class Scenario:
    name: str
    kind: str  # a key of TARGETS, or "bare"
    requests: list[Request]
    connections: int | None = None


@dataclass
class Result:
    scenario: Scenario
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    requests: int


class Command(BaseCommand):
    help = "Benchmark the portal over HTTP against a bare Django view under the same server."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=10, help="How long wrk drives each scenario.")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, for both servers.")
        parser.add_argument("--cases", type=int, default=1_000_000, help="Generated cases the database must hold.")
        parser.add_argument("--only", default="", help="Comma-separated words: run the scenarios whose name has one.")
        parser.add_argument("--report-only", action="store_true", help="Print the table; never fail.")

    def handle(self, *args, seconds, connections, workers, cases, only, report_only, **options):
        if not shutil.which("wrk"):
            raise CommandError("wrk is not installed: apt-get install wrk (make bench-http does it).")
        if connection.vendor != "postgresql":
            self.stderr.write("Not PostgreSQL: the figures will not say much about production.")
        self._data_ensure(cases)
        fixtures = self._fixtures()
        scenarios = self._scenarios(fixtures)
        if only:
            words = [w.strip() for w in only.split(",") if w.strip()]
            scenarios = [s for s in scenarios if s.kind == "bare" or any(w in s.name for w in words)]
        self.stdout.write(
            f"{Application.objects.count():,} cases; gunicorn with {workers} sync workers; "
            f"wrk {seconds} s per scenario, {connections} connections; {os.cpu_count()} CPUs."
        )
        with self._servers(workers) as (portal, bare):
            results = []
            for scenario in scenarios:
                url = bare if scenario.kind == "bare" else portal
                results.append(self._drive(url, scenario, seconds, scenario.connections or connections))
                self.stdout.write(f"  {scenario.name}: {results[-1].rps:,.0f} req/s", ending="\n")
        self._report(results, report_only)

    # Data ---------------------------------------------------------------------------------

    def _data_ensure(self, cases: int) -> None:
        if not get_user_model().objects.filter(username="psb.reviewer").exists():
            call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        have = Application.objects.count()
        if have < cases:
            self.stdout.write(f"{have:,} cases; generating {cases - have:,} more (once; kept for later runs).")
            call_command("seed_load", cases=cases - have)

    def _fixtures(self) -> dict:
        users = get_user_model().objects
        citizen = users.get(mobile="13800138001")
        submitter, _created = users.get_or_create(
            username=SUBMITTER, defaults={"kind": UserKind.CITIZEN, "full_name": "压测申请人"}
        )
        self._wallet_for(submitter, service_code=json.loads(SUBMIT_ANSWERS)["service"])
        staff = users.get(username="psb.reviewer")
        case = Application.objects.filter(citizen=citizen).order_by("-pk").first()
        if case is None:
            # The demo citizen's case page is one of the scenarios: make one as a citizen would.
            body = json.loads(SUBMIT_ANSWERS)
            case, _created = application_submit(
                citizen=citizen, service_code=body["service"], answers=body["answers"], idempotency_key="bench-case"
            )
        guides = list(Service.objects.filter(is_published=True).order_by("code").values_list("code", flat=True))
        open_steps = Step.objects.filter(department__code="psb", status=StepStatus.OPEN).count()
        self.stdout.write(f"psb.reviewer's department has {open_steps:,} open steps.")
        return {
            "citizen_cookie": self._session_cookie(citizen),
            "staff_cookie": self._session_cookie(staff),
            "citizen_token": token_issue(user=citizen, device="bench")[1],
            "submitter_token": token_issue(user=submitter, device="bench")[1],
            "case": case.reference,
            "guides": guides,
        }

    def _wallet_for(self, citizen, *, service_code: str) -> None:
        """The API takes an application only with its materials, as the pages do: the
        submitter's wallet holds a document for each one that must come with it."""
        from datetime import date

        from services.records.models import DocumentSource, WalletDocument

        service = Service.objects.get(code=service_code)
        for material in service.materials.filter(required=True, deferrable_days=None):
            document_type = material.document_type
            if document_type is None:
                continue
            WalletDocument.objects.get_or_create(
                citizen=citizen,
                document_type=document_type,
                source=DocumentSource.REGISTRY,
                defaults={
                    "number": f"BENCH-{document_type.code.upper()}",
                    "holder_name": citizen.full_name,
                    "issuer": document_type.issuer or service.lead_department,
                    "issued_on": date(2020, 5, 1),
                },
            )

    def _session_cookie(self, user) -> str:
        """A signed-in session, as after the sign-in page (and, for staff, the second factor
        with the demo authenticator)."""
        client = Client()
        client.force_login(user)
        if needs_second_factor(user):
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
            session.save()
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    def _scenarios(self, f: dict) -> list[Scenario]:
        citizen = {"Cookie": f["citizen_cookie"]}
        staff = {"Cookie": f["staff_cookie"]}
        citizen_api = {"Authorization": f"Token {f['citizen_token']}"}
        submit = Request(
            "/api/v1/applications/",
            method="POST",
            headers={"Authorization": f"Token {f['submitter_token']}", "Content-Type": "application/json"},
            body=SUBMIT_ANSWERS,
            unique=True,
        )
        guides = [Request(f"/services/{code}/") for code in f["guides"]]
        browsing = [Request("/services/", weight=3), *guides, Request("/api/v1/services/"), Request("/open-data/")]
        citizen_pages = [
            Request("/my/applications/", headers=citizen),
            Request(f"/my/applications/{f['case']}/", headers=citizen),
            Request("/api/v1/applications/", headers=citizen_api),
        ]

        def weighted(requests: list[Request], total: int) -> list[Request]:
            share = sum(r.weight for r in requests)
            return [
                Request(r.path, r.weight * total * 10 // share or 1, r.method, r.headers, r.body, r.unique)
                for r in requests
            ]

        return [
            Scenario("bare Django view", "bare", [Request("/")]),
            Scenario("anonymous: catalogue page", "anonymous", [Request("/services/")]),
            Scenario("anonymous: service guides", "anonymous", guides),
            Scenario("api: services", "api", [Request("/api/v1/services/")]),
            Scenario("api: a citizen's cases (token)", "api", [Request("/api/v1/applications/", headers=citizen_api)]),
            Scenario("citizen: my applications", "citizen", [Request("/my/applications/", headers=citizen)]),
            Scenario("citizen: a case page", "citizen", [Request(f"/my/applications/{f['case']}/", headers=citizen)]),
            Scenario("staff: workbench queue", "workbench", [Request("/workbench/", headers=staff)]),
            Scenario("submissions over the API", "submit", [submit], connections=8),
            Scenario(
                "mixed: 70/20/8/2",
                "mixed",
                weighted(browsing, 70)
                + weighted(citizen_pages, 20)
                + weighted([Request("/workbench/", headers=staff)], 8)
                + weighted([submit], 2),
            ),
        ]

    # Servers ------------------------------------------------------------------------------

    @contextmanager
    def _servers(self, workers: int):
        from portal.embedded import start_redis

        folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
        processes: list[subprocess.Popen] = []
        try:
            redis, redis_url = start_redis(folder, data_dir=folder, persist=False)
            processes.append(redis)
            env = self._production_env(redis_url, folder / "static")
            collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
            subprocess.run(collect, cwd=BASE_DIR, env=env, check=True)  # noqa: S603 - our own manage.py
            portal_port, bare_port = _free_port(), _free_port()
            processes.append(
                self._gunicorn("portal.wsgi:application", portal_port, workers, env, folder / "portal.log")
            )
            processes.append(
                self._gunicorn("services.tooling.bare_wsgi:application", bare_port, workers, env, folder / "bare.log")
            )
            portal, bare = f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{bare_port}"
            _wait_until_up(portal + "/services/", processes[1], folder / "portal.log")
            _wait_until_up(bare + "/", processes[2], folder / "bare.log")
            yield portal, bare
        finally:
            for process in reversed(processes):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            shutil.rmtree(folder, ignore_errors=True)

    def _production_env(self, redis_url: str, static_root: Path) -> dict:
        """Served as production serves it (gunicorn, static files collected, no debugging),
        as the embedded run: over plain HTTP on the loopback, and with the keys the data was
        written with, so that the generated cases decrypt and the sessions verify
        (production refuses the published development keys). The sessions of the load last
        as long as the run."""
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{settings.DATABASES['default']['NAME']}"
        return {
            **os.environ,
            "PORTAL_ENV": "embedded",
            "DEBUG": "0",
            "STATIC_COLLECTED": "1",
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
            "LICENCE_SIGNING_KEY": settings.LICENCE_SIGNING_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database,
            "REDIS_URL": redis_url,
            "STATIC_ROOT": str(static_root),
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "BEHIND_TLS_PROXY": "0",
            "LOG_LEVEL": "WARNING",
            # The limits are counted as in production (their cost is measured), at rates that
            # one load generator sending thousands of requests a second does not reach.
            "RATE_LIMIT_SUBMIT": "100000000/h",
            "RATE_LIMIT_WRITES": "100000000/m",
            "RATE_LIMIT_OPEN_DATA": "100000000/m",
            "RATE_LIMIT_VERIFY": "100000000/m",
        }

    def _gunicorn(self, app: str, port: int, workers: int, env: dict, log: Path) -> subprocess.Popen:
        command = [sys.executable, "-m", "gunicorn", app, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        command += ["--worker-class", "sync", "--timeout", "60", "--log-level", "warning"]
        return subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            command, cwd=BASE_DIR, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )

    # Load ---------------------------------------------------------------------------------

    def _drive(self, base_url: str, scenario: Scenario, seconds: int, connections: int) -> Result:
        _preflight(base_url, scenario)
        run = secrets.token_hex(4)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
            script.write(f'RUN = "{run}"\nPLAN = {{\n')
            for r in scenario.requests:
                headers = ", ".join(f'["{k}"] = {_lua(v)}' for k, v in r.headers.items())
                body = _lua(r.body) if r.body is not None else "nil"
                script.write(
                    f"  {{weight = {r.weight}, method = {_lua(r.method)}, path = {_lua(r.path)}, "
                    f"headers = {{{headers}}}, body = {body}, unique = {'true' if r.unique else 'false'}}},\n"
                )
            script.write("}\n")
            script.write(LUA.read_text(encoding="utf-8"))
        try:
            threads = min(2, connections)
            output = subprocess.run(  # noqa: S603 - wrk, found on the PATH
                [
                    *(shutil.which("wrk") or "wrk", "-t", str(threads), "-c", str(connections)),
                    *("-d", f"{seconds}s", "--timeout", "10s", "-s", script.name, base_url),
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=seconds + 60,
            ).stdout
        finally:
            os.unlink(script.name)
        line = next((line for line in output.splitlines() if line.startswith("RESULT ")), None)
        if line is None:
            raise CommandError(f"wrk said nothing usable for {scenario.name}:\n{output}")
        requests, duration_us, p50_us, p95_us, status_errors, socket_errors = (int(x) for x in line.split()[1:])
        return Result(
            scenario=scenario,
            rps=requests / (duration_us / 1_000_000),
            p50_ms=p50_us / 1000,
            p95_ms=p95_us / 1000,
            errors=status_errors + socket_errors,
            requests=requests,
        )

    # Report -------------------------------------------------------------------------------

    def _report(self, results: list[Result], report_only: bool) -> None:
        bare = next(r for r in results if r.scenario.kind == "bare")
        missed = []
        self.stdout.write("")
        columns = ("req/s", "of bare", "target", "p50 ms", "p95 ms", "errors")
        self.stdout.write(f"| {'scenario':<32} | " + " | ".join(f"{c:>7}" for c in columns) + " |")
        self.stdout.write(f"| {'-' * 32} | " + " | ".join("-" * 6 + ":" for _ in columns) + " |")
        for r in results:
            share = r.rps / bare.rps
            target = TARGETS.get(r.scenario.kind)
            ok = target is None or share >= target
            if r.scenario.kind == "workbench" and r.p95_ms > WORKBENCH_P95_MS:
                ok = False
            if r.errors:
                ok = False
            if not ok:
                missed.append(r.scenario.name)
            self.stdout.write(
                f"| {r.scenario.name:<32} | {r.rps:>7,.0f} | {share:>7.1%} | "
                f"{(f'{target:.0%}' if target else '-'):>7} | {r.p50_ms:>7.1f} | {r.p95_ms:>7.1f} | {r.errors:>7} |"
            )
        self.stdout.write("")
        if missed and not report_only:
            raise CommandError("under target (or with errors): " + ", ".join(missed))
        if not missed:
            self.stdout.write(self.style.SUCCESS("every scenario at or over its target, without errors"))


def _lua(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _preflight(base_url: str, scenario: Scenario) -> None:
    """Each page of the scenario answers 200 as it is before the load: a redirect (to the
    sign-in page, to the second factor) would be measured as a fast page."""
    opener = urllib.request.build_opener(_NoRedirect)
    for request in {r.path: r for r in scenario.requests if r.method == "GET"}.values():
        try:
            status = opener.open(urllib.request.Request(base_url + request.path, headers=request.headers)).status  # noqa: S310 - our own server
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            raise CommandError(f"{scenario.name}: {request.path} answers {status}, not 200, before the load")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"{url} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise CommandError(f"{url} did not answer within {seconds:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")
