"""Settings, read from the environment (every variable is listed in .env.example).

Where the portal runs is PORTAL_ENV, and anything not named is production: a deployment that
forgets to say gets every default on the safe side, and refuses to start with debugging on
or with a key anyone could know. The other places are named on purpose:

- embedded: `make run`, the demo on one machine (SQLite and the Redis it starts, unless
  DATABASE_URL and REDIS_URL say otherwise), with the published development keys;
- test: the test suite (portal.settings_test says so);
- development: a developer's own runs (`manage.py runserver`, the Makefile's tools), with
  debugging on by default.
"""

import base64
import binascii
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from services.core.queues import broker_options

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

# The embedded run's database, Redis files, media and logs (make run).
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

PORTAL_ENVIRONMENTS = ("production", "embedded", "test", "development")
PORTAL_ENV = env.str("PORTAL_ENV", default="production")
if PORTAL_ENV not in PORTAL_ENVIRONMENTS:
    raise ImproperlyConfigured(f"PORTAL_ENV={PORTAL_ENV!r}: use one of {', '.join(PORTAL_ENVIRONMENTS)}.")
PRODUCTION = PORTAL_ENV == "production"

# Published in this repository, so good for nothing but the demo, tests and development.
DEVELOPMENT_KEYS = {
    "SECRET_KEY": "development-only-not-secret-" + "x" * 40,
    "FIELD_ENCRYPTION_KEYS": "ZGV2ZWxvcG1lbnQtb25seS1ub3Qtc2VjcmV0LWtleTE=",
    "BLIND_INDEX_KEY": "development-only-blind-index-key",
    "LICENCE_SIGNING_KEY": "development-only-licence-signing-key",
    # An Ed25519 private key (base64 of 32 bytes): "development-only-audit-key-32byt".
    "AUDIT_CHECKPOINT_SIGNING_KEY": "ZGV2ZWxvcG1lbnQtb25seS1hdWRpdC1rZXktMzJieXQ=",
}
# Its public half, which only the development key's checkpoints verify with.
DEVELOPMENT_AUDIT_VERIFY_KEY = "IA1+yh4pugMRlMuc3vOWp/d4qrL+0rlBLZ8T5JrUs4I="


def _production_key(name: str, minimum: int = 32) -> str:
    """A key production must be given: present, long enough, and not a published one."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: production needs a secret of its own (see .env.example).")
    if value in DEVELOPMENT_KEYS.values() or value.startswith(("django-insecure", "development-only")):
        raise ImproperlyConfigured(f"{name} is a development key, published with the code: set a secret of its own.")
    if len(value) < minimum:
        raise ImproperlyConfigured(f"{name} is too short: use at least {minimum} random characters.")
    return value


def _fernet_keys(raw: str) -> list[str]:
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for key in keys:
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key (32 bytes, URL-safe base64): make one "
                'with python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())".'
            )
        if key in DEVELOPMENT_KEYS.values():
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS holds the development key, published with the code: remove it."
            )
    return keys


if PRODUCTION:
    SECRET_KEY = _production_key("SECRET_KEY", minimum=50)
    # Personal data at rest: Fernet keys (the first encrypts, all decrypt) and the blind-index key.
    FIELD_ENCRYPTION_KEYS = _fernet_keys(_production_key("FIELD_ENCRYPTION_KEYS", minimum=44))
    BLIND_INDEX_KEY = _production_key("BLIND_INDEX_KEY")
    # Signs e-licence verification codes.
    LICENCE_SIGNING_KEY = _production_key("LICENCE_SIGNING_KEY")
    # The audit trail's checkpoints: the public keys they verify with (every process), and
    # the private key that signs them (only the worker that writes them; see .env.example).
    AUDIT_CHECKPOINT_VERIFY_KEYS = env.list("AUDIT_CHECKPOINT_VERIFY_KEYS", default=[])
    if not AUDIT_CHECKPOINT_VERIFY_KEYS:
        raise ImproperlyConfigured(
            "AUDIT_CHECKPOINT_VERIFY_KEYS is not set: production needs the public key of the audit checkpoints."
        )
    if DEVELOPMENT_AUDIT_VERIFY_KEY in AUDIT_CHECKPOINT_VERIFY_KEYS:
        raise ImproperlyConfigured(
            "AUDIT_CHECKPOINT_VERIFY_KEYS holds the development key, published with the code: remove it."
        )
    AUDIT_CHECKPOINT_SIGNING_KEY = env.str("AUDIT_CHECKPOINT_SIGNING_KEY", default="")
    if DEVELOPMENT_KEYS["AUDIT_CHECKPOINT_SIGNING_KEY"] == AUDIT_CHECKPOINT_SIGNING_KEY:
        raise ImproperlyConfigured(
            "AUDIT_CHECKPOINT_SIGNING_KEY is a development key, published with the code: make one of your own."
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_KEYS["SECRET_KEY"])
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[DEVELOPMENT_KEYS["FIELD_ENCRYPTION_KEYS"]])
    BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default=DEVELOPMENT_KEYS["BLIND_INDEX_KEY"])
    LICENCE_SIGNING_KEY = env.str("LICENCE_SIGNING_KEY", default=DEVELOPMENT_KEYS["LICENCE_SIGNING_KEY"])
    AUDIT_CHECKPOINT_SIGNING_KEY = env.str(
        "AUDIT_CHECKPOINT_SIGNING_KEY", default=DEVELOPMENT_KEYS["AUDIT_CHECKPOINT_SIGNING_KEY"]
    )
    AUDIT_CHECKPOINT_VERIFY_KEYS = env.list("AUDIT_CHECKPOINT_VERIFY_KEYS", default=[DEVELOPMENT_AUDIT_VERIFY_KEY])
# Where the checkpoints are written: outside the database, where the web processes cannot write.
AUDIT_CHECKPOINT_DIR = env.path("AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints"))
# How long the trail is kept (pruned at a signed checkpoint, so what is kept still verifies).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180)
# Backups (services.backups): encrypted to these age public keys; the private keys that open
# them are never given to the portal (a restore is told where one is).
BACKUP_RECIPIENTS = env.list("BACKUP_RECIPIENTS", default=[])
BACKUP_DIR = env.path("BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_PG_BIN_DIR = env.str("BACKUP_PG_BIN_DIR", default="")
# Security monitoring (services.monitoring.rules): how many is too many, per rule.
MONITORING = {
    "SIGN_IN_WINDOW_MINUTES": env.int("MONITORING_SIGN_IN_WINDOW_MINUTES", default=15),
    "SIGN_IN_FAILURES_PER_ACCOUNT": env.int("MONITORING_SIGN_IN_FAILURES_PER_ACCOUNT", default=5),
    "SIGN_IN_FAILURES_PER_ADDRESS": env.int("MONITORING_SIGN_IN_FAILURES_PER_ADDRESS", default=30),
    "SIGN_IN_FAILURES_CITY": env.int("MONITORING_SIGN_IN_FAILURES_CITY", default=300),
    "PERSONAL_DATA_READS_PER_HOUR": env.int("MONITORING_PERSONAL_DATA_READS_PER_HOUR", default=100),
    "PERSONAL_DATA_READS_AFTER_HOURS": env.int("MONITORING_PERSONAL_DATA_READS_AFTER_HOURS", default=10),
    "WORKING_HOURS": tuple(env.list("MONITORING_WORKING_HOURS", cast=int, default=[8, 20])),
    "EXPORTS_PER_DAY": env.int("MONITORING_EXPORTS_PER_DAY", default=20),
    "EXPORT_ROWS": env.int("MONITORING_EXPORT_ROWS", default=10000),
    "REFUSED_OBJECTS_PER_HOUR": env.int("MONITORING_REFUSED_OBJECTS_PER_HOUR", default=10),
    "NEW_ADDRESS_WINDOW_MINUTES": env.int("MONITORING_NEW_ADDRESS_WINDOW_MINUTES", default=10),
    "NEW_ADDRESS_DAYS": env.int("MONITORING_NEW_ADDRESS_DAYS", default=90),
}

# The address people reach the portal at: printed on e-licences for their verification.
PORTAL_PUBLIC_URL = env.str("PORTAL_PUBLIC_URL", default="http://127.0.0.1:8000")

DEBUG = env.bool("DEBUG", default=PORTAL_ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG is on in production: it shows settings and personal data on error pages. Set DEBUG=0 (or remove it)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "services.core",
    "services.audit",
    "services.accounts",
    "services.catalog",
    "services.applications",
    "services.casework",
    "services.records",
    "services.notifications",
    "services.monitoring",
    "services.analytics",
    "services.tooling",
    "services.backups",
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics are answered here, before the host check, the https
    # redirect, sessions, the second factor and the rate limits (portal.health).
    "portal.health.OperationalEndpoints",
    "services.core.middleware.RequestId",
    "portal.metrics.RequestMetrics",
    "django.middleware.security.SecurityMiddleware",
    "services.core.middleware.RequestInContext",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "services.accounts.middleware.SessionLimits",
    "django_otp.middleware.OTPMiddleware",
    "services.accounts.middleware.SecondFactorRequired",
    "portal.ratelimits.RateLimits",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "services.core.middleware.PersonalPagesNotStored",
    "services.accounts.middleware.SignInRefusalStatus",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "services.core.views.elder_mode_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections are kept between requests (opening one costs more than most pages), and
# checked before reuse, so a database restart costs one failed check, not an error page.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server: psycopg prepares a statement run five times on a
    # connection, and PostgreSQL plans it once instead of at every request.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env.bool(
        "DB_SERVER_SIDE_BINDING", default=True
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The test database is a file, not memory, so that a real Celery worker process in the
    # integration tests sees the same data.
    # One file per test run, so that two runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # SQLite is the embedded default: WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A PostgreSQL streaming replica for the statistics (services.core.replica): read while it is
# reachable and at most REPLICA_MAX_LAG_SECONDS behind, else the primary, logged.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db_url("DATABASE_REPLICA_URL"),
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        # The tests read the test database through it: no database of its own to create.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["services.core.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30.0)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# How soon another process sees a day a system administrator entered in the official calendar.
CALENDAR_CHECK_SECONDS = env.float("CALENDAR_CHECK_SECONDS", default=5.0)

AUTH_USER_MODEL = "accounts.User"
# axes first: it stops the tries of a locked account (see accounts.signin).
# The identity provider's backend acts only on its own callback, and only when configured.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "services.accounts.backends.MobileOrEmailBackend",
    "services.accounts.oidc.GovernmentAccountBackend",
]

# The addresses (or networks) of the proxies in front of the portal: only a connection from
# one of them may name the client's address in X-Forwarded-For. None by default.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Sign-in (accounts.signin): after SIGN_IN_DELAY_AFTER wrong passwords an account waits
# SIGN_IN_DELAY_SECONDS, then twice as long each time; after SIGN_IN_LOCK_AFTER it is locked
# until lifted. SIGN_IN_ADDRESS_FAILURES wrong passwords from one address in
# SIGN_IN_ADDRESS_WINDOW seconds make that address wait for the window's end.
SIGN_IN_DELAY_AFTER = env.int("SIGN_IN_DELAY_AFTER", default=3)
SIGN_IN_DELAY_SECONDS = env.int("SIGN_IN_DELAY_SECONDS", default=15)
SIGN_IN_LOCK_AFTER = env.int("SIGN_IN_LOCK_AFTER", default=10)
SIGN_IN_ADDRESS_FAILURES = env.int("SIGN_IN_ADDRESS_FAILURES", default=50)
SIGN_IN_ADDRESS_WINDOW = env.int("SIGN_IN_ADDRESS_WINDOW", default=900)
# Codes sent by text message to prove a mobile number (accounts.verification): how long one
# lasts, how many wrong tries it allows, how soon another may be asked for, and how many an
# hour go to one number and come from one address.
PHONE_CODE_SECONDS = env.int("PHONE_CODE_SECONDS", default=600)
PHONE_CODE_TRIES = env.int("PHONE_CODE_TRIES", default=5)
PHONE_CODE_RESEND_SECONDS = env.int("PHONE_CODE_RESEND_SECONDS", default=60)
PHONE_CODES_PER_NUMBER = env.int("PHONE_CODES_PER_NUMBER", default=5)
PHONE_CODES_PER_ADDRESS = env.int("PHONE_CODES_PER_ADDRESS", default=20)
# The name authenticator apps show beside a staff member's code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="一网通办")
# Staff sign-in through the government's identity provider (OpenID Connect,
# accounts.oidc): off unless OIDC_RP_CLIENT_ID is set. The provider is named by its issuer
# URL; its endpoints and keys come from its discovery document
# (ISSUER/.well-known/openid-configuration). Its groups claim (OIDC_GROUPS_CLAIM) gives the
# roles, through the groups a system administrator maps in the admin; an `amr` with one of
# OIDC_MFA_AMR counts as the second factor, any other sign-in is asked for the portal's own.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="").rstrip("/")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid profile")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_MFA_AMR = env.list("OIDC_MFA_AMR", default=["mfa", "otp", "hwk", "swk"])
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
if OIDC_RP_CLIENT_ID or OIDC_OP_ISSUER:
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET and OIDC_OP_ISSUER):
        raise ImproperlyConfigured(
            "Sign-in through the identity provider needs OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET and OIDC_OP_ISSUER "
            "together (see .env.example); set all three, or none to leave it off."
        )
    if PRODUCTION and not OIDC_OP_ISSUER.startswith("https://"):
        raise ImproperlyConfigured("OIDC_OP_ISSUER must be an https:// address in production.")
    if OIDC_RP_SIGN_ALGO not in ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512"):
        raise ImproperlyConfigured(
            f"OIDC_RP_SIGN_ALGO={OIDC_RP_SIGN_ALGO!r}: use the provider's RS256 (or RS384, RS512, ES256, ES384, ES512)."
        )
# How mozilla-django-oidc runs the flow: PKCE, the client's secret in the Authorization
# header, the callback at accounts:oidc-callback.
OIDC_USE_PKCE = True
OIDC_TOKEN_USE_BASIC_AUTH = True
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = SIGN_IN_LOCK_AFTER
AXES_COOLOFF_TIME = None  # locked until lifted
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "services.core.net.client_address"
AXES_USERNAME_CALLABLE = "services.accounts.signin.axes_username"
AXES_LOCKOUT_CALLABLE = "services.accounts.signin.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 403
# axes counts per account only: per address, accounts.signin counts wrong passwords itself,
# with a larger limit (axes has one limit for both).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# WhiteNoise serves the static files in every run. Collected (production and `make run`):
# from STATIC_ROOT, compressed, under names with their content's hash, cached for a year.
# Otherwise (tests, `manage.py runserver`): straight from the source folders.
STATIC_COLLECTED = env.bool("STATIC_COLLECTED", default=PRODUCTION)
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
WHITENOISE_AUTOREFRESH = not STATIC_COLLECTED  # files are looked up per request, never a stale copy
# The citizens' files (uploads, wallet documents, issued e-licences) go through Django's
# storage API: the local disk (MEDIA_ROOT) on one machine; S3-compatible object storage
# (django-storages) when several nodes must read them, set by S3_BUCKET. The bucket stays
# private: every file is streamed by the portal's own views, which check who asks and log it;
# no object URL is ever handed out.
S3_BUCKET = env.str("S3_BUCKET", default="")


def file_storage(bucket: str) -> dict:
    """The storage of the citizens' files: S3 when a bucket is named, else the local disk."""
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            # Unset: the credentials of the machine (instance role, environment, config file).
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }


STORAGES = {
    "default": file_storage(S3_BUCKET),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Redis carries the Celery broker and the cache. The embedded run exports REDIS_URL for
# the Redis server it starts; without one (tests on a bare machine) tasks run eagerly.
REDIS_URL = env.str("REDIS_URL", default="")

CACHES = {
    "default": {"BACKEND": "services.core.redis_cache.PortalRedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# A signed-in request reads its session from the cache; the database keeps it across restarts.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Rate limits (portal.ratelimits): "count/period", period s, m, h or d.
RATE_LIMITS = {
    "verify": env.str("RATE_LIMIT_VERIFY", default="30/m"),  # per address
    "open-data": env.str("RATE_LIMIT_OPEN_DATA", default="60/m"),  # per address
    "submit": env.str("RATE_LIMIT_SUBMIT", default="20/h"),  # per account
    "reveal": env.str("RATE_LIMIT_REVEAL", default="60/h"),  # per account
    "writes": env.str("RATE_LIMIT_WRITES", default="120/m"),  # per account
    "writes-anonymous": env.str("RATE_LIMIT_WRITES_ANONYMOUS", default="60/m"),  # per address
}
# A session ends after this long without a request, and at the latest this long after signing
# in (accounts.middleware.SessionLimits); staff's are shorter than citizens'.
SESSION_IDLE_MINUTES_STAFF = env.int("SESSION_IDLE_MINUTES_STAFF", default=30)
SESSION_IDLE_MINUTES_CITIZEN = env.int("SESSION_IDLE_MINUTES_CITIZEN", default=120)
SESSION_MAX_HOURS_STAFF = env.int("SESSION_MAX_HOURS_STAFF", default=10)
SESSION_MAX_HOURS_CITIZEN = env.int("SESSION_MAX_HOURS_CITIZEN", default=24)
SESSION_COOKIE_AGE = 3600 * max(SESSION_MAX_HOURS_STAFF, SESSION_MAX_HOURS_CITIZEN)
# API tokens (django-rest-knox, hashed at rest): they expire, citizens' after days and staff's
# after hours, and are never prolonged; an account keeps at most so many (the oldest goes).
API_TOKEN_DAYS_CITIZEN = env.int("API_TOKEN_DAYS_CITIZEN", default=7)
API_TOKEN_HOURS_STAFF = env.int("API_TOKEN_HOURS_STAFF", default=8)
API_TOKENS_PER_ACCOUNT = env.int("API_TOKENS_PER_ACCOUNT", default=10)
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 - a model name, not a secret
# knox's migrations would create its own token table although ApiToken replaces it: a table
# nobody uses that holds a key to the users. Without them, Django creates no table for the
# replaced model.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"AUTO_REFRESH": False, "AUTH_HEADER_PREFIX": "Token"}

# The broker, chosen by its URL: RabbitMQ (amqp://), the production choice, built for durable
# queues; or Redis (the embedded run, and where RabbitMQ is not available). Default: REDIS_URL.
BROKER_URL = env.str("BROKER_URL", default="") or REDIS_URL
CELERY_BROKER_URL = BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged after its work, and one message at a time per worker process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Queue types, publisher confirms and redelivery, by broker (services.core.queues.broker_options).
_broker = broker_options(BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE_TYPE = _broker["task_default_queue_type"]
CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = _broker["task_create_missing_queue_type"]
CELERY_WORKER_DETECT_QUORUM_QUEUES = _broker["worker_detect_quorum_queues"]
CELERY_BROKER_TRANSPORT_OPTIONS = _broker["broker_transport_options"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING below (JSON lines with the request id), not Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
# Beat may be started on every node (for availability): RedBeat keeps the schedule in Redis
# under a lock that one beat holds and renews; the others wait and take over within
# BEAT_LOCK_SECONDS of the holder's death. Each periodic task is sent once, whoever runs.
CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_REDBEAT_REDIS_URL = REDIS_URL
CELERY_REDBEAT_KEY_PREFIX = env.str("BEAT_KEY_PREFIX", default="portal:beat:")
CELERY_REDBEAT_LOCK_TIMEOUT = env.int("BEAT_LOCK_SECONDS", default=30)
CELERY_BEAT_MAX_LOOP_INTERVAL = min(5, CELERY_REDBEAT_LOCK_TIMEOUT // 3 or 1)
CELERY_BEAT_SCHEDULE = {
    # The audit trail: sealed into its chain every few seconds, checkpointed, pruned daily.
    "audit-seal": {"task": "audit.seal", "schedule": env.float("AUDIT_SEAL_SECONDS", default=10.0)},
    "audit-checkpoint": {"task": "audit.checkpoint", "schedule": env.float("AUDIT_CHECKPOINT_SECONDS", default=600.0)},
    "audit-prune": {"task": "audit.prune", "schedule": 86400.0},
    # Security monitoring: the rules over the audit trail.
    "monitoring-evaluate": {
        "task": "monitoring.evaluate",
        "schedule": env.float("MONITORING_EVALUATE_SECONDS", default=60.0),
    },
    # Expired API tokens and sessions are refused; this deletes them.
    "accounts-prune": {"task": "accounts.prune", "schedule": 86400.0},
    "outbox-sweep": {"task": "core.outbox_sweep", "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=30.0)},
    # Deadlines live in the database; this sweep finds the overdue steps.
    "drafts-sweep": {
        "task": "applications.drafts_sweep",
        "schedule": env.float("DRAFTS_SWEEP_SECONDS", default=3600.0),
    },
    "escalate-overdue": {
        "task": "casework.escalate_overdue",
        "schedule": env.float("ESCALATION_SWEEP_SECONDS", default=900.0),
    },
    # The dashboards read summary tables; this rebuilds their recent months.
    "analytics-refresh": {
        "task": "analytics.refresh",
        "schedule": env.float("ANALYTICS_REFRESH_SECONDS", default=600.0),
    },
}
# How many recent months each refresh rebuilds (older ones no longer change).
ANALYTICS_REFRESH_MONTHS = env.int("ANALYTICS_REFRESH_MONTHS", default=3)
OUTBOX_STALE_SECONDS = env.int("OUTBOX_STALE_SECONDS", default=120)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "services.accounts.tokens.PortalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "portal.api_schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "services.core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "services.core.api.PortalPagination",
    "DEFAULT_THROTTLE_RATES": {},
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "One-stop government service portal API",
    "DESCRIPTION": "Services, applications and department casework.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API is documented as speaking JSON (forms are still read, for old clients).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # The API's path converters (services.core.api): ids and reference numbers.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
        "reference": {"type": "string", "pattern": "^[0-9]{8}-[0-9]{4,11}$"},
    },
}

# The browser runs nothing but the portal's own files: no inline script or style, no plugin,
# no framing; charts are SVG images in data: URLs. (A file a citizen uploaded is served with
# `default-src 'none'` of its own.)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if OIDC_RP_CLIENT_ID:
    # Signing out of a session that came through the identity provider signs out there too:
    # the sign-out form's answer sends the browser on to the provider, which form-action must allow.
    _issuer = urlsplit(OIDC_OP_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{_issuer.scheme}://{_issuer.netloc}")
# No page of the portal needs the camera, the microphone, the location or payments.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
}

# Security: safe in production, relaxed only for the embedded development run.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
if env.bool("BEHIND_TLS_PROXY", default=PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Log lines: JSON, one object a line, in production (what a log collector reads), or text
# for a person at a terminal (the default of the other runs). Both carry the request id,
# and in a Celery task the task's id and name (services.core.tracing).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "console")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json or console.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "services.core.tracing.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s %(request_id)s %(task_id)s "
            "%(task_name)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
        "console": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Health and metrics (portal.health, portal.metrics). /readyz is ready when the database
# and the broker answer within HEALTH_CHECK_TIMEOUT seconds, every queue has had a worker's
# heartbeat within HEALTH_WORKER_WINDOW_SECONDS (workers write one every
# HEALTH_WORKER_HEARTBEAT_SECONDS), and no outbox message has waited more than
# HEALTH_OUTBOX_LAG_SECONDS to be handed to the broker.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
HEALTH_WORKER_HEARTBEAT_SECONDS = env.float("HEALTH_WORKER_HEARTBEAT_SECONDS", default=10.0)
HEALTH_WORKER_WINDOW_SECONDS = env.float("HEALTH_WORKER_WINDOW_SECONDS", default=30.0)
if HEALTH_WORKER_WINDOW_SECONDS < 2 * HEALTH_WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "HEALTH_WORKER_WINDOW_SECONDS must be at least twice HEALTH_WORKER_HEARTBEAT_SECONDS, or one late "
        "heartbeat makes the portal unready."
    )
HEALTH_OUTBOX_LAG_SECONDS = env.float("HEALTH_OUTBOX_LAG_SECONDS", default=300.0)
# /metrics answers a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`, or one whose
# address (as core.net trusts it) is in METRICS_ALLOWED_ADDRESSES (addresses or networks);
# with neither set it answers nobody (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if PRODUCTION and METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN is too short: use at least 32 random characters.")
# Several gunicorn workers keep their request measurements in files there, for /metrics to
# add up (prometheus-client reads the same variable; portal.gunicorn_config cleans up).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=[] if PRODUCTION else ["127.0.0.1", "::1"])

PORTAL_NAME = _("One-stop government services")

# The citizen's journey.
DRAFT_RETENTION_DAYS = env.int("DRAFT_RETENTION_DAYS", default=30)
DRAFT_REMINDER_DAYS = env.int("DRAFT_REMINDER_DAYS", default=7)  # before deletion
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FOLLOW_UP_WORKING_DAYS = env.int("FOLLOW_UP_WORKING_DAYS", default=5)

# Messages beyond the in-app inbox. Each channel has a backend class; the console ones print.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@zwfw.example.gov.cn")
NOTIFICATION_BACKENDS = {
    "email": env.str("NOTIFICATION_EMAIL_BACKEND", default="services.notifications.backends.DjangoEmailBackend"),
    "sms": env.str("NOTIFICATION_SMS_BACKEND", default="services.notifications.backends.ConsoleSmsBackend"),
}
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# The commercial SMS gateway of services.notifications.backends.HttpSmsBackend: its address,
# the portal's key id and shared secret (requests and receipts are signed with it), the
# sender's signature in the texts, the seconds to wait for it, and how often to try.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_KEY_ID = env.str("SMS_GATEWAY_KEY_ID", default="")
SMS_GATEWAY_SECRET = env.str("SMS_GATEWAY_SECRET", default="")
SMS_GATEWAY_SIGN_NAME = env.str("SMS_GATEWAY_SIGN_NAME", default="一网通办")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)
SMS_GATEWAY_ATTEMPTS = env.int("SMS_GATEWAY_ATTEMPTS", default=3)
SMS_GATEWAY_RETRY_PAUSE = env.float("SMS_GATEWAY_RETRY_PAUSE", default=0.5)

# Confirming that an ID number is the citizen's own before it is bound to the account: how
# (a callable of the citizen and the population registry's record; the default compares the
# registry's mobile number with the one the citizen proved), and how often it may be tried,
# per account and per ID number.
IDENTITY_PROOF = env.str("IDENTITY_PROOF", default="services.records.actions.identity_proven_by_mobile")
IDENTITY_TRIES = env.str("IDENTITY_TRIES", default="5/d")

# Department registries: how many times a fetch is tried before it is marked failed.
REGISTRY_MAX_ATTEMPTS = env.int("REGISTRY_MAX_ATTEMPTS", default=3)
