"""PostgreSQL clusters of a test's own (Debian's server binaries): a primary, and a streaming
replica made from it with pg_basebackup, each on a free port, so that a test can stop, start
and pause them without touching the shared server."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from portal.embedded import _free_port


def _bin_dir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are not installed")
    return versions[-1].parent


class Cluster:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / f"data-{port}"
        self.log = folder / f"server-{port}.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def start(self) -> "Cluster":
        _run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o", f"-p {self.port}", "start")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop", check=False)

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = _run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
            "-XAtqc", statement,
        )  # fmt: skip
        return done.stdout.strip()


class PrimaryAndReplica:
    """A primary with a database `portal`, and a hot standby streaming from it."""

    def __init__(self):
        # Not under pytest's folders: the server runs as the postgres user when we are root.
        self.folder = Path(tempfile.mkdtemp(prefix="pg-replica-"))
        _own(self.folder)
        self.primary = Cluster(self.folder, _free_port())
        self.replica = Cluster(self.folder, _free_port())

    def start(self) -> "PrimaryAndReplica":
        _run("initdb", "-D", self.primary.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self.primary.data / "postgresql.conf").open("a") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        with (self.primary.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self.primary.start()
        self.primary.sql("CREATE DATABASE portal")
        _run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", self.replica.data, "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip
        with (self.replica.data / "postgresql.conf").open("a") as conf:
            conf.write("hot_standby = on\nwal_receiver_status_interval = 1\n")
        self.replica.start()
        return self

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)


def _run(tool: str, *args, check: bool = True) -> subprocess.CompletedProcess:
    command = [str(_bin_dir() / tool), *map(str, args)]
    if os.geteuid() == 0:  # the server refuses to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    if check and done.returncode != 0:
        raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done
