import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def age_identity(settings, tmp_path):
    """A fresh age key pair: archives are encrypted to its public half (BACKUP_RECIPIENTS); the
    identity file, which only a restore reads, lies in a folder of its own."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    settings.BACKUP_RECIPIENTS = [str(identity.to_public())]
    folder = tmp_path / "keys"
    folder.mkdir()
    path = folder / "identity.txt"
    path.write_text(f"# created: for the test\n# public key: {identity.to_public()}\n{identity}\n")
    return path


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class FreshDatabase:
    """An empty database of its own on the test database's server, as a new machine has."""

    def __init__(self):
        from django.db import connection

        self.settings = connection.settings_dict
        self.name = f"backup_restore_{uuid.uuid4().hex[:10]}"
        s = self.settings
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        self.url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{self.name}"

    def _server(self):
        import psycopg

        s = self.settings
        return psycopg.connect(
            dbname="postgres", user=s["USER"], password=s.get("PASSWORD") or None,
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, autocommit=True,
        )  # fmt: skip

    def create(self) -> None:
        with self._server() as server:
            server.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._server() as server:
            server.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql, params=()) -> list[tuple]:
        import psycopg

        s = self.settings
        with psycopg.connect(
            dbname=self.name, user=s["USER"], password=s.get("PASSWORD") or None,
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432,
        ) as db:  # fmt: skip
            return db.execute(sql, params).fetchall()

    def rows(self, model, *columns: str) -> list[tuple]:
        """Every row of a model's table here, those columns, sorted."""
        from psycopg import sql

        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(model._meta.db_table)
        )
        return sorted(self.query(query))

    def tables(self) -> list[str]:
        return [r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]

    def manage(self, *arguments: str, media_root: Path, checkpoint_dir: Path) -> subprocess.CompletedProcess:
        """manage.py in a process of its own on this database, as an operator runs it."""
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "MEDIA_ROOT": str(media_root),
            "AUDIT_CHECKPOINT_DIR": str(checkpoint_dir),
            "PORTAL_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        }
        return subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip


@pytest.fixture
def fresh_database(postgres_only):
    database = FreshDatabase()
    database.create()
    yield database
    database.drop()
