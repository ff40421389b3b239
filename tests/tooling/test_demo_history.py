"""The demo's past: `seed_demo --history` gives the statistics something to show without
filling any department queue, once."""

import io

import pytest
from django.core.management import call_command

from services.analytics.models import Refresh, ServiceMonth
from services.casework.constants import OPEN_STATUSES
from services.casework.models import Application, Step

pytestmark = pytest.mark.django_db


def test_the_demo_history_is_decided_summed_up_and_made_once():
    call_command("seed_demo", history=120, stdout=io.StringIO())
    assert Application.objects.count() == 120
    assert not Application.objects.filter(status__in=OPEN_STATUSES).exists()
    assert not Step.objects.filter(status="open").exists()
    assert Refresh.objects.filter(since=None).exists()
    assert sum(ServiceMonth.objects.values_list("received", flat=True)) == 120
    call_command("seed_demo", history=120, stdout=io.StringIO())
    assert Application.objects.count() == 120
