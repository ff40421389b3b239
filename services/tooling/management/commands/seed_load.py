"""Synthetic history for benchmarks and the performance dashboards: many cases over the last
two years on the demo services (run seed_demo first). `seed_demo --history` uses it for a
small, fully decided past; the benchmarks for a million cases on PostgreSQL.

Each case carries what the real code would have left behind, with the same rules for the
dates and counts it derives:

- the case: submitted on a realistic day and hour (fewer at weekends and on public holidays,
  a little more each month), completed, rejected (about 6%) or withdrawn (about 1.5%), or
  still open when recent (--open-share, in review or waiting for a correction); due date,
  decision time and processing working days less the days it waited for the citizen;
- its steps, stage after stage, each with its deadline, its decision and the working days
  it was open; one step of each service is its slowest, and each service has its own pace
  and share of late cases (about 4% to 20%, some 11% of all decided cases);
- a correction request on about 10% of the cases, which pauses the clock for 1 to 5 days;
- a rating on about 60% of the decided cases (worse when late or rejected), and a follow-up
  for each bad one, most of them answered;
- for each material, a document reused from the citizen's wallet (about 55% of the
  materials a wallet document can meet) or an upload (a path only, no file).

Reference numbers continue each day's counter; the tables are analyzed at the end.

Rows go in with bulk_create, a transaction a batch. Preparing them keeps one CPU busy, so
on PostgreSQL the cases are shared out among processes (--workers, one per CPU by default),
each with its own connection, its own days of the history and its own citizens: their
reference numbers and wallet documents never meet. Elsewhere (SQLite, tests), or inside a
transaction, the shares are written one after the other."""

import bisect
import dataclasses
import gc
import multiprocessing
import os
import queue
import random
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, models, reset_queries, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from services.accounts.constants import UserKind
from services.casework.constants import BAD_RATING_MAX, ApplicationStatus, RatingTag, StepStatus
from services.casework.deadlines import step_deadline
from services.casework.models import Application, CorrectionRequest, FollowUp, Rating, ReferenceCounter, Step
from services.catalog.constants import StepRole
from services.catalog.models import Material, Service, Stage, StageStep, WorkflowTemplate
from services.core.crypto import protect
from services.core.workdays import add_working_days, is_working_day, working_days_between
from services.records.models import DocumentSource, Evidence, Upload, WalletDocument

ANSWERS = {"applicant_name": "测试", "applicant_id_number": "11010519491231002X", "applicant_mobile": "13800000000"}
CITIZENS = 2000
HISTORY_DAYS = 730
# Open cases were submitted within this many days: older ones have mostly been decided.
OPEN_WINDOW_DAYS = 40
ROWS_PER_INSERT = 5000

WITHDRAWN_SHARE = 0.015
REJECTED_SHARE = 0.06
CORRECTION_SHARE = 0.10
RATED_SHARE = 0.60
REPLIED_SHARE = 0.85
FROM_WALLET_SHARE = 0.55
OPTIONAL_LEFT_OUT = 0.4
DEFERRED_SHARE = 0.3
# Services are assigned these in a shuffled order: the on-time cases of a service take about
# `pace` of its promised days; a slower service also misses its deadline more often.
PACES = (0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8)
LATE_SHARES = (0.04, 0.07, 0.09, 0.11, 0.13, 0.16, 0.2)
POPULARITY = (3.0, 2.5, 2.0, 1.5, 1.0, 0.7, 0.5)
BOTTLENECK_WEIGHT = 4.0
CLERK_WEIGHT = 0.35

CORRECTION_ITEMS = [{"field": "applicant_mobile", "text": "请核对手机号码"}]
PAUSE_DAYS, PAUSE_WEIGHTS = (1, 2, 3, 4, 5), (0.3, 0.3, 0.2, 0.12, 0.08)
REPLY = "已联系申请人并改进"
REJECTION_REASON = "材料不符合要求"

# Scores 1 to 5 (cumulative weights): bad ones are about 4.5% of on-time cases, far more of late ones.
SCORE_WEIGHTS = {
    "on_time": (0.015, 0.045, 0.12, 0.36, 1.0),
    "late": (0.12, 0.25, 0.40, 0.70, 1.0),
    "rejected": (0.10, 0.20, 0.35, 0.65, 1.0),
}
GOOD_TAGS = (RatingTag.FAST, RatingTag.CLEAR, RatingTag.FRIENDLY, RatingTag.ONCE)
BAD_TAGS = (RatingTag.SLOW, RatingTag.UNCLEAR, RatingTag.REPEAT, RatingTag.UNHELPFUL)
BAD_COMMENTS = ("办理时间太长", "材料要求说明不清楚", "多次要求补充材料", "")
GOOD_COMMENTS = ("办事效率高，点赞", "")

# Submissions by hour, on working days (peaks in office hours) and on days off (flatter).
WORKDAY_HOURS = (
    *(0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2, 4, 5, 4.5),  # from midnight
    *(2.5, 2.5, 4, 4.5, 4, 3, 1.8, 1.5, 1.6, 1.5, 1, 0.5),  # from noon
)
DAY_OFF_HOURS = (
    *(0.3, 0.2, 0.1, 0.05, 0.05, 0.1, 0.2, 0.5, 1, 1.6, 2, 2),
    *(1.8, 1.6, 1.8, 2, 2, 1.8, 1.6, 1.8, 2, 1.8, 1.2, 0.6),
)
# Monday to Sunday, for working days; a day off has a fifth of an average working day.
WEEKDAY_WEIGHTS = (1.25, 1.1, 1.0, 1.0, 0.9, 0.8, 0.8)
DAY_OFF_WEIGHT = 0.2
# Staff decide in office hours: 9:00-12:00 and 13:30-17:30, in seconds after midnight.
OFFICE = ((9 * 3600, 12 * 3600), (13 * 3600 + 1800, 17 * 3600 + 1800))
OFFICE_SECONDS = sum(end - begin for begin, end in OFFICE)
# Citizens answer corrections between 7:00 and 22:00.
CITIZEN_HOURS = (7 * 3600, 22 * 3600)


class Command(BaseCommand):
    help = "Generate N synthetic cases with their history (default 1,000,000), for benchmarks and analytics."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--batch", type=int, default=10_000)
        parser.add_argument("--open-share", type=float, default=0.08, help="share of cases still open")
        parser.add_argument("--seed", type=int, default=20261126)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="shares of the cases, each written by its own process on PostgreSQL (default: one per CPU, "
            "at most 4); elsewhere, or inside a transaction, the shares are written one after the other",
        )

    def handle(self, *args, cases, batch, open_share, seed, workers=None, **options):
        workflows = _workflows()
        if not workflows:
            raise CommandError("No services: run `manage.py seed_demo` first.")
        _staff(workflows)  # fails early when the demo staff are missing
        _citizens(CITIZENS)  # before the workers start, so that they share them out
        parallel = (
            connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and "fork" in multiprocessing.get_all_start_methods()
        )
        if workers is None:
            workers = min(os.cpu_count() or 1, 4) if parallel else 1
        now = timezone.localtime()
        job = _Job(now=now, shares=max(workers, 1), batch=batch, open_share=open_share, seed=seed)
        sizes = _share_sizes(cases, job)
        self._started = time.monotonic()
        self._made = [0] * len(sizes)
        if parallel and sum(1 for size in sizes if size) > 1:
            rows = self._in_processes(job, sizes)
        else:
            rows = {}
            for share, size in enumerate(sizes):
                _add(rows, _generate(job, share, size, lambda made, share=share: self._progress(share, made)))
        if connection.vendor == "postgresql":
            # Fresh statistics and visibility maps, as autovacuum would leave a live table;
            # without them the planner takes the new million rows for an empty table, and
            # no index-only scan can skip the rows themselves. (VACUUM cannot run inside a
            # transaction: there, statistics only.)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        seconds = max(time.monotonic() - self._started, 0.001)
        made, total = sum(self._made), sum(rows.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{made:,} cases, {total:,} rows in {seconds:.0f} s "
                f"({made / seconds:,.0f} cases/s, {total / seconds:,.0f} rows/s)."
            )
        )
        self.stdout.write(", ".join(f"{name}: {count:,}" for name, count in rows.items()))

    def _progress(self, share: int, made: int) -> None:
        self._made[share] = made
        done = sum(self._made)
        rate = done / max(time.monotonic() - self._started, 0.001)
        self.stdout.write(f"{done:>10,} cases ({rate:,.0f}/s)", ending="\r")
        self.stdout.flush()

    def _in_processes(self, job: "_Job", sizes: list[int]) -> dict[str, int]:
        """Each share in a process of its own (forked: Django is set up already), with its own
        connection; they report on a queue. The interpreter runs one thread at a time, and
        preparing rows for bulk_create keeps it busy: one process cannot use a second CPU."""
        context = multiprocessing.get_context("fork")
        messages = context.Queue()
        # A forked process must not use the parent's connection.
        connections.close_all()
        processes = [
            context.Process(target=_work, args=(job, share, size, messages), daemon=True)
            for share, size in enumerate(sizes)
            if size
        ]
        rows: dict[str, int] = {}
        left = len(processes)
        try:
            for process in processes:
                process.start()
            while left:
                try:
                    kind, share, value = messages.get(timeout=5)
                except queue.Empty:
                    if any(process.exitcode not in (None, 0) for process in processes):
                        raise CommandError("A worker stopped without a word (out of memory?).") from None
                    continue
                if kind == "made":
                    self._progress(share, value)
                elif kind == "done":
                    _add(rows, value)
                    left -= 1
                else:
                    raise CommandError(f"Worker {share} failed; its batch was rolled back.\n{value}")
        finally:
            for process in processes:
                if process.is_alive() and left:
                    process.terminate()  # its open transaction is rolled back
                process.join()
        return rows


@dataclass(frozen=True)
class _Job:
    now: datetime
    shares: int
    batch: int
    open_share: float
    seed: int


def _share_sizes(cases: int, job: _Job) -> list[int]:
    """Cases per share, in proportion to the weight of the share's days."""
    weights = [0.0] * job.shares
    for day, weight in _day_weights(job.now):
        weights[day.toordinal() % job.shares] += weight
    sizes = [int(cases * weight / sum(weights)) for weight in weights]
    sizes[0] += cases - sum(sizes)
    return sizes


def _work(job: _Job, share: int, size: int, messages) -> None:
    """A worker process: one share, reported on `messages`."""
    try:
        rows = _generate(job, share, size, lambda made: messages.put(("made", share, made)))
        messages.put(("done", share, rows))
    except BaseException:
        messages.put(("failed", share, traceback.format_exc()))
    finally:
        connections.close_all()


def _generate(job: _Job, share: int, size: int, progress) -> dict[str, int]:
    """Write `size` cases of one share, a transaction a batch. The shares never meet: each has
    its own days (so each day's reference numbers belong to one) and its own citizens (so each
    wallet document is made once)."""
    if not size:
        return {}
    workflows = _workflows()
    citizens = _citizens(CITIZENS)
    history = _History(
        job,
        share,
        workflows,
        staff=_staff(workflows),
        citizens=citizens[share :: job.shares],
        wallet=_wallet(),
        # Continue each day's reference numbers where they stand.
        sequence=dict(ReferenceCounter.objects.values_list("day", "last")),
    )
    rows: dict[str, int] = {}
    made = 0
    # The collector would walk the million objects of a batch again and again while they are
    # alive, for cycles that are few: once a batch is enough.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with _timestamps_as_given():
            while made < size:
                built = history.build(min(job.batch, size - made))
                with transaction.atomic():
                    _add(rows, history.write(built))
                made += len(built.cases)
                del built
                # With DEBUG on, every statement would be kept with its rows.
                reset_queries()
                gc.collect()
                progress(made)
    finally:
        if collecting:
            gc.enable()
    return rows


def _add(rows: dict[str, int], counts: dict[str, int]) -> None:
    for name, count in counts.items():
        rows[name] = rows.get(name, 0) + count


def _workflows() -> list:
    return list(
        WorkflowTemplate.objects.filter(is_active=True)
        .select_related("service__lead_department")
        .prefetch_related("stages__steps__department", "service__materials__document_type")
        .order_by("service__code")
    )


def _citizens(count: int) -> list:
    User = get_user_model()
    load = User.objects.filter(username__startswith="load-").order_by("pk")
    existing = list(load.values_list("pk", flat=True))
    if len(existing) >= count:
        return existing[:count]
    users = [
        User(username=f"load-{i}", kind=UserKind.CITIZEN, full_name="测试市民", password="!")  # noqa: S106 - unusable
        for i in range(len(existing), count)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    return list(load.values_list("pk", flat=True))[:count]


def _staff(workflows) -> dict[int, dict[str, int]]:
    """The demo clerk, reviewer and administrator of each department, by department id."""
    departments = {
        stage_step.department.code: stage_step.department.pk
        for workflow in workflows
        for stage in workflow.stages.all()
        for stage_step in stage.steps.all()
    }
    for workflow in workflows:
        departments[workflow.service.lead_department.code] = workflow.service.lead_department_id
    users = dict(
        get_user_model()
        .objects.filter(username__in=[f"{code}.{role}" for code in departments for role in _ROLES])
        .values_list("username", "pk")
    )
    missing = sorted(f"{code}.{role}" for code in departments for role in _ROLES if f"{code}.{role}" not in users)
    if missing:
        raise CommandError(f"No demo staff {', '.join(missing)}: run `manage.py seed_demo` first.")
    return {pk: {role: users[f"{code}.{role}"] for role in _ROLES} for code, pk in departments.items()}


def _wallet() -> dict[tuple[int, int], int]:
    """The load citizens' wallet documents made by earlier runs, by (citizen, type)."""
    return {
        (citizen_id, type_id): pk
        for citizen_id, type_id, pk in WalletDocument.objects.filter(
            citizen__username__startswith="load-", source=DocumentSource.REGISTRY
        ).values_list("citizen_id", "document_type_id", "pk")
    }


_ROLES = (StepRole.CLERK.value, StepRole.REVIEWER.value, "admin")


@contextmanager
def _timestamps_as_given():
    """bulk_create stamps auto_now_add fields with the present time; a history needs the times
    the things happened, so the fields take the value given while the history is written."""
    fields: list[models.DateField] = []
    for model, name in (
        (Step, "created_at"),
        (CorrectionRequest, "requested_at"),
        (Rating, "created_at"),
        (FollowUp, "created_at"),
        (Upload, "created_at"),
        (Evidence, "created_at"),
        (WalletDocument, "created_at"),
    ):
        field = model._meta.get_field(name)
        if not isinstance(field, models.DateField):
            raise TypeError(f"{model.__name__}.{name} is not a date field")
        fields.append(field)
    saved = [(field, field.auto_now_add) for field in fields]
    try:
        for field in fields:
            field.auto_now_add = False
        yield
    finally:
        for field, value in saved:
            field.auto_now_add = value


class _Calendar:
    """The working-day arithmetic of services.core.workdays over a span of days, from tables:
    walking the calendar day by day for each of millions of dates is the slow part of
    generating. Outside the span the real functions answer."""

    def __init__(self, first: date, last: date):
        self.days: list[date] = []
        self.rank: dict[date, int] = {}
        self.working: dict[date, bool] = {}
        day = first
        while day <= last:
            self.working[day] = is_working_day(day)
            if self.working[day]:
                self.days.append(day)
            # Working days in [first, day]: those in (a, b] are rank[b] - rank[a].
            self.rank[day] = len(self.days)
            day += timedelta(days=1)
        self._deadlines: dict = {}

    def is_working(self, day: date) -> bool:
        known = self.working.get(day)
        return is_working_day(day) if known is None else known

    def add(self, start: date, days: int) -> date:
        if not days:
            return start
        rank = self.rank.get(start)
        if rank is not None and rank + days - 1 < len(self.days):
            return self.days[rank + days - 1]
        return add_working_days(start, days)

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        a, b = self.rank.get(start), self.rank.get(end)
        if a is None or b is None:
            return working_days_between(start, end)
        return b - a

    def deadline(self, start: date, days: int) -> tuple[date, date]:
        key = (start, days)
        if key not in self._deadlines:
            self._deadlines[key] = step_deadline(start=start, days=days)
        return self._deadlines[key]


@dataclass(slots=True)
class _Service:
    workflow: WorkflowTemplate
    service: Service
    stages: list[tuple[Stage, list[StageStep]]]
    stage_weights: list[float]
    lead_steps: list[int]  # per stage, the index of its heaviest step
    ratios: dict  # stage_step pk -> its weight over its stage's heaviest
    materials: list[Material]
    pace: float
    late_share: float


@dataclass(slots=True)
class _Stage:
    stage: Stage
    steps: list[StageStep]
    opened: datetime
    works: list[int]
    decisions: list[datetime]
    pause: int


@dataclass(slots=True)
class _Plan:
    """A case as it would run to its end, before it is cut at the present or a withdrawal."""

    service: _Service
    submitted: datetime
    stages: list[_Stage]
    decided: datetime
    rejected_by: int | None  # index of the rejecting step in the last stage
    correction: tuple | None  # (stage index, asking step index, requested, resolved, paused days)


@dataclass(slots=True)
class _Case:
    """A case where it stands, with the rows to write for it."""

    application: Application
    plan: _Plan
    end: datetime  # its decision, its withdrawal, or now
    steps: list[Step]
    correction: CorrectionRequest | None
    asked_by: int | None  # index in `steps` of the step that asked for the correction
    last_department: int  # the department that decided last: a bad rating's follow-up goes there
    rating: Rating | None = None
    follow_up: FollowUp | None = None
    evidence: list = dataclasses.field(default_factory=list)  # [(evidence, (citizen id, document type id))]
    uploads: list = dataclasses.field(default_factory=list)


@dataclass(slots=True)
class _Batch:
    cases: list[_Case]
    documents: list[WalletDocument]  # new wallet documents the batch's evidence needs
    counters: dict[date, int]  # each day's last reference number in the batch


class _History:
    """The cases of one share, planned and turned into rows."""

    def __init__(self, job: _Job, share: int, workflows, *, staff, citizens, wallet, sequence):
        self.rng = random.Random(f"{job.seed}:{share}")  # noqa: S311 - synthetic data, not secrets
        self.citizens = citizens
        # (citizen, document type) -> wallet document key; None until its batch is written.
        self.wallet = wallet
        # Each day's last reference number.
        self.sequence = sequence
        self.now = job.now
        self.tz = job.now.tzinfo
        self.today = job.now.date()
        self.staff = staff
        self.open_share = job.open_share
        first = self.today - timedelta(days=HISTORY_DAYS)
        self.cal = _Calendar(first - timedelta(days=10), self.today + timedelta(days=31))
        self.follow_up_days = settings.FOLLOW_UP_WORKING_DAYS
        self._midnights: dict[date, datetime] = {}
        # Every share gives the services the same character.
        self.services = self._services(random.Random(job.seed), workflows)  # noqa: S311
        self.service_cum = _cumulative([POPULARITY[i % len(POPULARITY)] for i in range(len(self.services))])
        mine = [(day, weight) for day, weight in _day_weights(job.now) if day.toordinal() % job.shares == share]
        self.days = [day for day, _ in mine]
        self.day_cum = _cumulative([weight for _, weight in mine])
        self.open_from = bisect.bisect_left(self.days, self.today - timedelta(days=OPEN_WINDOW_DAYS))
        self.workday_hours = _cumulative(WORKDAY_HOURS)
        self.day_off_hours = _cumulative(DAY_OFF_HOURS)

    def _services(self, rng, workflows) -> list[_Service]:
        order = list(range(len(workflows)))
        rng.shuffle(order)
        services = []
        for rank, workflow in zip(order, workflows, strict=True):
            stages = [(stage, list(stage.steps.all())) for stage in workflow.stages.all()]
            stage_steps = [s for _, steps in stages for s in steps]
            deciders = [s for s in stage_steps if s.role != StepRole.CLERK] or stage_steps
            bottleneck = rng.choice(deciders)
            weight = {
                s.pk: BOTTLENECK_WEIGHT
                if s is bottleneck
                else CLERK_WEIGHT
                if s.role == StepRole.CLERK
                else rng.uniform(0.7, 1.3)
                for s in stage_steps
            }
            stage_weights, lead_steps, ratios = [], [], {}
            for _, steps in stages:
                step_weights = [weight[s.pk] for s in steps]
                heaviest = max(range(len(steps)), key=step_weights.__getitem__)
                top = weight[steps[heaviest].pk]
                stage_weights.append(top)
                lead_steps.append(heaviest)
                ratios.update({s.pk: weight[s.pk] / top for s in steps})
            services.append(
                _Service(
                    workflow=workflow,
                    service=workflow.service,
                    stages=stages,
                    stage_weights=stage_weights,
                    lead_steps=lead_steps,
                    ratios=ratios,
                    materials=list(workflow.service.materials.all()),
                    pace=PACES[rank % len(PACES)],
                    late_share=LATE_SHARES[rank % len(LATE_SHARES)],
                )
            )
        # Popularity goes by place in the list: shuffled, any service may be the busiest.
        rng.shuffle(services)
        return services

    # Times ---------------------------------------------------------------------------

    def _midnight(self, day: date) -> datetime:
        midnight = self._midnights.get(day)
        if midnight is None:
            midnight = self._midnights[day] = datetime(day.year, day.month, day.day, tzinfo=self.tz)
        return midnight

    def _after(self, moment: datetime) -> datetime:
        """A moment soon after `moment`, on the same day: the rest of the day is halved, so
        chains of same-day events never run past midnight."""
        left = (self._midnight(moment.date()) + timedelta(days=1) - moment).total_seconds()
        return moment + timedelta(seconds=self.rng.uniform(1, max(1.0, min(left / 2, 3600))))

    def _office_time(self, day: date, after: datetime | None = None) -> datetime:
        """When staff act on `day`: in office hours, and after `after` when that is the same day."""
        offset = self.rng.random() * OFFICE_SECONDS
        for begin, end in OFFICE:
            if offset < end - begin:
                offset += begin
                break
            offset -= end - begin
        moment = self._midnight(day) + timedelta(seconds=offset)
        if after is not None and moment <= after:
            moment = self._after(after)
        return moment

    def _citizen_time(self, day: date, after: datetime) -> datetime:
        moment = self._midnight(day) + timedelta(seconds=self.rng.uniform(*CITIZEN_HOURS))
        return moment if moment > after else self._after(after)

    def _soon(self, moment: datetime, seconds: float) -> datetime:
        """`seconds` later (routing, the next step of a worker), but on the same day."""
        later = moment + timedelta(seconds=seconds)
        return later if later.date() == moment.date() else self._after(moment)

    def _submitted(self, recent: bool) -> datetime:
        rng = self.rng
        cum = self.day_cum
        low = cum[self.open_from - 1] if recent and self.open_from else 0.0
        day = self.days[bisect.bisect(cum, low + rng.random() * (cum[-1] - low))]
        hours = self.workday_hours if self.cal.is_working(day) else self.day_off_hours
        midnight = self._midnight(day)
        # Today, only the hours up to now.
        elapsed = (self.now - midnight).total_seconds()
        top = hours[-1] if elapsed >= 86400 else hours[int(elapsed // 3600)]
        hour = bisect.bisect(hours, rng.random() * top)
        start = midnight + timedelta(hours=hour)
        moment = start + timedelta(seconds=rng.random() * 3600)
        return moment if moment <= self.now else start + (self.now - start) * rng.random()

    # The case as it would run --------------------------------------------------------

    def _simulate(self, svc: _Service, submitted: datetime, rejected: bool) -> _Plan:
        rng, cal = self.rng, self.cal
        promised = svc.service.promised_days
        if rng.random() < svc.late_share:
            total = promised + 1 + int(rng.expovariate(1 / max(1.0, promised * 0.3)))
        else:
            total = min(promised, round(promised * svc.pace * rng.lognormvariate(0, 0.35)))
        count = len(svc.stages)
        durations = _split(rng, total, svc.stage_weights)
        reject_stage = rng.randrange(count) if rejected else -1
        correction_stage = -1
        if rng.random() < CORRECTION_SHARE:
            # Most corrections are asked at acceptance, when the file is first looked at.
            last = reject_stage if rejected else count - 1
            correction_stage = 0 if rng.random() < 0.5 else rng.randint(0, last)
        stages: list[_Stage] = []
        correction = None
        opened = self._soon(submitted, rng.uniform(2, 90))
        for index, (stage, steps) in enumerate(svc.stages):
            duration = durations[index]
            lead = svc.lead_steps[index]
            works = [
                duration if i == lead else min(duration, int(duration * svc.ratios[s.pk] * rng.uniform(0.5, 1.1) + 0.5))
                for i, s in enumerate(steps)
            ]
            started_on = opened.date()
            pause = 0
            after = opened
            if index == correction_stage:
                # Asked before any step of the stage decided; every step waits for the answer.
                asked_on = cal.add(started_on, rng.randint(0, min(works)))
                requested = self._office_time(asked_on, after=opened)
                pause = rng.choices(PAUSE_DAYS, PAUSE_WEIGHTS)[0]
                resolved = self._citizen_time(cal.add(asked_on, pause), after=requested)
                correction = (index, rng.randrange(len(steps)), requested, resolved, pause)
                after = resolved
            decisions = [self._office_time(cal.add(started_on, work + pause), after=after) for work in works]
            stages.append(_Stage(stage, steps, opened, works, decisions, pause))
            if index == reject_stage:
                rejected_by = rng.randrange(len(steps))
                return _Plan(svc, submitted, stages, decisions[rejected_by], rejected_by, correction)
            opened = self._soon(max(decisions), rng.uniform(2, 90))
        return _Plan(svc, submitted, stages, self._soon(max(decisions), rng.uniform(1, 30)), None, correction)

    def _plan(self) -> tuple[_Plan, datetime | None, bool]:
        """A case, where it stands now: (plan, cut, withdrawn). A cut is when the case stopped
        (withdrawn) or the present (still open); None when it ran to its decision."""
        rng, now = self.rng, self.now
        svc = self.services[bisect.bisect(self.service_cum, rng.random() * self.service_cum[-1])]
        is_open = rng.random() < self.open_share
        draw = rng.random()
        withdrawn = not is_open and draw < WITHDRAWN_SHARE
        rejected = draw >= 1 - REJECTED_SHARE
        for _ in range(30):
            plan = self._simulate(svc, self._submitted(recent=is_open), rejected)
            if is_open and plan.decided > now:
                return plan, now, False
            if withdrawn:
                first = plan.stages[0].opened
                span = (plan.decided - first).total_seconds()
                cut = first + timedelta(seconds=rng.uniform(min(60, span / 2), span - min(1, span / 2)))
                if cut <= now:
                    return plan, cut, True
            elif not is_open and plan.decided <= now:
                return plan, None, False
        return plan, (now if plan.decided > now else None), False

    # Rows ----------------------------------------------------------------------------

    def build(self, size: int) -> _Batch:
        """The rows of `size` cases, without the keys the database gives them on insert."""
        # Every case has the same answers: their ID number is encrypted once, not per row
        # (the field leaves a value it finds encrypted as it is).
        answers = protect(ANSWERS)
        sequence = self.sequence
        cases: list[_Case] = []
        documents: list[WalletDocument] = []
        for _ in range(size):
            plan, cut, withdrawn = self._plan()
            day = plan.submitted.date()
            sequence[day] = sequence.get(day, 0) + 1
            application = _new(
                Application,
                reference=f"{day:%Y%m%d}-{sequence[day]:04d}",
                citizen_id=self.rng.choice(self.citizens),
                service_id=plan.service.service.pk,
                workflow_id=plan.service.workflow.pk,
                answers=answers,
                submitted_at=plan.submitted,
            )
            case = self._case(application, plan, cut, withdrawn)
            case.rating = self._rating(case)
            if case.rating is not None and case.rating.score <= BAD_RATING_MAX:
                case.follow_up = self._follow_up(case)
            self._materials(case, documents)
            cases.append(case)
        counters = {day: sequence[day] for day in {case.application.submitted_at.date() for case in cases}}
        return _Batch(cases, documents, counters)

    def write(self, batch: _Batch) -> dict[str, int]:
        """Insert a batch, each table in turn: the keys of the rows written come back and go
        into the rows that point at them."""
        cases = batch.cases
        Application.objects.bulk_create([case.application for case in cases], batch_size=ROWS_PER_INSERT)
        steps = []
        for case in cases:
            for step in case.steps:
                step.application_id = case.application.pk
            steps.extend(case.steps)
        Step.objects.bulk_create(steps, batch_size=ROWS_PER_INSERT)

        corrections, ratings, evidence, keys, uploads = [], [], [], [], []
        for case in cases:
            pk = case.application.pk
            if case.correction is not None:
                if case.asked_by is None:
                    raise ValueError("A correction request without the step that asked for it.")
                case.correction.application_id = pk
                case.correction.step_id = case.steps[case.asked_by].pk
                corrections.append(case.correction)
            if case.rating is not None:
                case.rating.application_id = pk
                ratings.append(case.rating)
            for row, key in case.evidence:
                row.application_id = pk
                evidence.append(row)
                keys.append(key)
            for row in case.uploads:
                row.application_id = pk
            uploads.extend(case.uploads)
        CorrectionRequest.objects.bulk_create(corrections, batch_size=ROWS_PER_INSERT)
        Rating.objects.bulk_create(ratings, batch_size=ROWS_PER_INSERT)
        follow_ups = []
        for case in cases:
            if case.follow_up is not None:
                if case.rating is None:
                    raise ValueError("A follow-up without its rating.")
                case.follow_up.rating_id = case.rating.pk
                follow_ups.append(case.follow_up)
        FollowUp.objects.bulk_create(follow_ups, batch_size=ROWS_PER_INSERT)
        WalletDocument.objects.bulk_create(batch.documents, batch_size=ROWS_PER_INSERT)
        wallet = self.wallet
        for document in batch.documents:
            wallet[document.citizen_id, document.document_type_id] = document.pk
        for row, key in zip(evidence, keys, strict=True):
            row.document_id = wallet[key]
        Evidence.objects.bulk_create(evidence, batch_size=ROWS_PER_INSERT)
        Upload.objects.bulk_create(uploads, batch_size=ROWS_PER_INSERT)

        # In the same transaction as the cases: an interrupted run leaves no number to be reused.
        ReferenceCounter.objects.bulk_create(
            [_new(ReferenceCounter, day=day, last=last) for day, last in batch.counters.items()],
            update_conflicts=True,
            unique_fields=["day"],
            update_fields=["last"],
            batch_size=ROWS_PER_INSERT,
        )
        return {
            "applications": len(cases),
            "steps": len(steps),
            "corrections": len(corrections),
            "ratings": len(ratings),
            "follow-ups": len(follow_ups),
            "wallet documents": len(batch.documents),
            "evidence": len(evidence),
            "uploads": len(uploads),
        }

    def _case(self, application: Application, plan: _Plan, cut: datetime | None, withdrawn: bool) -> _Case:
        """The case where it stands at `cut`: its steps and correction, and on `application` its
        status, dates and working days, as the real actions would have set them."""
        cal = self.cal
        svc = plan.service
        staff = self.staff
        day0 = plan.submitted.date()
        correction = plan.correction
        resolved_in_time = correction is not None and (cut is None or correction[3] <= cut)
        steps: list[Step] = []
        asked_by = None
        last_decision = None
        for index, planned in enumerate(plan.stages):
            if cut is not None and planned.opened > cut:
                break
            application.current_stage = planned.stage.position
            started_on = planned.opened.date()
            paused = planned.pause if correction is not None and correction[0] == index and resolved_in_time else 0
            rejected_by = plan.rejected_by if index == len(plan.stages) - 1 else None
            rejected_at = planned.decisions[rejected_by] if rejected_by is not None else None
            decided: datetime | None
            for position, (stage_step, decided) in enumerate(zip(planned.steps, planned.decisions, strict=True)):
                due_soon_on, due_date = cal.deadline(started_on, stage_step.days)
                if paused:
                    due_soon_on, due_date = cal.add(due_soon_on, paused), cal.add(due_date, paused)
                if rejected_by is not None and position == rejected_by:
                    status = StepStatus.REJECTED
                elif rejected_at is not None and decided >= rejected_at:
                    # Still open when a sibling rejected: closed with the case.
                    status, decided = StepStatus.CLOSED, rejected_at
                else:
                    status = StepStatus.APPROVED
                if cut is not None and decided > cut:
                    status, decided = (StepStatus.CLOSED, cut) if withdrawn else (StepStatus.OPEN, None)
                decider = None
                # Approved and rejected steps always have their decision time.
                if decided is not None and status in (StepStatus.APPROVED, StepStatus.REJECTED):
                    decider = staff[stage_step.department_id][stage_step.role]
                    if last_decision is None or decided >= last_decision[0]:
                        last_decision = (decided, stage_step.department_id)
                steps.append(
                    _new(
                        Step,
                        stage_step_id=stage_step.pk,
                        stage_position=planned.stage.position,
                        department_id=stage_step.department_id,
                        role=stage_step.role,
                        automatic_check=stage_step.automatic_check,
                        status=status,
                        service_id=svc.service.pk,
                        submitted_at=plan.submitted,
                        created_at=planned.opened,
                        started_on=started_on,
                        due_soon_on=due_soon_on,
                        due_date=due_date,
                        decided_at=decided,
                        working_days=None
                        if decided is None
                        else max(cal.between(started_on, decided.date()) - paused, 0),
                        decided_by_id=decider,
                        reason=REJECTION_REASON if status == StepStatus.REJECTED else "",
                    )
                )
                if correction is not None and correction[0] == index and correction[1] == position:
                    asked_by = len(steps) - 1

        request = None
        if asked_by is not None and correction is not None and (cut is None or correction[2] <= cut):
            index, position, requested, resolved, pause = correction
            if not resolved_in_time:
                # Still waiting for the citizen, or closed unanswered by the withdrawal.
                resolved, pause = (cut, 0) if withdrawn else (None, 0)
            stage_step = plan.stages[index].steps[position]
            request = _new(
                CorrectionRequest,
                items=CORRECTION_ITEMS,
                requested_by_id=staff[stage_step.department_id][stage_step.role],
                requested_at=requested,
                resolved_at=resolved,
                paused_working_days=pause,
            )
        paused_total = request.paused_working_days if request is not None else 0
        application.due_date = cal.add(cal.add(day0, svc.service.promised_days), paused_total)
        if withdrawn:
            application.status = ApplicationStatus.WITHDRAWN
        elif not steps:
            application.status = ApplicationStatus.SUBMITTED
        elif cut is not None:
            waiting = request is not None and request.resolved_at is None
            application.status = ApplicationStatus.CORRECTION if waiting else ApplicationStatus.IN_REVIEW
        else:
            application.status = (
                ApplicationStatus.REJECTED if plan.rejected_by is not None else ApplicationStatus.APPROVED
            )
            application.decided_at = plan.decided
            application.processing_working_days = max(cal.between(day0, plan.decided.date()) - paused_total, 0)
        return _Case(
            application=application,
            plan=plan,
            end=application.decided_at or cut or self.now,
            steps=steps,
            correction=request,
            asked_by=asked_by,
            last_department=last_decision[1] if last_decision else svc.service.lead_department_id,
        )

    def _rating(self, case: _Case) -> Rating | None:
        rng = self.rng
        application = case.application
        if application.decided_at is None or rng.random() >= RATED_SHARE:
            return None
        # Most citizens rate within a day or two of the decision.
        at = application.decided_at + timedelta(seconds=300 + rng.expovariate(1 / 129_600))
        if at > self.now:
            return None
        late = application.decided_at.date() > application.due_date
        corrected = case.correction is not None
        if application.status == ApplicationStatus.REJECTED:
            weights = SCORE_WEIGHTS["rejected"]
        else:
            weights = SCORE_WEIGHTS["late" if late else "on_time"]
        score = bisect.bisect(weights, rng.random()) + 1
        if score <= BAD_RATING_MAX:
            tags = [RatingTag.SLOW] if late else []
            if corrected:
                tags.append(RatingTag.REPEAT)
            if not tags or rng.random() < 0.4:
                tags.append(rng.choice(BAD_TAGS))
            comment = rng.choice(BAD_COMMENTS)
        elif score >= 4:
            good = [
                tag
                for tag in GOOD_TAGS
                if not ((tag == RatingTag.FAST and late) or (tag == RatingTag.ONCE and corrected))
            ]
            tags = rng.sample(good, rng.choice((0, 1, 1, 2)))
            comment = GOOD_COMMENTS[0] if rng.random() < 0.1 else ""
        else:
            tags, comment = [], ""
        return _new(
            Rating,
            score=score,
            tags=[str(tag) for tag in dict.fromkeys(tags)],
            comment=comment,
            created_at=at,
        )

    def _follow_up(self, case: _Case) -> FollowUp:
        """As ratings.application_rate opens it: for the department that decided last, due in
        FOLLOW_UP_WORKING_DAYS; most are answered, the most recent ones maybe not yet."""
        rng, cal = self.rng, self.cal
        rating = case.rating
        if rating is None:
            raise ValueError("A follow-up needs the case's rating.")
        rated_on = rating.created_at.date()
        follow_up = _new(
            FollowUp,
            department_id=case.last_department,
            due_date=cal.add(rated_on, self.follow_up_days),
            created_at=rating.created_at,
        )
        if rng.random() < REPLIED_SHARE:
            if rng.random() < 0.85:
                days = rng.randint(0, self.follow_up_days)
            else:
                days = self.follow_up_days + rng.randint(1, 4)
            replied_at = self._office_time(cal.add(rated_on, days), after=rating.created_at)
            if replied_at <= self.now:
                follow_up.reply = REPLY
                follow_up.replied_at = replied_at
                follow_up.replied_by_id = self.staff[case.last_department]["admin"]
        return follow_up

    def _materials(self, case: _Case, documents: list) -> None:
        """Each material met by a wallet document or an upload, as draft_submit leaves them; an
        optional one sometimes left out, one that may follow later sometimes sent after."""
        rng = self.rng
        application = case.application
        submitted = application.submitted_at
        citizen_id = application.citizen_id
        for material in case.plan.service.materials:
            type_id = material.document_type_id
            if type_id is not None and rng.random() < FROM_WALLET_SHARE:
                key = (citizen_id, type_id)
                if key not in self.wallet:
                    # Its key comes when the batch is written.
                    self.wallet[key] = None
                    documents.append(self._document(citizen_id, material.document_type, case.plan.service))
                case.evidence.append((_new(Evidence, material_id=material.pk, created_at=submitted), key))
                continue
            if not material.required and rng.random() < OPTIONAL_LEFT_OUT:
                continue
            uploaded = submitted - timedelta(seconds=rng.uniform(60, 259_200))
            if material.deferrable_days and rng.random() < DEFERRED_SHARE:
                later = self.cal.add(submitted.date(), rng.randint(1, material.deferrable_days))
                later = self._citizen_time(later, after=submitted)
                if later <= case.end:
                    uploaded = later
                elif application.decided_at is None:
                    continue  # not sent yet, or never: the case is still open or was withdrawn
            case.uploads.append(
                _new(
                    Upload,
                    owner_id=citizen_id,
                    material_id=material.pk,
                    file=f"uploads/load/{application.reference}-{material.position}.pdf",
                    original_name=f"{material.name_zh}.pdf",
                    content_type="application/pdf",
                    size=rng.randint(60_000, 3_000_000),
                    sha256=f"{rng.getrandbits(256):064x}",
                    created_at=uploaded,
                )
            )

    def _document(self, citizen_id: int, document_type, svc: _Service) -> WalletDocument:
        """A document its issuer's registry holds for a load citizen, from before the history."""
        rng = self.rng
        issued_on = self.days[0] - timedelta(days=rng.randint(30, 3000))
        valid_until = None
        if document_type.validity_years:
            valid_until = issued_on + timedelta(days=round(365.25 * document_type.validity_years))
        return _new(
            WalletDocument,
            citizen_id=citizen_id,
            document_type_id=document_type.pk,
            number=f"{document_type.code.upper()}-L{citizen_id}",
            holder_name="测试市民",
            issuer_id=document_type.issuer_id or svc.service.lead_department_id,
            issued_on=issued_on,
            valid_until=valid_until,
            source=DocumentSource.REGISTRY,
            created_at=self._midnight(issued_on),
        )


_DEFAULTS: dict = {}


def _new(model, **values):
    """An unsaved instance, made as Model.from_db makes loaded ones: without __init__'s
    handling of keyword arguments, a sixth of the run's time over millions of rows. Fields
    with a callable default are left out and must be given: their value is not shared."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        defaults = _DEFAULTS[model] = {
            field.attname: field.get_default()
            for field in model._meta.concrete_fields
            if not (field.has_default() and callable(field.default))
        }
    instance = model.__new__(model)
    instance._state = ModelState()
    instance.__dict__.update(defaults)
    instance.__dict__.update(values)
    return instance


def _day_weights(now: datetime) -> list[tuple[date, float]]:
    """Each day of the history, with how many applications it gets relative to the others."""
    first = now.date() - timedelta(days=HISTORY_DAYS)
    weights = []
    for index in range(HISTORY_DAYS + 1):
        day = first + timedelta(days=index)
        weight = WEEKDAY_WEIGHTS[day.weekday()] if is_working_day(day) else DAY_OFF_WEIGHT
        # A little more each month, as more citizens apply online.
        weights.append((day, weight * (0.75 + 0.5 * index / HISTORY_DAYS)))
    return weights


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _split(rng, total: int, weights: list[float]) -> list[int]:
    """`total` working days shared among the stages by weight, with some noise."""
    if len(weights) == 1:
        return [total]
    shares = [w * rng.uniform(0.6, 1.4) for w in weights]
    whole = sum(shares)
    out, running, before = [], 0.0, 0
    for share in shares:
        running += share
        bound = round(total * running / whole)
        out.append(bound - before)
        before = bound
    return out
