"""The statistics read from a real PostgreSQL streaming replica (a primary and a standby made
with pg_basebackup, started here), and from the primary, logged, when the replica lags or is
down; back on the replica when it has caught up."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.postgres_cluster import PrimaryAndReplica

pytestmark = pytest.mark.integration

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def clusters():
    pair = PrimaryAndReplica()
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()


def _run(clusters, mode: str, **env) -> dict | None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "tests/analytics/replica_probe.py", mode],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}},
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_ENV": "test",
            "DATABASE_URL": clusters.primary.url,
            "DATABASE_REPLICA_URL": clusters.replica.url,
            "REPLICA_CHECK_SECONDS": "0",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]) if mode == "probe" else None


def _caught_up(clusters, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if clusters.replica.sql("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()") == "t":
            return
        time.sleep(0.2)
    raise AssertionError("the replica did not catch up")


def test_statistics_read_the_replica_and_fall_back_to_the_primary_when_it_lags_or_is_down(clusters):
    _run(clusters, "seed")
    _caught_up(clusters)

    # 1. Fit: the page's and the refresh's reads go to the replica; the refresh writes the primary.
    fit = _run(clusters, "probe")
    assert fit["alias"] == "replica"
    assert fit["open_data"]["outcome"] == 200
    assert fit["open_data"]["replica"]["reads"] > 0 and fit["open_data"]["primary"]["reads"] == 0
    assert fit["refresh"]["outcome"] is True
    assert fit["refresh"]["replica"]["reads"] > 0
    assert fit["refresh"]["primary"]["writes"] > 0 and fit["refresh"]["replica"]["writes"] == 0

    # 2. Lagging: replay paused on the replica while the primary writes on.
    clusters.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        clusters.primary.sql(
            "CREATE TABLE written_after_the_pause (n int); INSERT INTO written_after_the_pause VALUES (1)", "portal"
        )
        time.sleep(2.5)
        lagging = _run(clusters, "probe", REPLICA_MAX_LAG_SECONDS="2")
    finally:
        clusters.replica.sql("SELECT pg_wal_replay_resume()")
    assert lagging["alias"] == "default"
    assert lagging["open_data"]["replica"]["reads"] == 0 and lagging["open_data"]["primary"]["reads"] > 0
    assert lagging["refresh"]["replica"]["reads"] == 0
    assert any(line.startswith("WARNING") and "behind" in line for line in lagging["log"]), lagging["log"]

    # 3. Down: the replica stopped.
    clusters.replica.stop()
    down = _run(clusters, "probe")
    assert down["alias"] == "default"
    assert down["open_data"]["outcome"] == 200 and down["open_data"]["primary"]["reads"] > 0
    assert any(line.startswith("WARNING") and "unreachable" in line for line in down["log"]), down["log"]

    # 4. Back and caught up: the replica again.
    clusters.replica.start()
    _caught_up(clusters)
    back = _run(clusters, "probe")
    assert back["alias"] == "replica" and back["open_data"]["replica"]["reads"] > 0
