"""Binding an ID number to an account (实名核验) takes more than a name: the population
registry must hold, for that number, the mobile number the citizen proved with a code. A
stranger who knows a resident's name and ID number cannot bind it, and the resident sees
the attempt in their own data log; tries are limited per account and per number."""

import pytest
from django.test import Client
from django.utils import timezone

from services.catalog.models import Service
from services.records.models import DataAccess, Fetch
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db

ZHANG_ID = "11010519491231002X"  # the demo population registry's record: 张伟, 13800138001
CONSENT = "/services/marriage-registration/apply/consent/"


def _consent(user, id_number=ZHANG_ID):
    client = Client()
    client.force_login(user)
    service = Service.objects.get(code="marriage-registration")
    requirements = list(service.data_requirements.values_list("pk", flat=True))
    return client.post(CONSENT, {"action": "agree", "id_number": id_number, "requirement": requirements})


def test_a_stranger_with_the_residents_name_and_id_number_cannot_bind_it_and_the_resident_is_told(demo):
    zhang = demo["13800138001"]
    stranger = CitizenFactory(full_name="张伟", mobile="13900009999", mobile_confirmed_at=timezone.now())

    refused = _consent(stranger)

    assert refused.status_code == 400
    assert "mobile number of your account" in refused.content.decode() or "手机号码" in refused.content.decode()
    stranger.refresh_from_db()
    assert stranger.id_digest is None
    assert not Fetch.objects.filter(citizen=stranger).exists()
    # The resident sees, in "who used my data", that another account tried their number.
    told = DataAccess.objects.filter(citizen=zhang)
    assert told.count() == 1
    assert "另一账户" in told.get().purpose
    page = Client()
    page.force_login(zhang)
    assert "另一账户" in page.get("/my/data-use/").content.decode()
    # The resident binds their own number as before.
    assert _consent(zhang).status_code == 302
    zhang.refresh_from_db()
    assert zhang.id_digest


def test_a_mobile_number_not_yet_confirmed_proves_nothing(demo):
    zhang = demo["13800138001"]
    type(zhang).objects.filter(pk=zhang.pk).update(mobile_confirmed_at=None)
    zhang.refresh_from_db()
    assert _consent(zhang).status_code == 400
    assert zhang.id_digest is None


def test_tries_are_limited_per_account_and_per_id_number(demo, settings):
    settings.IDENTITY_TRIES = "3/d"
    stranger = CitizenFactory(full_name="张伟", mobile="13900009998", mobile_confirmed_at=timezone.now())
    answers = [_consent(stranger).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]
    # Another stranger after the same number: it is the number's tries that are used up.
    other = CitizenFactory(full_name="张伟", mobile="13900009997", mobile_confirmed_at=timezone.now())
    limited = _consent(other)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
