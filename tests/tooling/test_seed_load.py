"""seed_load: the synthetic history keeps the rules the real actions follow (working days
less the days a case waited for the citizen, deadlines moved by those days, follow-ups of
bad ratings, materials met by a wallet document or an upload), in realistic shares, and
continues the reference numbers of each day."""

import os
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from services.accounts.constants import StaffRole
from services.accounts.models import Membership
from services.casework.constants import BAD_RATING_MAX, OPEN_STATUSES, ApplicationStatus, RatingTag, StepStatus
from services.casework.deadlines import step_deadline
from services.casework.models import Application, CorrectionRequest, FollowUp, Rating, ReferenceCounter, Step
from services.casework.submission import reference_take
from services.catalog.models import Material
from services.core.workdays import add_working_days, is_working_day, working_days_between
from services.records.models import Evidence, Upload, WalletDocument

pytestmark = pytest.mark.django_db

CASES = 300
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)


def seed_load(**options):
    call_command("seed_load", cases=CASES, batch=100, stdout=open(os.devnull, "w"), **options)  # noqa: SIM115


@pytest.fixture
def seeded(demo):
    seed_load()
    return demo


def local(moment):
    return timezone.localdate(moment)


def corrections_by_case() -> dict[int, list[CorrectionRequest]]:
    result = defaultdict(list)
    for correction in CorrectionRequest.objects.all():
        result[correction.application_id].append(correction)
    return result


def test_decided_cases_count_working_days_less_the_days_they_waited(seeded):
    corrections = corrections_by_case()
    decided = list(Application.objects.filter(status__in=DECIDED).select_related("service"))
    assert len(decided) > CASES * 0.8
    for case in decided:
        paused = sum(c.paused_working_days for c in corrections[case.pk])
        elapsed = working_days_between(local(case.submitted_at), local(case.decided_at))
        assert case.processing_working_days == elapsed - paused, case.reference
        assert case.processing_working_days >= 0
        assert case.submitted_at < case.decided_at <= timezone.now()
    for case in Application.objects.exclude(status__in=DECIDED):
        assert case.decided_at is None
        assert case.processing_working_days is None


def test_due_dates_move_on_by_the_paused_days(seeded):
    corrections = corrections_by_case()
    for case in Application.objects.select_related("service"):
        due = add_working_days(local(case.submitted_at), case.service.promised_days)
        for correction in corrections[case.pk]:
            due = add_working_days(due, correction.paused_working_days)
        assert case.due_date == due, case.reference


def test_shares_of_outcomes_corrections_and_late_cases(seeded):
    counts = dict(Application.objects.values_list("status").annotate(n=Count("id")))
    assert counts[ApplicationStatus.APPROVED] > CASES * 0.7
    assert CASES * 0.02 <= counts.get(ApplicationStatus.REJECTED, 0) <= CASES * 0.12
    still_open = sum(counts.get(status, 0) for status in OPEN_STATUSES)
    assert CASES * 0.04 <= still_open <= CASES * 0.13
    assert counts.get(ApplicationStatus.WITHDRAWN, 0) <= CASES * 0.05
    # Open cases are the recent ones.
    month_ago = timezone.now() - timedelta(days=45)
    assert not Application.objects.filter(status__in=OPEN_STATUSES, submitted_at__lt=month_ago).exists()

    corrected = Application.objects.filter(corrections__isnull=False).distinct().count()
    assert CASES * 0.05 <= corrected <= CASES * 0.17

    decided = list(Application.objects.filter(status__in=DECIDED))
    late = [case for case in decided if local(case.decided_at) > case.due_date]
    assert len(decided) * 0.04 <= len(late) <= len(decided) * 0.2


def test_cases_are_spread_over_two_years_and_fewer_on_days_off(seeded):
    submitted = list(Application.objects.values_list("submitted_at", flat=True))
    now = timezone.now()
    assert all(now - timedelta(days=731) <= moment <= now for moment in submitted)
    assert min(submitted) < now - timedelta(days=600)
    days_off = [moment for moment in submitted if not is_working_day(local(moment))]
    # Days off are about 3 in 10 days of the year; they get far fewer applications.
    assert len(days_off) < len(submitted) * 0.2
    night = [moment for moment in submitted if timezone.localtime(moment).hour < 6]
    assert len(night) < len(submitted) * 0.05


def test_steps_keep_their_working_days_and_deadlines(seeded):
    corrections = corrections_by_case()
    steps = list(Step.objects.select_related("stage_step", "application"))
    assert len(steps) > CASES
    for step in steps:
        case = step.application
        assert local(step.created_at) == step.started_on
        assert case.submitted_at <= step.created_at
        closed = step.status != StepStatus.OPEN
        assert (step.decided_at is not None) == closed
        assert (step.working_days is not None) == closed
        if step.status == StepStatus.OPEN:
            assert case.status in OPEN_STATUSES
        # As _step_close counts: the corrections answered since the step opened, that existed
        # when it closed.
        paused = sum(
            c.paused_working_days
            for c in corrections[case.pk]
            if c.resolved_at is not None
            and c.resolved_at >= step.created_at
            and (step.decided_at is None or c.requested_at <= step.decided_at)
        )
        if closed:
            assert step.created_at <= step.decided_at
            expected = working_days_between(step.started_on, local(step.decided_at)) - paused
            assert step.working_days == max(expected, 0), (case.reference, step.stage_step.name_en)
        due_soon_on, due_date = step_deadline(start=step.started_on, days=step.stage_step.days)
        assert step.due_soon_on == add_working_days(due_soon_on, paused)
        assert step.due_date == add_working_days(due_date, paused)
    # Created at the time the step opened, not when the rows were written.
    old = sum(1 for step in steps if step.created_at < timezone.now() - timedelta(days=60))
    assert old > len(steps) * 0.7


def test_each_reached_stage_has_one_step_per_stage_step(seeded):
    by_case = defaultdict(list)
    for step in Step.objects.select_related("stage_step__stage"):
        by_case[step.application_id].append(step)
    for case in Application.objects.prefetch_related("workflow__stages__steps"):
        steps = by_case[case.pk]
        if case.status == ApplicationStatus.SUBMITTED:
            assert steps == []
            continue
        expected = {
            stage_step.pk
            for stage in case.workflow.stages.all()
            if stage.position <= case.current_stage
            for stage_step in stage.steps.all()
        }
        assert sorted(step.stage_step_id for step in steps) == sorted(expected), case.reference
        statuses = [step.status for step in steps]
        if case.status == ApplicationStatus.REJECTED:
            assert statuses.count(StepStatus.REJECTED) == 1
        if case.status == ApplicationStatus.APPROVED:
            assert set(statuses) == {StepStatus.APPROVED}
        if case.status == ApplicationStatus.WITHDRAWN:
            assert StepStatus.OPEN not in statuses


def test_one_step_of_each_service_is_clearly_the_slowest(seeded):
    days = defaultdict(list)
    for service_id, stage_step_id, working_days in Step.objects.filter(
        status=StepStatus.APPROVED, working_days__isnull=False
    ).values_list("service_id", "stage_step_id", "working_days"):
        days[service_id, stage_step_id].append(working_days)
    by_service = defaultdict(list)
    for (service_id, _), values in days.items():
        if len(values) >= 5:
            by_service[service_id].append(sum(values) / len(values))
    several = [sorted(means, reverse=True) for means in by_service.values() if len(means) > 1]
    assert several
    for means in several:
        assert means[0] >= 1.5 * means[1]


def test_corrections_are_asked_by_the_step_and_pause_the_clock(seeded):
    steps = {step.pk: step for step in Step.objects.select_related("application")}
    staff = set(Membership.objects.values_list("user_id", "department_id"))
    corrections = list(CorrectionRequest.objects.select_related("application"))
    assert corrections
    for correction in corrections:
        step = steps[correction.step_id]
        case = correction.application
        assert step.application_id == case.pk
        assert (correction.requested_by_id, step.department_id) in staff
        assert correction.items == [{"field": "applicant_mobile", "text": "请核对手机号码"}]
        assert step.created_at < correction.requested_at
        if correction.resolved_at is None:
            assert case.status == ApplicationStatus.CORRECTION
            assert correction.paused_working_days == 0
        elif case.status == ApplicationStatus.WITHDRAWN and correction.paused_working_days == 0:
            continue  # closed unanswered by the withdrawal
        else:
            assert correction.requested_at < correction.resolved_at
            paused = working_days_between(local(correction.requested_at), local(correction.resolved_at))
            assert correction.paused_working_days == paused
            assert 1 <= paused <= 5
    waiting = Application.objects.filter(status=ApplicationStatus.CORRECTION)
    for case in waiting:
        assert case.corrections.filter(resolved_at__isnull=True).count() == 1


def test_ratings_only_on_decided_cases_and_follow_ups_for_bad_ones(seeded, settings):
    ratings = list(Rating.objects.select_related("application"))
    decided = Application.objects.filter(status__in=DECIDED).count()
    assert decided * 0.4 <= len(ratings) <= decided * 0.8
    for rating in ratings:
        assert rating.application.status in DECIDED
        assert rating.application.decided_at < rating.created_at <= timezone.now()
        assert 1 <= rating.score <= 5
        assert set(rating.tags) <= set(RatingTag.values)
    bad = [rating for rating in ratings if rating.score <= BAD_RATING_MAX]
    assert 0 < len(bad) <= len(ratings) * 0.2
    assert sum(1 for rating in ratings if rating.score >= 4) > len(ratings) * 0.7

    follow_ups = {f.rating_id: f for f in FollowUp.objects.all()}
    assert set(follow_ups) == {rating.pk for rating in bad}
    admins = set(Membership.objects.filter(role=StaffRole.DEPARTMENT_ADMIN).values_list("user_id", "department_id"))
    last_deciders = {}
    for step in Step.objects.filter(status__in=(StepStatus.APPROVED, StepStatus.REJECTED)).order_by("decided_at"):
        last_deciders[step.application_id] = step.department_id
    for rating in bad:
        follow_up = follow_ups[rating.pk]
        assert follow_up.created_at == rating.created_at
        assert follow_up.due_date == add_working_days(local(rating.created_at), settings.FOLLOW_UP_WORKING_DAYS)
        assert follow_up.department_id == last_deciders[rating.application_id]
        if follow_up.replied_at is None:
            assert follow_up.reply == "" and follow_up.replied_by_id is None
        else:
            assert follow_up.reply == "已联系申请人并改进"
            assert rating.created_at < follow_up.replied_at <= timezone.now()
            assert (follow_up.replied_by_id, follow_up.department_id) in admins


def test_materials_are_met_by_wallet_documents_or_uploads(seeded):
    evidence = list(Evidence.objects.select_related("document", "material", "application"))
    uploads = list(Upload.objects.select_related("material", "application"))
    assert evidence and uploads
    met = defaultdict(set)
    for row in evidence:
        assert row.document.citizen_id == row.application.citizen_id
        assert row.document.document_type_id == row.material.document_type_id
        assert row.created_at == row.application.submitted_at
        met[row.application_id].add(row.material_id)
    for upload in uploads:
        assert upload.owner_id == upload.application.citizen_id
        assert upload.material.service_id == upload.application.service_id
        assert upload.material_id not in met[upload.application_id] or upload.material.document_type_id is None
        assert upload.content_type == "application/pdf" and upload.size > 0
        assert re.fullmatch(r"[0-9a-f]{64}", upload.sha256)
        assert upload.file.name.startswith("uploads/load/") and upload.file.name.endswith(".pdf")
        assert upload.created_at <= (upload.application.decided_at or timezone.now())
        met[upload.application_id].add(upload.material_id)
    materials = defaultdict(list)
    for material in Material.objects.all():
        materials[material.service_id].append(material)
    for case in Application.objects.all():
        needed = {m.pk for m in materials[case.service_id] if m.required and not m.deferrable_days}
        assert needed <= met[case.pk], case.reference
    # One wallet document per citizen and type, used again by later cases.
    pairs = list(
        WalletDocument.objects.filter(citizen__username__startswith="load-").values_list("citizen", "document_type")
    )
    assert len(pairs) == len(set(pairs))
    assert len({row.document_id for row in evidence}) == len(pairs)
    # Most materials a wallet document can meet come from the wallet.
    can_reuse = sum(
        1 for case in Application.objects.all() for m in materials[case.service_id] if m.document_type_id is not None
    )
    assert can_reuse * 0.4 <= len(evidence) <= can_reuse * 0.7


def test_a_second_run_continues_the_reference_numbers(seeded):
    # In two shares, as the workers of a run on PostgreSQL make it (here one after the other).
    seed_load(seed=7, workers=2)
    references = list(Application.objects.values_list("reference", flat=True))
    assert len(references) == 2 * CASES == len(set(references))
    last = defaultdict(int)
    for reference in references:
        day, number = reference.split("-")
        last[day] = max(last[day], int(number))
    counters = {f"{day:%Y%m%d}": value for day, value in ReferenceCounter.objects.values_list("day", "last")}
    for day, number in last.items():
        assert counters[day] >= number
    # A citizen who applies today gets a number no synthetic case has.
    with transaction.atomic():
        assert reference_take(day=timezone.localdate()) not in references


def test_timestamp_fields_stamp_the_present_again_after_the_run(seeded):
    for model, name in ((Step, "created_at"), (CorrectionRequest, "requested_at"), (Rating, "created_at")):
        assert model._meta.get_field(name).auto_now_add


def test_without_open_cases_no_department_queue_fills(demo):
    call_command("seed_load", cases=200, batch=100, open_share=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not Application.objects.filter(status__in=OPEN_STATUSES).exists()
    assert not Step.objects.filter(status=StepStatus.OPEN).exists()
    assert not CorrectionRequest.objects.filter(resolved_at__isnull=True).exists()
