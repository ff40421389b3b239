"""The archive refuses what it cannot vouch for, before anything is written: a changed byte, a
cut-off end, another key, a lost checksum file, an entry that would land outside its folder or
that its manifest does not list; and backups are of PostgreSQL only."""

import hashlib
import io
import json
import tarfile

import pyrage
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from services.backups import archive
from services.backups.actions import backup_check
from services.core.errors import PortalError

pytestmark = pytest.mark.django_db

MANIFEST = {
    "created_at": "2026-11-30T10:00:00+00:00",
    "portal": {"version": "0.1.0", "commit": ""},
    "python": "3.11",
    "django": "5.2",
    "postgresql": {"server": "15.20", "pg_dump": "15.20"},
    "database": {"name": "portal", "migrations": {"audit": ["0001_initial"]}, "rows": {"audit_auditevent": 0}},
    "audit": {"head": {"index": 0, "hash": ""}, "unsealed": 0},
}


@pytest.fixture
def written(age_identity, settings, tmp_path):
    """An archive of a stand-in dump, a file and a checkpoint, with its checksum beside it."""
    sources = tmp_path / "sources"
    sources.mkdir()
    members = []
    for name, content in [
        (archive.DUMP, b"PGDMP stand-in"),
        ("files/uploads/7/a1b2", b"%PDF-1.4 upload"),
        ("checkpoints/000000000000001-periodic.json", b"{}"),
    ]:
        path = sources / name.replace("/", "_")
        path.write_bytes(content)
        members.append((name, path))
    staging = tmp_path / "staging"
    staging.mkdir()
    destination = tmp_path / "archives" / "portal.tar.age"
    recipients = archive.recipients_parse(settings.BACKUP_RECIPIENTS)
    archive.archive_write(
        members=members, manifest=MANIFEST, destination=destination, staging=staging, recipients=recipients
    )
    return destination


def _refused(path, identity, **options) -> str:
    with pytest.raises(CommandError) as refused, translation.override("en"):
        call_command("restore", str(path), identity=str(identity), check=True, **options)
    return str(refused.value)


def _rewrite(path, data: bytes) -> None:
    """The archive changed, and its checksum file made to agree (as a forger would)."""
    path.write_bytes(data)
    archive.checksum_path(path).write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")


def test_an_archive_checks_whole_and_lists_every_member_with_its_hash(written, age_identity, capsys):
    with translation.override("en"):
        call_command("restore", str(written), identity=str(age_identity), check=True)
    assert "intact" in capsys.readouterr().out
    manifest = backup_check(path=written, identity=age_identity).manifest
    assert manifest["format"] == archive.FORMAT
    assert manifest["members"]["files/uploads/7/a1b2"] == {
        "size": 15,
        "sha256": hashlib.sha256(b"%PDF-1.4 upload").hexdigest(),
    }
    assert set(manifest["members"]) == {
        archive.DUMP,
        "files/uploads/7/a1b2",
        "checkpoints/000000000000001-periodic.json",
    }
    line = archive.checksum_path(written).read_text()
    assert line == f"{hashlib.sha256(written.read_bytes()).hexdigest()}  {written.name}\n"  # as sha256sum -c reads it


def test_a_changed_byte_is_refused_by_the_checksum_and_by_decryption(written, age_identity):
    data = bytearray(written.read_bytes())
    data[len(data) // 2] ^= 0x01
    written.write_bytes(bytes(data))
    assert "does not match its checksum file" in _refused(written, age_identity)

    _rewrite(written, bytes(data))
    assert "damaged or incomplete" in _refused(written, age_identity)


def test_a_truncated_archive_is_refused(written, age_identity):
    _rewrite(written, written.read_bytes()[:-200])
    assert "damaged or incomplete" in _refused(written, age_identity)


def test_another_key_cannot_open_it(written, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    assert "encrypted to other keys" in _refused(written, other)


def test_a_lost_checksum_file_is_named_and_may_be_waived(written, age_identity):
    archive.checksum_path(written).unlink()
    message = _refused(written, age_identity)
    assert "portal.tar.age.sha256 is missing" in message and "--without-checksum-file" in message
    assert backup_check(path=written, identity=age_identity, checksum_required=False).manifest


def test_an_identity_kept_beside_the_archive_is_pointed_out(written, age_identity):
    beside = written.parent / "identity.txt"
    beside.write_text(age_identity.read_text())
    with translation.override("en"):
        notes = backup_check(path=written, identity=beside).notes
    assert any("keep it apart" in note for note in notes)


def test_an_identity_file_without_a_key_is_refused(written, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n")
    assert "holds no valid age identity" in _refused(written, empty)


def _forged(tmp_path, settings, entries: dict[str, bytes], listed: dict[str, bytes]):
    """An archive encrypted to the right key whose tar holds `entries` and whose manifest lists `listed`."""
    body = json.dumps({
        **MANIFEST,
        "format": archive.FORMAT,
        "members": {n: {"size": len(c), "sha256": hashlib.sha256(c).hexdigest()} for n, c in listed.items()},
    }).encode()  # fmt: skip
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w") as tar:
        for name, content in [*entries.items(), (archive.MANIFEST, body)]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    path = tmp_path / "forged.tar.age"
    _rewrite(path, pyrage.encrypt(plain.getvalue(), archive.recipients_parse(settings.BACKUP_RECIPIENTS)))
    return path


def test_an_entry_that_would_land_outside_its_folder_is_refused(age_identity, settings, tmp_path):
    entries = {archive.DUMP: b"x", "files/../../etc/cron.d/evil": b"y"}
    assert "not allowed: files/../../etc/cron.d/evil" in _refused(
        _forged(tmp_path, settings, entries, entries), age_identity
    )


def test_a_member_the_manifest_does_not_list_or_lists_otherwise_is_refused(age_identity, settings, tmp_path):
    extra = _forged(tmp_path, settings, {archive.DUMP: b"x", "files/a": b"y"}, {archive.DUMP: b"x"})
    assert "files/a, which its manifest does not list" in _refused(extra, age_identity)
    changed = _forged(tmp_path, settings, {archive.DUMP: b"x", "files/a": b"y"}, {archive.DUMP: b"x", "files/a": b"z"})
    assert "files/a in the archive does not match its manifest" in _refused(changed, age_identity)
    missing = _forged(tmp_path, settings, {archive.DUMP: b"x"}, {archive.DUMP: b"x", "files/a": b"y"})
    assert "lacks files/a" in _refused(missing, age_identity)


def test_an_archive_from_a_newer_portal_is_refused(age_identity, settings, tmp_path, monkeypatch):
    monkeypatch.setitem(MANIFEST["database"], "migrations", {"audit": ["0001_initial", "9999_from_the_future"]})
    path = _forged(tmp_path, settings, {archive.DUMP: b"x"}, {archive.DUMP: b"x"})
    assert "made by a newer portal" in _refused(path, age_identity)


def test_backups_need_recipients_that_are_age_keys(settings):
    settings.BACKUP_RECIPIENTS = []
    with pytest.raises(PortalError, match="BACKUP_RECIPIENTS is not set"), translation.override("en"):
        archive.recipients_parse(settings.BACKUP_RECIPIENTS)
    with pytest.raises(PortalError, match="not an age public key"), translation.override("en"):
        archive.recipients_parse(["ssh-ed25519 AAAA"])


def test_an_archive_is_never_written_over(written, age_identity, settings, tmp_path):
    staging = tmp_path / "again"
    staging.mkdir()
    before = written.read_bytes()
    with pytest.raises(PortalError, match="already exists"), translation.override("en"):
        archive.archive_write(
            members=[],
            manifest=MANIFEST,
            destination=written,
            staging=staging,
            recipients=archive.recipients_parse(settings.BACKUP_RECIPIENTS),
        )
    assert written.read_bytes() == before


def test_the_embedded_demo_on_sqlite_is_not_backed_up_this_way(age_identity, written):
    if connection.vendor != "sqlite":
        pytest.skip("about SQLite, the embedded demo's database")
    with pytest.raises(CommandError) as refused, translation.override("en"):
        call_command("backup")
    assert "PostgreSQL only" in str(refused.value) and "var/" in str(refused.value)
    with pytest.raises(CommandError, match="PostgreSQL only"), translation.override("en"):
        call_command("restore", str(written), identity=str(age_identity))


def test_archives_are_not_written_into_the_file_store(age_identity, media_root):
    with pytest.raises(CommandError, match="not kept in the file store"), translation.override("en"):
        call_command("backup", output=str(media_root / "backups"))
