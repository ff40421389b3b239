"""Rebuild the statistics' summary tables now: the whole history, or from a month on. Beat
rebuilds the recent months by itself; this is for after an import or a generated history."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from services.analytics.actions import summary_refresh
from services.analytics.forms import MonthField


class Command(BaseCommand):
    help = "Rebuild the statistics' summary tables (all months, or --since YYYY-MM on)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="The first month to rebuild, as YYYY-MM; default: all.")

    def handle(self, *args, since=None, **options):
        month = None
        if since:
            try:
                month = MonthField().clean(since)
            except ValidationError as exc:
                raise CommandError(f"--since: {since!r} is not a month like 2026-01.") from exc
        refresh = summary_refresh(since=month)
        if refresh is None:
            raise CommandError("Another refresh is running; run this again when it has finished.")
        self.stdout.write(
            self.style.SUCCESS(f"Summary tables rebuilt from {month or 'the start'} in {refresh.seconds:.1f} s.")
        )
