"""Rebuild an empty database and an empty file store from a backup archive, or only check an
archive (--check). The identity that opens it is given here, never kept by the portal."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from services.backups.actions import backup_check, backup_restore
from services.core.errors import PortalError


class Command(BaseCommand):
    help = (
        "Restore a backup archive into an empty database (DATABASE_URL) and an empty file store (MEDIA_ROOT), "
        "checking it whole first and the result against its manifest and the audit chain after."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--identity", type=Path, required=True, help="The file of the age identity (private key) that opens it."
        )
        parser.add_argument("--check", action="store_true", help="Only decrypt and check the archive; write nothing.")
        parser.add_argument(
            "--without-checksum-file",
            action="store_true",
            help="Go on when the .sha256 file beside the archive was lost (decryption still checks every byte).",
        )

    def handle(self, *args, **options):
        action = backup_check if options["check"] else backup_restore
        try:
            result = action(
                path=Path(options["archive"]),
                identity=Path(options["identity"]),
                checksum_required=not options["without_checksum_file"],
            )
        except PortalError as exc:
            raise CommandError(exc.message) from None
        manifest = result.manifest
        self.stdout.write(
            _("Archive of %(created)s, portal %(version)s (%(commit)s), PostgreSQL %(server)s: intact.")
            % {
                "created": manifest["created_at"],
                "version": manifest["portal"]["version"],
                "commit": manifest["portal"]["commit"][:12] or "—",
                "server": manifest["postgresql"]["server"],
            }
        )
        for note in result.notes:
            self.stdout.write(note)
        if result.problems:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(result.problems[0])
        if not options["check"]:
            self.stdout.write(self.style.SUCCESS(_("The restore is complete and verified.")))
