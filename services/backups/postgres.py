"""The database's side of a backup: PostgreSQL's own tools (pg_dump, pg_restore) on the
portal's database, and the facts a manifest records, read in the same snapshot as the dump."""

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from services.core.errors import PortalError

# Where psycopg's and libpq's names differ, the environment variables libpq reads.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}
# The relations of a database outside the system's schemas (and their TOAST and temporary ones).
RELATIONS = (
    "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
    "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 1, 2"
)


@dataclass
class Snapshot:
    """What the database held at the moment of the dump."""

    id: str
    server_version: str
    rows: dict[str, int] = field(default_factory=dict)
    migrations: dict[str, list[str]] = field(default_factory=dict)
    audit_head: tuple[int, str] = (0, "")
    audit_unsealed: int = 0


def postgres_required() -> None:
    if connection.vendor != "postgresql":
        raise PortalError(
            _(
                "Backups are made of PostgreSQL only. The embedded demo's SQLite database is backed up by "
                "copying its var/ folder while the demo is stopped."
            ),
            code="backup_not_postgresql",
        )


def tool(name: str) -> str:
    folder = settings.BACKUP_PG_BIN_DIR
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).is_file():
        raise PortalError(
            _("%(tool)s was not found: install PostgreSQL's client tools, or set BACKUP_PG_BIN_DIR.") % {"tool": name}
        )
    return found


def tool_version(name: str) -> str:
    """ "15.20" from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"."""
    done = subprocess.run([tool(name), "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    found = re.search(r"\) (\d+(?:\.\d+)?)", done.stdout)
    return found.group(1) if found else done.stdout.strip()


def _major(version: str) -> int:
    return int(version.split(".")[0])


def tools_match_server(*, server_version: str) -> None:
    """pg_dump of an older major version than the server cannot read it (and says so in English)."""
    for name in ("pg_dump", "pg_restore"):
        version = tool_version(name)
        if _major(version) < _major(server_version):
            raise PortalError(
                _(
                    "%(tool)s is version %(version)s, older than the database server (PostgreSQL %(server)s): set "
                    "BACKUP_PG_BIN_DIR to the folder of the tools of version %(server)s."
                )
                % {"tool": name, "version": version, "server": server_version}
            )


def tool_environment() -> dict[str, str]:
    """libpq's environment for the tools, as the portal's own connection has it (the settings
    over the process's PG* variables): the password never appears in a process listing."""
    s = connection.settings_dict
    env = dict(os.environ)
    values = {"PGHOST": s.get("HOST"), "PGPORT": s.get("PORT"), "PGUSER": s.get("USER")}
    values["PGPASSWORD"] = s.get("PASSWORD")
    for option, variable in LIBPQ_OPTIONS.items():
        values[variable] = s.get("OPTIONS", {}).get(option)
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def _run(name: str, arguments: list[str], message: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own tool and arguments, no shell
        [tool(name), "--no-password", *arguments], env=tool_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        error = (done.stderr.strip().splitlines() or [str(done.returncode)])[-1]
        raise PortalError(message % {"error": error})


@contextmanager
def snapshot_open() -> Iterator[Snapshot]:
    """A repeatable-read transaction of its own whose snapshot pg_dump is given, so that the
    counts, the migrations and the audit chain's head in the manifest are what the dump holds."""
    params = connection.get_connection_params()
    raw = psycopg.connect(**params)
    try:
        raw.autocommit = True
        raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = _one(raw, "SELECT pg_export_snapshot()")
        snapshot = Snapshot(id=snapshot_id, server_version=_one(raw, "SHOW server_version").split(" ")[0])
        tables = table_names(raw)
        snapshot.rows = {name: _count(raw, name) for name in tables}
        if "django_migrations" in tables:
            for app, name in raw.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall():
                snapshot.migrations.setdefault(app, []).append(name)
        if "audit_auditevent" in tables:
            last = raw.execute(
                "SELECT chain_index, hash FROM audit_auditevent WHERE chain_index IS NOT NULL "
                "ORDER BY chain_index DESC LIMIT 1"
            ).fetchone()
            snapshot.audit_head = (last[0], last[1]) if last else (0, "")
            snapshot.audit_unsealed = int(_one(raw, "SELECT count(*) FROM audit_auditevent WHERE hash = ''"))
        yield snapshot
        raw.execute("COMMIT")
    finally:
        raw.close()


def _one(raw: Any, sql: str) -> Any:
    return raw.execute(sql).fetchone()[0]


def table_names(raw: Any) -> list[str]:
    """Every table outside the system schemas ("schema.table" outside public)."""
    rows = raw.execute(RELATIONS).fetchall()
    return [name if schema == "public" else f"{schema}.{name}" for schema, name, kind in rows if kind in ("r", "p")]


def _count(raw: Any, name: str) -> int:
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))
    return int(_one(raw, f"SELECT count(*) FROM {quoted}"))  # noqa: S608 - a name the catalogue gave, quoted


def database_dump(*, snapshot: Snapshot, path: Path) -> None:
    _run(
        "pg_dump",
        ["--format=custom", f"--snapshot={snapshot.id}", f"--file={path}", connection.settings_dict["NAME"]],
        _("pg_dump could not dump the database: %(error)s"),
    )


def database_objects() -> list[str]:
    """The first few relations of the portal's database: none in a new one."""
    with connection.cursor() as cursor:
        cursor.execute(RELATIONS)
        return [row[1] for row in cursor.fetchmany(4)]


def database_restore(*, dump: Path) -> None:
    """In one transaction: a restore that fails leaves the database as empty as it was. The
    objects belong to the user restoring them; the source's grants name roles that may not
    exist here."""
    _run(
        "pg_restore",
        [
            "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
            f"--dbname={connection.settings_dict['NAME']}", str(dump),
        ],
        _("pg_restore could not restore the database, which was left empty: %(error)s"),
    )  # fmt: skip
    connection.close()  # a connection opened before sees the new tables only in new statements; start afresh
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def database_rows() -> dict[str, int]:
    connection.ensure_connection()
    raw = connection.connection
    return {name: _count(raw, name) for name in table_names(raw)}
