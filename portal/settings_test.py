"""Settings of the test suite and of the tools that load the settings to read the code
(mypy's Django plugin): the portal's own settings, run as `test` (the development keys,
no debugging). Set before the settings are read, and inherited by the worker processes the
integration tests start."""

import os

os.environ.setdefault("PORTAL_ENV", "test")

from portal.settings import *  # noqa: F403
