"""Check the audit trail: every hash, every link, and the signed checkpoints outside the
database. Exits 1 on any problem, naming the first bad entry."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from services.audit.tasks import checkpoint
from services.audit.verify import audit_verify


class Command(BaseCommand):
    help = "Verify the security audit trail against its hash chain and signed checkpoints."

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint", action="store_true", help="Seal and checkpoint the trail first (needs the signing key)."
        )

    def handle(self, *args, **options):
        if options.get("checkpoint"):
            checkpoint()
        report = audit_verify()
        if report.unsealed:
            self.stdout.write(
                _("%(count)s events are not sealed yet (the beat seals them every few seconds).")
                % {"count": report.unsealed}
            )
        if not report.intact:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(report.problems[0])
        self.stdout.write(
            self.style.SUCCESS(
                _("The audit trail is intact: %(count)s events (#%(first)s to #%(last)s).")
                % {"count": report.checked, "first": report.first_index or 0, "last": report.last_index or 0}
            )
        )
