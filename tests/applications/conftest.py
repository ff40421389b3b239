import pytest

from tests.factories import CitizenFactory


@pytest.fixture
def citizen(db):
    """A citizen with an account, not signed in."""
    return CitizenFactory()


@pytest.fixture
def citizen_client(client, citizen):
    """The test's `client`, signed in as `citizen` (the same object as `client`)."""
    client.force_login(citizen)
    return client
