"""Making a backup, checking one, restoring one."""

import platform
import subprocess
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from services.audit.checkpoints import checkpoints
from services.audit.models import AuditEvent
from services.audit.verify import audit_verify
from services.backups import archive, postgres
from services.core.errors import PortalError


@dataclass
class Backup:
    path: Path
    checksum_path: Path
    manifest: dict[str, Any]


@dataclass
class Restore:
    """What a restore (or a check) found: `problems` empty means everything matched."""

    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def backup_create(*, destination: Path | None = None) -> Backup:
    """Dump the database in one snapshot, take the file store and the checkpoints up to the
    chain's head in that snapshot, and write the archive. The files are read after the
    snapshot: a file written since is taken too (harmless); one deleted since (a draft swept)
    is missing from the archive, as it would be from the database a moment later."""
    destination = _destination(destination)
    if destination.exists():
        raise PortalError(_("%(file)s already exists: choose another name.") % {"file": destination})
    if destination.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
        # Each archive would be in the next one, and served from where uploads are.
        raise PortalError(_("Archives are not kept in the file store (MEDIA_ROOT): choose another folder."))
    postgres.postgres_required()
    recipients = archive.recipients_parse(settings.BACKUP_RECIPIENTS)
    with tempfile.TemporaryDirectory(prefix="portal-backup-") as folder:
        staging = Path(folder)
        dump = staging / archive.DUMP
        with postgres.snapshot_open() as snapshot:
            postgres.tools_match_server(server_version=snapshot.server_version)
            postgres.database_dump(snapshot=snapshot, path=dump)
        members = [(archive.DUMP, dump), *_store_members(), *_checkpoint_members(up_to=snapshot.audit_head[0])]
        manifest = archive.archive_write(
            members=members,
            manifest=_manifest(snapshot),
            destination=destination,
            staging=staging,
            recipients=recipients,
        )
    return Backup(path=destination, checksum_path=archive.checksum_path(destination), manifest=manifest)


def _destination(given: Path | None) -> Path:
    name = f"portal-{timezone.localtime():%Y%m%d-%H%M%S}.tar.age"
    if given is None:
        return Path(settings.BACKUP_DIR) / name
    return given if given.name.endswith(".age") and not given.is_dir() else given / name


def _store_members() -> list[tuple[str, Path]]:
    if settings.S3_BUCKET:
        # The files are in object storage, protected by the bucket's own versioning and
        # replication (docs/operations.md); the manifest says they are not in the archive.
        return []
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return [(archive.FILES + p.relative_to(root).as_posix(), p) for p in found]


def _checkpoint_members(*, up_to: int) -> list[tuple[str, Path]]:
    """The checkpoints the dumped chain can be checked against: a later one holds an entry
    the dump does not."""
    return [(archive.CHECKPOINTS + m.path.name, m.path) for m in checkpoints() if 0 <= m.index <= up_to]


def _manifest(snapshot: postgres.Snapshot) -> dict[str, Any]:
    index, hash_ = snapshot.audit_head
    return {
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "portal": _portal_version(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": {"server": snapshot.server_version, "pg_dump": postgres.tool_version("pg_dump")},
        "database": {
            "name": connection.settings_dict["NAME"],
            "migrations": snapshot.migrations,
            "rows": snapshot.rows,
        },
        "audit": {"head": {"index": index, "hash": hash_}, "unsealed": snapshot.audit_unsealed},
        "file_store": (
            {"kind": "s3", "bucket": settings.S3_BUCKET, "in_archive": False}
            if settings.S3_BUCKET
            else {"kind": "local", "in_archive": True}
        ),
    }


def _portal_version() -> dict[str, str]:
    base = Path(settings.BASE_DIR)
    try:
        version = tomllib.loads((base / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        version = ""
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command, no shell
            ["git", "-C", str(base), "rev-parse", "HEAD"],  # noqa: S607 - git from the PATH, when there is one
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        commit = done.stdout.strip() if done.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"version": version, "commit": commit}


def backup_check(*, path: Path, identity: Path, checksum_required: bool = True) -> Restore:
    """Decrypt and check every member of an archive, and write nothing: a restore drill
    without a database."""
    identities = archive.identities_read(identity)
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as folder:
        opened = archive.archive_open(
            archive=path, identities=identities, staging=Path(folder), checksum_required=checksum_required
        )
    result = Restore(manifest=opened.manifest)
    result.notes += _migrations_compare(opened.manifest) + _identity_apart(path, identity)
    return result


def _identity_apart(path: Path, identity: Path) -> list[str]:
    """Whoever holds the archives must not hold what opens them."""
    if identity.resolve().parent == path.resolve().parent:
        return [_("The identity file lies in the archive's folder: keep it apart from the archives, offline.")]
    return []


def backup_restore(*, path: Path, identity: Path, checksum_required: bool = True) -> Restore:
    """Into an empty database and an empty file store only, after the whole archive checked;
    then the result checked against the manifest and the audit chain."""
    postgres.postgres_required()
    identities = archive.identities_read(identity)
    _target_empty()
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as folder:
        staging = Path(folder)
        opened = archive.archive_open(
            archive=path, identities=identities, staging=staging, checksum_required=checksum_required
        )
        manifest = opened.manifest
        result = Restore(manifest=manifest)
        result.notes += _migrations_compare(manifest) + _identity_apart(path, identity)
        _target_empty()  # again, right before writing: the checks above may have taken long
        with tarfile.open(opened.tar_path, "r:") as tar:
            dump = staging / archive.DUMP
            archive.member_extract(tar=tar, member=tar.getmember(archive.DUMP), target=dump)
            postgres.database_restore(dump=dump)
            dump.unlink()
            archive_checkpoints = staging / "checkpoints"
            _members_restore(tar, manifest, archive_checkpoints, result)
        _verify(manifest, archive_checkpoints, result)
    return result


def _target_empty() -> None:
    objects = postgres.database_objects()
    if objects:
        raise PortalError(
            _(
                "The database %(name)s is not empty (it holds %(objects)s…): a restore goes only into a new, "
                "empty database. Nothing was restored."
            )
            % {"name": connection.settings_dict["NAME"], "objects": ", ".join(objects)},
            code=archive.NOTHING_RESTORED,
        )
    root = Path(settings.MEDIA_ROOT)
    if root.is_dir() and any(p.is_file() or p.is_symlink() for p in root.rglob("*")):
        raise PortalError(
            _(
                "The file store %(folder)s (MEDIA_ROOT) is not empty: a restore goes only into an empty one. "
                "Nothing was restored."
            )
            % {"folder": root},
            code=archive.NOTHING_RESTORED,
        )


def _migrations_compare(manifest: dict[str, Any]) -> list[str]:
    """The archive's migrations against this code's: a database from newer code cannot be
    served by this code; one from older code needs `migrate` after the restore."""
    applied = {(app, name) for app, names in manifest["database"]["migrations"].items() for name in names}
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(applied - known)
    if unknown:
        raise PortalError(
            _(
                "The archive was made by a newer portal (%(version)s): its database has migrations this code "
                "does not have (%(names)s). Restore it with the portal that made it. Nothing was restored."
            )
            % {"version": manifest["portal"].get("version", "?"), "names": ", ".join("/".join(m) for m in unknown[:5])},
            code=archive.NOTHING_RESTORED,
        )
    if known - applied:
        return [_("This code has migrations the archive's database has not had: run manage.py migrate afterwards.")]
    return []


def _members_restore(tar: tarfile.TarFile, manifest: dict[str, Any], checkpoint_copy: Path, result: Restore) -> None:
    """In one pass over the tar (a lookup by name reads the whole list each time): the files into
    the empty store; the checkpoints into the staging folder, which the restored chain is checked
    against, and where the portal keeps them, beside any already there (never over one)."""
    root, live = Path(settings.MEDIA_ROOT), Path(settings.AUDIT_CHECKPOINT_DIR)
    for info in tar:
        if info.name.startswith(archive.FILES):
            written = archive.member_extract(tar=tar, member=info, target=root / info.name.removeprefix(archive.FILES))
            if written != manifest["members"][info.name]["sha256"]:
                result.problems.append(_("The file %(file)s was not restored whole.") % {"file": info.name})
        elif info.name.startswith(archive.CHECKPOINTS):
            file_name = info.name.removeprefix(archive.CHECKPOINTS)
            kept, target = checkpoint_copy / file_name, live / file_name
            archive.member_extract(tar=tar, member=info, target=kept)
            if not archive.copy_new(kept, target) and target.read_bytes() != kept.read_bytes():
                result.problems.append(
                    _("The checkpoint %(file)s in %(folder)s differs from the one in the archive; both were kept.")
                    % {"file": file_name, "folder": live}
                )


def _verify(manifest: dict[str, Any], archive_checkpoints: Path, result: Restore) -> None:
    expected_rows = manifest["database"]["rows"]
    rows = postgres.database_rows()
    for table in sorted(set(expected_rows) | set(rows)):
        if rows.get(table) != expected_rows.get(table):
            result.problems.append(
                _("Table %(table)s holds %(found)s rows; the backup had %(expected)s.")
                % {"table": table, "found": rows.get(table, "—"), "expected": expected_rows.get(table, "—")}
            )
    root = Path(settings.MEDIA_ROOT)
    for name, entry in manifest["members"].items():
        if name.startswith(archive.FILES):
            path = root / name.removeprefix(archive.FILES)
            if not path.is_file() or archive.sha256_of(path) != entry["sha256"]:
                result.problems.append(_("The file %(file)s differs from the backup.") % {"file": name})
    _audit_verify(manifest, archive_checkpoints, result)
    files = sum(1 for name in manifest["members"] if name.startswith(archive.FILES))
    result.notes.append(
        _("Restored %(tables)s tables (%(rows)s rows) and %(files)s files, each matching the manifest.")
        % {"tables": len(rows), "rows": sum(rows.values()), "files": files}
        if not result.problems
        else _("Restored, but it does not match the manifest:")
    )


def _audit_verify(manifest: dict[str, Any], archive_checkpoints: Path, result: Restore) -> None:
    head = manifest["audit"]["head"]
    report = audit_verify(checkpoint_dir=archive_checkpoints)
    result.problems += report.problems
    restored_hash = AuditEvent.objects.filter(chain_index=head["index"]).values_list("hash", flat=True).first()
    if (report.last_index or 0) != head["index"]:
        result.problems.append(
            _("The restored audit trail ends at entry #%(found)s; the backup's ended at #%(expected)s.")
            % {"found": report.last_index or 0, "expected": head["index"]}
        )
    elif head["index"] and restored_hash != head["hash"]:
        result.problems.append(
            _("The restored audit trail's entry #%(index)s is not the one the backup recorded.")
            % {"index": head["index"]}
        )
    elif report.intact:
        result.notes.append(
            _("The audit trail is intact: %(count)s entries up to #%(index)s, checked against %(marks)s checkpoints.")
            % {"count": report.checked, "index": head["index"], "marks": len(checkpoints(archive_checkpoints))}
        )
    later = [m for m in checkpoints() if m.valid and m.index > head["index"]]
    if later:
        result.notes.append(
            _(
                "The checkpoints in %(folder)s go up to entry #%(index)s, beyond this backup (#%(head)s): the "
                "events after the backup are not in it (point-in-time recovery brings them back)."
            )
            % {"folder": settings.AUDIT_CHECKPOINT_DIR, "index": max(m.index for m in later), "head": head["index"]}
        )
