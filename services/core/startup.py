"""What a web node, a worker or beat checks before it serves: that the broker answers, that the
file storage is there, and that a configured read replica answers. A mistake in any of them
(a wrong host, a bucket that does not exist, a storage class misspelt) stops the start with a
message naming the setting, rather than showing up as errors, or a quiet fallback, at the
first request. (Not a system check: `manage.py check --deploy` runs where the services may
not be reachable, in a build.)"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("services.startup")
TIMEOUT_SECONDS = 5


def _hide_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)


def broker_problem() -> str:
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or url.startswith("memory://"):
        return ""
    from services.core.broker import broker_check

    try:
        broker_check(url=url, timeout=TIMEOUT_SECONDS)
    except Exception as exc:
        return f"The Celery broker {_hide_password(url)} does not answer ({exc}). Check BROKER_URL (or REDIS_URL)."
    return ""


def storage_problem() -> str:
    from django.core.files.storage import storages

    backend = settings.STORAGES["default"].get("BACKEND", "")
    try:
        storage = storages["default"]
    except Exception as exc:
        return f"The file storage {backend!r} cannot be used ({exc}). Check S3_BUCKET and the S3_* settings."
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        try:
            client = storage.connection.meta.client  # type: ignore[attr-defined]  # S3Storage
            client.head_bucket(Bucket=bucket)
        except Exception as exc:
            return (
                f"The object storage bucket {bucket!r} at {getattr(storage, 'endpoint_url', '') or 'the S3 endpoint'} "
                f"cannot be reached ({exc}). Check S3_BUCKET, S3_ENDPOINT_URL and the access keys."
            )
    return ""


def replica_problem() -> str:
    from django.db import connections

    from services.core.replica import REPLICA, replica_configured

    if not replica_configured():
        return ""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
    except Exception as exc:
        connections[REPLICA].close()
        return f"The read replica does not answer ({str(exc).strip()}). Check DATABASE_REPLICA_URL."
    return ""


def startup_problems() -> list[str]:
    return [problem for problem in (broker_problem(), storage_problem(), replica_problem()) if problem]


def startup_check(*, role: str) -> None:
    """Stop the start of a web node, worker or beat when its configuration is wrong."""
    problems = startup_problems()
    if problems:
        raise ImproperlyConfigured(f"The {role} cannot start:\n- " + "\n- ".join(problems))
    logger.info("%s: broker, file storage and read replica answer", role)
