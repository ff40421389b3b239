"""A web node, a worker or beat with a wrong broker, file storage or replica setting does not
start: it says which setting to fix (real processes, nothing listening where the settings
point)."""

import os
import subprocess
import sys

import pytest

from portal.embedded import _free_port
from tests import worker

pytestmark = pytest.mark.django_db

NOWHERE = f"127.0.0.1:{_free_port()}"  # a free port: nothing answers there


def _start(command: list[str], **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, *command],
        cwd=worker.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": worker.test_database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


WEB = ["-c", "import portal.wsgi"]


def test_a_web_node_with_an_unreachable_broker_does_not_start():
    started = _start(WEB, BROKER_URL=f"amqp://guest:secret@{NOWHERE}//")
    assert started.returncode != 0
    assert "The web node cannot start" in started.stderr
    assert "does not answer" in started.stderr and "Check BROKER_URL" in started.stderr
    assert "secret" not in started.stderr  # the password is not printed


def test_a_worker_with_an_unreachable_broker_stops_at_once_with_the_setting_to_fix(redis_url):
    started = _start(
        ["-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--loglevel", "INFO"],
        BROKER_URL=f"redis://{NOWHERE}/0",
        REDIS_URL=redis_url,
    )
    assert started.returncode != 0
    assert "The worker cannot start" in started.stdout + started.stderr
    assert "Check BROKER_URL" in started.stdout + started.stderr


def test_a_web_node_with_an_unknown_bucket_or_an_unreachable_replica_does_not_start(redis_url):
    bucket = _start(
        WEB,
        REDIS_URL=redis_url,
        S3_BUCKET="portal-files",
        S3_ENDPOINT_URL=f"http://{NOWHERE}",
        S3_ACCESS_KEY_ID="k",
        S3_SECRET_ACCESS_KEY="s",
    )
    assert bucket.returncode != 0
    assert "'portal-files'" in bucket.stderr and "Check S3_BUCKET, S3_ENDPOINT_URL" in bucket.stderr

    replica = _start(WEB, REDIS_URL=redis_url, DATABASE_REPLICA_URL=f"postgres://postgres@{NOWHERE}/portal")
    assert replica.returncode != 0
    assert "The read replica does not answer" in replica.stderr and "DATABASE_REPLICA_URL" in replica.stderr


def test_a_web_node_whose_broker_storage_and_replica_answer_starts(redis_url):
    started = _start([*WEB[:1], "import portal.wsgi; print('served')"], REDIS_URL=redis_url)
    assert started.returncode == 0, started.stderr[-2000:]
    assert "served" in started.stdout
