"""A RabbitMQ node of a test's own (the Debian rabbitmq-server), so that it can be stopped and
started again; its data (durable queues and their messages) is kept across restarts."""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from portal.embedded import _free_port


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


class RabbitNode:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.dist_port = _free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        (folder / "mnesia").mkdir(parents=True, exist_ok=True)
        (folder / "log").mkdir(exist_ok=True)
        (folder / "enabled_plugins").write_text("[].\n")
        # Its own listener, and the guest account from the loopback only (RabbitMQ's default).
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        if os.geteuid() == 0:
            # Run as root, rabbitmq-server drops to the rabbitmq user, which must own the node's files.
            user = pwd.getpwnam("rabbitmq")
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)
        self.env = {
            **os.environ,
            "HOME": str(folder),
            "RABBITMQ_CONF_ENV_FILE": "/dev/null",
            "RABBITMQ_NODENAME": f"portal-test-{self.port}@localhost",
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(folder / "feature_flags"),
            "RABBITMQ_PID_FILE": str(folder / "node.pid"),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> "RabbitNode":
        server = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
        log = (self.folder / "server.out").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - Debian's rabbitmq-server
            [server], cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                out = (self.folder / "server.out").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"RabbitMQ did not start on {self.port}:\n{out}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        """Stop the node (as an operator would: SIGTERM, a clean shutdown) and wait for it. The
        node runs as the rabbitmq user in a session of its own (rabbitmq-server switches user),
        so it is found by its pid file, not by the process this test started."""
        if self.process is None:
            return
        pid_file = self.folder / "node.pid"
        node = int(pid_file.read_text().strip()) if pid_file.exists() and pid_file.read_text().strip() else None
        for pid in filter(None, (node, self.process.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while node and _alive(node) and time.monotonic() < deadline:
            time.sleep(0.2)
        if node and _alive(node):
            os.kill(node, signal.SIGKILL)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        deadline = time.monotonic() + 30
        while _port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        pid_file.unlink(missing_ok=True)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
