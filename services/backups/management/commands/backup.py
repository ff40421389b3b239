"""Write one encrypted, checksummed archive of the database, the file store and the audit
checkpoints (docs/operations.md says when to run it and where to keep what it writes)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from services.backups.actions import backup_create
from services.core.errors import PortalError


class Command(BaseCommand):
    help = "Back up the database, the uploaded and issued files and the audit checkpoints into one encrypted archive."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="A folder, or a file name ending in .age (by default BACKUP_DIR/portal-<time>.tar.age).",
        )

    def handle(self, *args, **options):
        try:
            output = options.get("output")
            backup = backup_create(destination=Path(output) if output else None)
        except PortalError as exc:
            raise CommandError(exc.message) from None
        manifest = backup.manifest
        if not manifest["file_store"]["in_archive"]:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The files are in the object storage bucket %(bucket)s and not in this archive: they are kept "
                        "by the bucket's versioning and replication."
                    )
                    % {"bucket": manifest["file_store"]["bucket"]}
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backed up to %(file)s (its checksum in %(checksum)s): %(tables)s tables, %(files)s files, "
                    "the audit trail up to entry #%(index)s."
                )
                % {
                    "file": backup.path,
                    "checksum": backup.checksum_path.name,
                    "tables": len(manifest["database"]["rows"]),
                    "files": sum(1 for name in manifest["members"] if name.startswith("files/")),
                    "index": manifest["audit"]["head"]["index"],
                }
            )
        )
