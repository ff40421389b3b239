"""Settings of the test suite and of the tools that load the settings to read the code
(mypy's Django plugin): the portal's own settings, run as `test` (the development keys,
no debugging). Set before the settings are read, and inherited by the worker processes the
integration tests start."""

import os

os.environ.setdefault("PORTAL_ENV", "test")

from portal.settings import *  # noqa: F403

# Tests travel in time (days ahead, to a deadline) with someone signed in: sessions last
# through that. The tests of the session limits set the limits they test.
SESSION_IDLE_MINUTES_STAFF = SESSION_IDLE_MINUTES_CITIZEN = 60 * 24 * 365
SESSION_MAX_HOURS_STAFF = SESSION_MAX_HOURS_CITIZEN = 24 * 365
SESSION_COOKIE_AGE = 3600 * SESSION_MAX_HOURS_CITIZEN

# The test suite empties the tables between tests with TRUNCATE, which the audit trail
# refuses to any other connection (audit migration 0002).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["OPTIONS"]["options"] = "-c portal.allow_truncate=on"  # noqa: F405

# Each test sees the official calendar days it entered, and none of another test's.
CALENDAR_CHECK_SECONDS = 0
