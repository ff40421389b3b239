import pytest

from services.analytics import actions
from tests.analytics.history import at, build


@pytest.fixture
def history(django_capture_on_commit_callbacks):
    """The hand-built history of tests/analytics/history.py, summed up as on 26 November."""
    history = build(django_capture_on_commit_callbacks)
    with at("2026-11-26", "09:00"):
        actions.summary_refresh()
    return history
