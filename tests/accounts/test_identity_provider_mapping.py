"""What a system administrator keeps for sign-in through the identity provider (the groups
that give roles, the staff accounts linked to the provider's), and the checks of the
provider's ID token that mozilla-django-oidc leaves to the portal. The sign-in itself is
tested against a real provider in test_identity_provider.py."""

import pytest
from django.core.exceptions import SuspiciousOperation

from services.accounts.constants import StaffRole
from services.accounts.models import ProviderGroup
from services.accounts.oidc import GovernmentAccountBackend, ProviderConfiguration
from tests.factories import CitizenFactory, DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_a_system_administrator_maps_a_group_to_a_role_in_the_admin(admin_client):
    psb = DepartmentFactory(code="psb")
    add = "/admin/accounts/providergroup/add/"
    assert admin_client.get(add).status_code == 200

    saved = admin_client.post(add, {"group": "psb-reviewers", "department": psb.pk, "role": StaffRole.REVIEWER})
    city_wide = admin_client.post(add, {"group": "city-audit", "department": "", "role": StaffRole.AUDITOR})
    refused = admin_client.post(add, {"group": "nowhere", "department": "", "role": StaffRole.REVIEWER})
    twice = admin_client.post(add, {"group": "city-audit", "department": "", "role": StaffRole.AUDITOR})

    assert saved.status_code == 302 and city_wide.status_code == 302
    assert refused.status_code == 200 and refused.context["adminform"].form.errors  # a reviewer needs a department
    assert twice.status_code == 200 and twice.context["adminform"].form.errors
    assert set(ProviderGroup.objects.values_list("group", "department__code", "role")) == {
        ("psb-reviewers", "psb", StaffRole.REVIEWER),
        ("city-audit", None, StaffRole.AUDITOR),
    }
    assert admin_client.get("/admin/accounts/providergroup/").status_code == 200


def test_only_a_staff_account_is_linked_to_the_providers_account_in_the_admin(admin_client):
    staff = StaffFactory()
    citizen = CitizenFactory()

    staff_page = admin_client.get(f"/admin/accounts/user/{staff.pk}/change/").content.decode()
    citizen_page = admin_client.get(f"/admin/accounts/user/{citizen.pk}/change/").content.decode()

    assert 'id="provider_account-group"' in staff_page
    assert 'id="provider_account-group"' not in citizen_page


def _backend() -> GovernmentAccountBackend:
    backend = GovernmentAccountBackend()
    backend.provider = ProviderConfiguration(
        issuer="https://idp.example.gov.cn",
        authorization_endpoint="https://idp.example.gov.cn/auth",
        token_endpoint="https://idp.example.gov.cn/token",
        userinfo_endpoint="https://idp.example.gov.cn/me",
        jwks_uri="https://idp.example.gov.cn/jwks",
    )
    backend.OIDC_RP_CLIENT_ID = "portal"
    return backend


GOOD = {"iss": "https://idp.example.gov.cn", "aud": "portal", "sub": "abc", "exp": 2_000_000_000}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"iss": "https://other.example.cn"}, "issuer"),
        ({"aud": "another-client"}, "audience"),
        ({"aud": ["another-client"]}, "audience"),
        ({"aud": ["portal", "another-client"]}, "authorized party"),
        ({"sub": ""}, "subject"),
    ],
)
def test_an_id_token_of_another_issuer_or_client_is_refused(change, problem):
    with pytest.raises(SuspiciousOperation, match=problem):
        _backend()._check_id_token(GOOD | change)


def test_an_id_token_of_this_issuer_for_this_client_passes():
    _backend()._check_id_token(GOOD)
    _backend()._check_id_token(GOOD | {"aud": ["portal", "other"], "azp": "portal"})


def test_the_backend_leaves_password_sign_ins_alone(rf, settings):
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_ISSUER = "http://127.0.0.1:9"  # nobody listens: asking it would fail

    request = rf.get("/accounts/signin/?code=x&state=y")
    assert GovernmentAccountBackend().authenticate(request, username="someone", password="secret") is None
