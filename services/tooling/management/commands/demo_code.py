"""The code of the moment for the demo staff accounts' second factor, for whoever tries the
demo without an authenticator app at hand."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from services.tooling import demo_data


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo staff accounts (demo key only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "demo_code belongs with seed_demo: it does not run in production (PORTAL_ENV=production)."
            )
        self.stdout.write(demo_data.demo_code())
