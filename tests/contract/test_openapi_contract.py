"""The API keeps its OpenAPI contract: schemathesis generates requests from /api/schema/ (valid
ones and ones the schema forbids) and runs every one of its checks on each answer (no server
error; a status, content type, headers and body the schema documents; forbidden input refused,
valid input not refused; authentication not ignored; …), for someone not signed in, a citizen
and a reviewer, in-process against the WSGI application.

The run is bounded and reproducible: few examples per operation, derandomized, no deadline."""

import json
from datetime import date

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from services.accounts.tokens import token_issue
from services.core.validators import id_number_check_digit
from tests.casework.helpers import submit
from tests.factories import CitizenFactory, make_service, staff_of


def _contract() -> schemathesis.BaseSchema:
    """The schema /api/schema/ serves, called against the WSGI application in-process."""
    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    return schema


contract = _contract()


@st.composite
def resident_id_numbers(draw) -> str:
    """Resident ID numbers as GB 11643 makes them (the schema's `resident-id-number` format)."""
    region = draw(st.from_regex(r"\A[1-6][0-9]{5}\Z"))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    serial = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    first17 = f"{region}{born:%Y%m%d}{serial}"
    return first17 + id_number_check_digit(first17)


schemathesis.openapi.format("resident-id-number", resident_id_numbers())


@pytest.fixture
def world(db, settings, django_capture_on_commit_callbacks):
    """A service, a citizen with a case, and a reviewer of the department its first step is at."""
    # The rate limits are the subject of tests/test_rate_limits.py; here they would only make
    # the answers depend on how many requests came before.
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "1000000/m")
    settings.SIGN_IN_DELAY_AFTER = settings.SIGN_IN_LOCK_AFTER = settings.AXES_FAILURE_LIMIT = 1_000_000
    settings.SIGN_IN_ADDRESS_FAILURES = 1_000_000
    service = make_service(code="birth-registration", stages=[["health"]])
    citizen = CitizenFactory()
    submit(citizen, service, django_capture_on_commit_callbacks)
    return {"citizen": citizen, "reviewer": staff_of("health")}


@pytest.fixture
def connection_kept():
    """The WSGI application closes the database connection when a request starts and ends; the
    test's transaction lives on it (Django's test client keeps it open the same way)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "citizen", "reviewer"])
def principal(request, world, connection_kept):
    """The Authorization header of whoever calls; a token signed out (auth/logout) is
    replaced by a new one at the next call."""
    user = world.get(request.param)

    class Principal:
        token = None

        def headers(self) -> dict[str, str]:
            if user is None:
                return {}
            if self.token is None or not type(self.token).objects.filter(pk=self.token.pk).exists():
                self.token, self.secret = token_issue(user=user)
            return {"Authorization": f"Token {self.secret}"}

    return Principal()


@contract.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,  # nothing kept from one run for the next: every run is the same
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_the_contract(case, principal):
    case.call_and_validate(headers=principal.headers())


def test_operations_in_sequence_keep_the_contract(principal):
    """Schemathesis's stateful phase: sequences of calls along the links it infers between
    operations (a reference or an id one answer gives and another takes), with the checks
    that need them (a deleted resource stays gone, a created one is there)."""

    class Sequences(contract.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            return {"headers": principal.headers()}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The headers named, so that the checks know the token is the caller's, not generated.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
                recorder=getattr(self, "recorder", None),
            )

    Sequences.run(
        settings=settings(
            max_examples=3,
            stateful_step_count=3,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
