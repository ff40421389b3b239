"""`make bench`: the statistics pages against a large history.

Fills the database up to --cases synthetic cases (seed_load) and rebuilds the summary tables
when they are missing, then times each page in-process (URL routing, view, queries,
templates, charts) and counts its queries. Fails when a median is over --target-ms. Meant
for PostgreSQL (DATABASE_URL)."""

import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from services.analytics.actions import months_back, summary_refresh, summary_refresh_recent
from services.analytics.models import Refresh
from services.casework.models import Application
from services.tooling.bench import scenarios_time


class Command(BaseCommand):
    help = "Benchmark the statistics pages on a large history."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=15)
        parser.add_argument("--target-ms", type=float, default=500.0)

    def handle(self, *args, cases, runs, target_ms, **options):
        User = get_user_model()
        if not User.objects.filter(username="leader").exists():
            call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        have = Application.objects.count()
        if have < cases:
            self.stdout.write(f"{have:,} cases; generating {cases - have:,} more (once; kept for later runs).")
            call_command("seed_load", cases=cases - have)
        if not Refresh.objects.filter(since__isnull=True).exists():
            refresh = summary_refresh()
            if refresh is None:
                raise CommandError("A refresh of the statistics is running: try again when it has finished.")
            self.stdout.write(f"summary tables rebuilt from the start in {refresh.seconds:.1f} s")
        began = time.monotonic()
        summary_refresh_recent(months=3)
        self.stdout.write(f"beat's refresh of the last three months: {time.monotonic() - began:.1f} s")
        self.stdout.write(f"{Application.objects.count():,} cases; vendor {connection.vendor}.")

        this_month = timezone.localdate().replace(day=1)
        two_years = f"month_from={months_back(this_month, 23):%Y-%m}&month_to={this_month:%Y-%m}"
        leader, admin, anonymous = Client(), Client(), Client()
        leader.force_login(User.objects.get(username="leader"))
        admin.force_login(User.objects.get(username="psb.admin"))
        scenarios = [
            ("leader: last 12 months", leader, "/analytics/", {}),
            ("leader: 24 months", leader, f"/analytics/?{two_years}", {}),
            ("leader: one department", leader, "/analytics/?department=psb", {}),
            ("leader: one service (htmx)", leader, "/analytics/?service=residence-permit", {"HTTP_HX_REQUEST": "true"}),
            ("dept admin: own department", admin, "/analytics/", {}),
            ("leader: CSV per service", leader, f"/analytics/export/services.csv?{two_years}", {}),
            ("leader: CSV per step", leader, f"/analytics/export/steps.csv?{two_years}", {}),
            ("public: page, 24 months", anonymous, f"/open-data/?{two_years}", {}),
            ("public: JSON, 24 months", anonymous, f"/api/v1/open-data/statistics/?{two_years}", {}),
        ]
        scenarios_time(scenarios=scenarios, runs=runs, target_ms=target_ms, write=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"every median under {target_ms:.0f} ms"))
