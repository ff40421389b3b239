import pytest

from tests.factories import DepartmentFactory, StaffFactory


@pytest.fixture
def outsider(db):
    """A reviewer of the tax bureau, a department no case of these tests goes to."""
    return StaffFactory(membership__department=DepartmentFactory(code="tax"))
