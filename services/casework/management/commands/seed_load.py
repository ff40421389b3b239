"""Synthetic load for measuring: many cases with their steps, spread over two years, on the
demo services (run seed_demo first). For benchmarks on PostgreSQL, never for demos."""

import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from services.accounts.constants import UserKind
from services.applications.constants import ApplicationStatus
from services.applications.models import Application, ReferenceCounter
from services.casework.actions import step_deadline
from services.casework.constants import StepStatus
from services.casework.models import Step
from services.catalog.models import WorkflowTemplate

ANSWERS = {"applicant_name": "测试", "applicant_id_number": "11010519491231002X", "applicant_mobile": "13800000000"}


class Command(BaseCommand):
    help = "Generate N synthetic cases with steps (default 1,000,000), for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--batch", type=int, default=10_000)
        parser.add_argument("--open-share", type=float, default=0.08, help="share of cases still open")
        parser.add_argument("--seed", type=int, default=20261126)

    def handle(self, *args, cases, batch, open_share, seed, **options):
        rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        workflows = list(
            WorkflowTemplate.objects.filter(is_active=True)
            .select_related("service")
            .prefetch_related("stages__steps__department")
        )
        if not workflows:
            raise CommandError("No services: run `manage.py seed_demo` first.")
        citizens = self._citizens(2000)
        now = timezone.now()
        start = now - timedelta(days=730)
        # Continue each day's reference numbers where they stand.
        sequence: dict = dict(ReferenceCounter.objects.values_list("day", "last"))
        started = time.monotonic()
        made = 0
        while made < cases:
            size = min(batch, cases - made)
            with transaction.atomic():
                self._batch(rng, size, workflows, citizens, start, now, open_share, sequence)
            made += size
            rate = made / max(time.monotonic() - started, 0.001)
            self.stdout.write(f"{made:>10,} cases ({rate:,.0f}/s)", ending="\r")
            self.stdout.flush()
        for day, last in sequence.items():
            counter, _ = ReferenceCounter.objects.get_or_create(day=day)
            if counter.last < last:
                counter.last = last
                counter.save(update_fields=["last"])
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would make them on a live table; without them the
            # planner takes the new million rows for an empty table.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"\n{made:,} cases in {time.monotonic() - started:.0f} s."))

    def _citizens(self, count: int) -> list:
        User = get_user_model()
        existing = list(User.objects.filter(username__startswith="load-").values_list("pk", flat=True))
        if len(existing) >= count:
            return existing[:count]
        users = [
            User(username=f"load-{i}", kind=UserKind.CITIZEN, full_name="测试市民", password="!")  # noqa: S106 - unusable
            for i in range(len(existing), count)
        ]
        User.objects.bulk_create(users, batch_size=1000)
        return list(User.objects.filter(username__startswith="load-").values_list("pk", flat=True))

    def _batch(self, rng, size, workflows, citizens, start, now, open_share, sequence):
        span = (now - start).total_seconds()
        applications = []
        plans = []
        for _ in range(size):
            workflow = rng.choice(workflows)
            is_open = rng.random() < open_share
            # Open cases are recent; finished ones spread over the whole period.
            submitted = (
                now - timedelta(days=rng.random() * 30) if is_open else start + timedelta(seconds=rng.random() * span)
            )
            day = timezone.localdate(submitted)
            sequence[day] = sequence.get(day, 0) + 1
            stages = list(workflow.stages.all())
            if is_open:
                reached = rng.randrange(len(stages))
                status = ApplicationStatus.CORRECTION if rng.random() < 0.05 else ApplicationStatus.IN_REVIEW
            else:
                reached = len(stages) - 1
                status = ApplicationStatus.REJECTED if rng.random() < 0.06 else ApplicationStatus.COMPLETED
            applications.append(
                Application(
                    reference=f"{day:%Y%m%d}-{sequence[day]:04d}",
                    citizen_id=rng.choice(citizens),
                    service=workflow.service,
                    workflow=workflow,
                    answers=ANSWERS,
                    status=status,
                    current_stage=stages[reached].position,
                    submitted_at=submitted,
                    due_date=day + timedelta(days=workflow.service.promised_days * 7 // 5),
                    decided_at=None if is_open else submitted + timedelta(days=rng.randint(1, 20)),
                )
            )
            plans.append((stages, reached, is_open, status, submitted))
        Application.objects.bulk_create(applications, batch_size=5000)
        steps = []
        for application, (stages, reached, is_open, status, submitted) in zip(applications, plans, strict=True):
            opened = submitted
            for index, stage in enumerate(stages[: reached + 1]):
                last = index == reached
                for stage_step in stage.steps.all():
                    opened_on = timezone.localdate(opened)
                    due_soon_on, due_date = _deadline(opened_on, stage_step.days)
                    if last and is_open:
                        step_status = StepStatus.OPEN
                    elif last and status == ApplicationStatus.REJECTED:
                        step_status = StepStatus.REJECTED
                    else:
                        step_status = StepStatus.APPROVED
                    steps.append(
                        Step(
                            application=application,
                            stage_step=stage_step,
                            stage_position=stage.position,
                            department=stage_step.department,
                            role=stage_step.role,
                            status=step_status,
                            service_id=application.service_id,
                            submitted_at=submitted,
                            started_on=opened_on,
                            due_soon_on=due_soon_on,
                            due_date=due_date,
                            decided_at=None if step_status == StepStatus.OPEN else opened + timedelta(days=1),
                        )
                    )
                opened = opened + timedelta(days=1)
        Step.objects.bulk_create(steps, batch_size=5000)


_DEADLINES: dict = {}


def _deadline(start, days):
    """step_deadline, remembered: the calendar walk is the slow part of generating."""
    key = (start, days)
    if key not in _DEADLINES:
        _DEADLINES[key] = step_deadline(start=start, days=days)
    return _DEADLINES[key]
