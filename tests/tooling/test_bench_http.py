"""The HTTP benchmark's submissions over the API are accepted, not refused quickly: its
submitter brings what the rules of every channel ask for."""

import json

import pytest

from services.applications.actions import application_send
from services.tooling.management.commands.bench_http import SUBMIT_ANSWERS, SUBMITTER, Command
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def test_the_benchmarks_submission_meets_the_rules(demo, django_capture_on_commit_callbacks):
    body = json.loads(SUBMIT_ANSWERS)
    submitter = CitizenFactory(username=SUBMITTER, full_name="压测申请人")

    Command()._wallet_for(submitter, service_code=body["service"])
    Command()._wallet_for(submitter, service_code=body["service"])  # a second run adds nothing
    with django_capture_on_commit_callbacks(execute=True):
        _application, created = application_send(
            citizen=submitter, service_code=body["service"], answers=body["answers"], idempotency_key=None
        )

    assert created
    assert submitter.wallet.count() == 2
