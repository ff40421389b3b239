"""Beat started on two nodes sends each periodic task once: one holds the lock in Redis, the
other waits, and takes over when the first dies (real `celery beat` processes, real Redis)."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis

from tests import worker

pytestmark = pytest.mark.django_db

SENT = "Sending due task audit-seal"


class Beat:
    def __init__(self, *, redis_url: str, prefix: str):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": worker.test_database_url(),
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "BEAT_KEY_PREFIX": prefix,
            "BEAT_LOCK_SECONDS": "3",
            "AUDIT_SEAL_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"],
            cwd=worker.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def sent(self) -> int:
        return sum(SENT in line for line in self.lines)

    def holds_lock(self) -> bool:
        return any("Acquired lock" in line for line in self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def _until(condition, seconds: float, what: str, beats: list[Beat]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = "\n".join(f"--- beat {i}\n" + "\n".join(b.lines[-20:]) for i, b in enumerate(beats))
    raise AssertionError(f"{what} within {seconds} s:\n{logs}")


def test_two_beats_send_each_periodic_task_once_and_the_second_takes_over(redis_url):
    prefix = f"test:beat:{uuid.uuid4().hex[:8]}:"
    first = Beat(redis_url=redis_url, prefix=prefix)
    beats = [first]
    try:
        _until(lambda: first.sent() >= 1, 60, "the first beat sent nothing", beats)
        second = Beat(redis_url=redis_url, prefix=prefix)
        beats.append(second)
        _until(lambda: any("beat: Starting" in line for line in second.lines), 60, "the second did not start", beats)

        time.sleep(4)  # both running: the first sends every second, the second waits for the lock
        assert first.sent() >= 4
        assert second.sent() == 0
        assert not second.holds_lock()

        first.process.send_signal(signal.SIGKILL)  # no release: the lock must expire
        first.process.wait(timeout=10)
        stopped_at = first.sent()
        _until(lambda: second.sent() >= 2, 15, "the second beat did not take over", beats)
        assert second.holds_lock()
        assert first.sent() == stopped_at
    finally:
        for beat in beats:
            beat.stop()
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        client.delete("default")  # the audit.seal messages the beats sent; no worker here
