"""Two refreshes of the statistics at once, on two PostgreSQL connections: one rebuilds, the
other does nothing, and neither fails."""

import pytest
from django.db import connection

from services.analytics import actions
from services.analytics.models import Refresh

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refresh_while_another_runs_does_nothing(postgres_only):
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    )
    try:
        # The other refresh holds the lock, as it does from start to commit.
        other.execute("SELECT pg_advisory_lock(%s)", [actions._REFRESH_LOCK])
        assert actions.summary_refresh() is None
        assert not Refresh.objects.exists()
        other.execute("SELECT pg_advisory_unlock(%s)", [actions._REFRESH_LOCK])
        assert actions.summary_refresh() is not None
    finally:
        other.close()


def test_a_refresh_leaves_the_lock_free_for_the_next(postgres_only):
    assert actions.summary_refresh() is not None
    assert actions.summary_refresh_recent(months=2) is not None
