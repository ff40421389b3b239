"""A RabbitMQ node of a test's own (the Debian rabbitmq-server), so that it can be stopped and
started again; its data (durable queues and their messages) is kept across restarts."""

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
            [server], cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                out = (self.folder / "server.out").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"RabbitMQ did not start on {self.port}:\n{out}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        """Stop the node (as an operator would: SIGTERM, a clean shutdown) and wait for it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        deadline = time.monotonic() + 30
        while _port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
