"""Two reviewers deciding one step at the same moment, on two PostgreSQL connections."""

import threading
import time

import pytest
from django.db import connections

from services.casework import decisions
from services.casework.models import Step
from services.core.errors import Conflict
from tests.casework.helpers import open_steps, reviewer_of, submit
from tests.factories import VALID_ANSWERS, CitizenFactory, make_service

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_reviewers_at_once_give_one_decision_and_one_conflict(
    postgres_only, monkeypatch, django_capture_on_commit_callbacks
):
    service = make_service(stages=[["psb"], ["mca"]])
    application = submit(CitizenFactory(), service, django_capture_on_commit_callbacks)
    (step,) = open_steps(application)
    first, second = reviewer_of("psb"), reviewer_of("psb")

    # Hold each decision open a moment after its check, so that without a lock both
    # would see the step still open and both would decide it.
    original_check = decisions.require_may_work_on

    def slow_check(**kwargs):
        original_check(**kwargs)
        time.sleep(0.5)

    monkeypatch.setattr(decisions, "require_may_work_on", slow_check)
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def decide(name, user, decision, reason):
        start.wait()
        try:
            results[name] = decisions.step_decide(step_id=step.pk, user=user, decision=decision, reason=reason)
        except Exception as exc:
            results[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=("a", first, "approve", "")),
        threading.Thread(target=decide, args=("b", second, "reject", "材料不全")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    outcomes = list(results.values())
    conflicts = [r for r in outcomes if isinstance(r, Conflict)]
    decided = [r for r in outcomes if isinstance(r, Step)]
    assert len(conflicts) == 1 and len(decided) == 1, outcomes
    assert conflicts[0].code == "already_decided"
    assert "already decided" in str(conflicts[0].message) or "已" in str(conflicts[0].message)
    step.refresh_from_db()
    assert step.status == decided[0].status
    assert step.decided_by_id == decided[0].decided_by_id


def test_a_slow_submission_does_not_hold_up_the_others(postgres_only, monkeypatch):
    """Every submission of a day takes its number from one counter row. The row is locked
    only while the number is taken, not for the submission's whole transaction: a second
    citizen's submission goes through while the first is still writing."""
    from services.casework import submission

    service = make_service(stages=[["psb"]])
    slow, quick = CitizenFactory(), CitizenFactory()
    writing = threading.Event()
    original_sync = submission.application_identities_sync

    def slow_sync(*, application):
        original_sync(application=application)
        if application.citizen_id == slow.pk:
            writing.set()
            time.sleep(2)  # still inside the first submission's transaction

    monkeypatch.setattr(submission, "application_identities_sync", slow_sync)
    took: dict[str, object] = {}

    def submit_as(name, citizen):
        began = time.monotonic()
        try:
            application, _created = submission.application_submit(
                citizen=citizen, service_code=service.code, answers=dict(VALID_ANSWERS)
            )
            took[name] = (time.monotonic() - began, application.reference)
        except Exception as exc:
            took[name] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=submit_as, args=("slow", slow))
    first.start()
    assert writing.wait(timeout=10)
    submit_as("quick", quick)
    first.join(timeout=30)
    quick_seconds, quick_reference = took["quick"]
    slow_seconds, slow_reference = took["slow"]
    assert quick_seconds < 1.0, f"the second submission waited {quick_seconds:.1f} s for the first"
    assert slow_seconds >= 2
    # Distinct numbers of the same day, in the order they were taken.
    assert slow_reference[:9] == quick_reference[:9]
    assert int(quick_reference[9:]) == int(slow_reference[9:]) + 1
