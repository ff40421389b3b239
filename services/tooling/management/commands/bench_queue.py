"""`make bench`: the department queue, page and API, against a large case table.

Fills the database up to --cases synthetic cases (seed_load), then times each request
scenario in-process (URL routing, views, queries, templates) and counts its queries.
Fails when a median is over --target-ms. Meant for PostgreSQL (DATABASE_URL)."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client

from services.casework.constants import StepStatus
from services.casework.models import Application, Step
from services.tooling.bench import scenarios_time


class Command(BaseCommand):
    help = "Benchmark the department queue page and API on a large case table."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=25)
        parser.add_argument("--target-ms", type=float, default=150.0)
        parser.add_argument("--user", default="psb.reviewer")

    def handle(self, *args, cases, runs, target_ms, user, **options):
        if not get_user_model().objects.filter(username=user).exists():
            call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        have = Application.objects.count()
        if have < cases:
            self.stdout.write(f"{have:,} cases; generating {cases - have:,} more (once; kept for later runs).")
            call_command("seed_load", cases=cases - have)
        staff = get_user_model().objects.get(username=user)
        client = Client()
        client.force_login(staff)
        open_steps = Step.objects.filter(department__memberships__user=staff, status=StepStatus.OPEN).count()
        reference = (
            Step.objects.filter(department__memberships__user=staff, status=StepStatus.OPEN)
            .values_list("application__reference", flat=True)
            .first()
        )
        deep_cursor = self._cursor_after_pages(client, pages=20)
        self.stdout.write(
            f"{Application.objects.count():,} cases, {Step.objects.count():,} steps; "
            f"{open_steps:,} open in {user}'s departments; vendor {connection.vendor}."
        )
        scenarios = [
            ("page: queue, first page", "/workbench/"),
            ("page: overdue filter", "/workbench/?deadline=overdue"),
            ("page: service filter", "/workbench/?service=residence-permit"),
            ("page: 21st page by cursor", f"/workbench/?cursor={deep_cursor}"),
            ("page: reference search", f"/workbench/?reference={reference}"),
            ("page: submitted between", "/workbench/?submitted_from=2026-11-01&submitted_to=2026-11-20"),
            ("api: queue, first page", "/api/v1/tasks/"),
            ("api: due soon, unclaimed", "/api/v1/tasks/?deadline=due_soon&assignment=unclaimed"),
            ("api: 21st page by cursor", f"/api/v1/tasks/?cursor={deep_cursor}"),
        ]
        scenarios_time(
            scenarios=[(name, client, url, {}) for name, url in scenarios],
            runs=runs,
            target_ms=target_ms,
            write=self.stdout.write,
        )
        self.stdout.write(self.style.SUCCESS(f"every median under {target_ms:.0f} ms"))

    def _cursor_after_pages(self, client: Client, pages: int) -> str:
        cursor = ""
        for _ in range(pages):
            body = client.get("/api/v1/tasks/" + (f"?cursor={cursor}" if cursor else "")).json()
            if not body["next_cursor"]:
                break
            cursor = body["next_cursor"]
        return cursor
