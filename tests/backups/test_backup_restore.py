"""A backup restores: a citizen's journey (an application with uploaded materials, decided, an
e-licence issued, the audit trail sealed and checkpointed) is backed up, the file store and the
checkpoints are lost, and the archive is restored into a new database on the same server and an
empty file store, where every case, history entry, file (by its hash) and the audit chain are
found as they were. A target that is not empty, or an archive damaged on the way, is refused
and nothing is written (PostgreSQL only: backups are pg_dump's)."""

import hashlib
import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext as _

from services.applications import actions as application_actions
from services.audit.models import AuditEvent
from services.audit.tasks import checkpoint
from services.audit.trail import audit_record, audit_seal
from services.backups.actions import backup_check
from services.casework.models import Application, CaseEvent
from services.catalog.models import Service
from services.records.models import Upload, WalletDocument
from services.records.uploads import draft_materials
from tests.casework.helpers import approve_all
from tests.factories import MARRIAGE, SAMPLE_PDF

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_only")]


def _journey(demo, capture) -> Application:
    """The citizen applies with an upload for every material, every department approves, the
    licence is issued; the trail is sealed and checkpointed, and one more event sealed after."""
    citizen = demo["13800138001"]
    draft = application_actions.draft_start(citizen=citizen, service=Service.objects.get(code="marriage-registration"))
    draft.answers = dict(MARRIAGE)
    draft.save()
    for n, row in enumerate(draft_materials(draft=draft)):
        if row["missing"]:
            content = SAMPLE_PDF + f"%material {n}\n".encode()  # each file its own hash
            application_actions.draft_upload_add(
                draft=draft, material_id=row["material"].pk, file=SimpleUploadedFile(f"m{n}.pdf", content)
            )
    with capture(execute=True):
        application = application_actions.draft_submit(draft=draft)
    approve_all(application, demo, capture)
    application.refresh_from_db()
    audit_record("sign_in", actor=citizen)
    checkpoint()
    audit_record("sign_out", actor=citizen)
    audit_seal()
    return application


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _archive(folder):
    call_command("backup", output=folder, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return next(folder.glob("*.tar.age"))


def test_a_backup_restores_every_case_history_entry_file_and_the_audit_chain(
    demo, age_identity, media_root, audit_checkpoints, fresh_database, tmp_path, django_capture_on_commit_callbacks
):
    application = _journey(demo, django_capture_on_commit_callbacks)
    assert application.status == "completed"
    licence = WalletDocument.objects.get(application=application)
    uploads = list(Upload.objects.filter(application=application))
    assert uploads and licence.file
    cases = sorted(Application.objects.values_list("pk", "reference", "status", "service_id"))
    history = sorted(CaseEvent.objects.values_list("pk", "application_id", "kind", "from_status", "to_status"))
    files = {u.file.name: u.sha256 for u in uploads} | {licence.file.name: _sha256(media_root / licence.file.name)}
    assert all(_sha256(media_root / name) == digest for name, digest in files.items())
    chain = sorted(AuditEvent.objects.values_list("chain_index", "hash"))
    assert chain[-1][0] > 1 and all(h for _, h in chain)

    archive = _archive(tmp_path / "archives")
    # The store and the checkpoints are lost with the machine; the restore gets empty ones.
    shutil.rmtree(media_root)
    shutil.rmtree(audit_checkpoints)

    restored = _restore(fresh_database, archive, age_identity, media_root=media_root, checkpoint_dir=audit_checkpoints)
    assert restored.returncode == 0, restored.stderr
    restored_rows = fresh_database.rows
    assert restored_rows(Application, "id", "reference", "status", "service_id") == cases
    assert restored_rows(CaseEvent, "id", "application_id", "kind", "from_status", "to_status") == history
    assert restored_rows(AuditEvent, "chain_index", "hash") == chain
    stored = {(a, f, h) for a, f, h in restored_rows(Upload, "application_id", "file", "sha256") if a == application.pk}
    assert stored == {(application.pk, u.file.name, u.sha256) for u in uploads}
    assert {name: _sha256(media_root / name) for name in files} == files
    assert (audit_checkpoints / next(iter(sorted(p.name for p in audit_checkpoints.iterdir())))).exists()

    # The portal's own check of the trail agrees, on the restored database and checkpoints.
    verified = fresh_database.manage("audit_verify", media_root=media_root, checkpoint_dir=audit_checkpoints)
    assert verified.returncode == 0, verified.stderr


def _restore(database, archive, identity, *, media_root, checkpoint_dir):
    return database.manage(
        "restore", str(archive), f"--identity={identity}", media_root=media_root, checkpoint_dir=checkpoint_dir
    )


def _refused_in_chinese(message: str, output: str) -> None:
    with translation.override("zh-hans"):
        assert _(message) in output


def test_a_damaged_archive_or_a_target_in_use_is_refused_and_nothing_is_written(
    age_identity, media_root, audit_checkpoints, fresh_database, tmp_path
):
    audit_record("sign_in", actor_name="someone")
    checkpoint()
    (media_root / "uploads" / "1").mkdir(parents=True)
    (media_root / "uploads" / "1" / "f").write_bytes(SAMPLE_PDF)
    archive = _archive(tmp_path / "archives")
    empty_store = tmp_path / "restored-media"

    # The database the portal runs on is not empty: refused, its rows and files as they were.
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError) as refused, translation.override("en"):
        call_command("restore", str(archive), identity=str(age_identity))
    assert "is not empty" in str(refused.value) and "Nothing was restored" in str(refused.value)
    assert AuditEvent.objects.count() == events
    assert [p.name for p in media_root.rglob("*") if p.is_file()] == ["f"]

    # A byte changed on the way (and the checksum beside it made to agree): decryption refuses it.
    damaged = tmp_path / "damaged" / archive.name
    damaged.parent.mkdir()
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    damaged.with_name(damaged.name + ".sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {damaged.name}\n")
    result = _restore(fresh_database, damaged, age_identity, media_root=empty_store, checkpoint_dir=tmp_path / "c")
    assert result.returncode == 1
    _refused_in_chinese(
        "The archive is damaged or incomplete: it could not be decrypted to its end. Nothing was restored.",
        result.stderr,
    )
    assert fresh_database.tables() == []
    assert not empty_store.exists() or not any(empty_store.rglob("*"))

    # A file store that is not empty: refused before the archive is even opened.
    (empty_store / "uploads").mkdir(parents=True)
    (empty_store / "uploads" / "left-over").write_bytes(b"x")
    result = _restore(fresh_database, archive, age_identity, media_root=empty_store, checkpoint_dir=tmp_path / "c")
    assert result.returncode == 1 and "MEDIA_ROOT" in result.stderr
    assert fresh_database.tables() == []
    assert (empty_store / "uploads" / "left-over").read_bytes() == b"x"

    # Restored on the same host, whose checkpoints went on after the backup: the restore is
    # whole, and says the events after the backup are not in it.
    audit_record("sign_out", actor_name="someone")
    checkpoint()
    shutil.rmtree(empty_store)
    result = _restore(fresh_database, archive, age_identity, media_root=empty_store, checkpoint_dir=audit_checkpoints)
    assert result.returncode == 0, result.stderr
    with translation.override("zh-hans"):
        beyond = _(
            "The checkpoints in %(folder)s go up to entry #%(index)s, beyond this backup (#%(head)s): the "
            "events after the backup are not in it (point-in-time recovery brings them back)."
        ) % {"folder": audit_checkpoints, "index": 2, "head": 1}
    assert beyond in result.stdout
    assert (empty_store / "uploads" / "1" / "f").read_bytes() == SAMPLE_PDF


def test_the_archive_lists_versions_counts_files_and_the_audit_head(
    age_identity, media_root, audit_checkpoints, tmp_path
):
    event = audit_record("sign_in", actor_name="someone")
    checkpoint()
    (media_root / "wallet").mkdir(parents=True)
    (media_root / "wallet" / "licence.pdf").write_bytes(SAMPLE_PDF)
    archive = _archive(tmp_path / "archives")

    manifest = backup_check(path=archive, identity=age_identity).manifest
    event.refresh_from_db()
    assert manifest["audit"]["head"] == {"index": event.chain_index, "hash": event.hash}
    assert manifest["database"]["rows"]["audit_auditevent"] == 1
    assert "0001_initial" in manifest["database"]["migrations"]["audit"]
    assert manifest["members"]["files/wallet/licence.pdf"] == {
        "size": len(SAMPLE_PDF),
        "sha256": hashlib.sha256(SAMPLE_PDF).hexdigest(),
    }
    assert any(name.startswith("checkpoints/") for name in manifest["members"])
    versions = manifest["postgresql"]
    assert int(versions["pg_dump"].split(".")[0]) >= int(versions["server"].split(".")[0])
    assert manifest["django"] and manifest["python"] and manifest["portal"]["version"]
    assert manifest["file_store"] == {"kind": "local", "in_archive": True}


def test_with_the_files_in_object_storage_the_archive_says_they_are_not_in_it(
    age_identity, media_root, audit_checkpoints, tmp_path, settings
):
    settings.S3_BUCKET = "portal-files"
    (media_root / "stray").mkdir(parents=True)
    (media_root / "stray" / "old.pdf").write_bytes(SAMPLE_PDF)  # not the file store any more
    archive = _archive(tmp_path / "archives")

    manifest = backup_check(path=archive, identity=age_identity).manifest
    assert manifest["file_store"] == {"kind": "s3", "bucket": "portal-files", "in_archive": False}
    assert not any(name.startswith("files/") for name in manifest["members"])
