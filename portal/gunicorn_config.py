"""gunicorn's settings for the portal (`--config python:portal.gunicorn_config`).

With PROMETHEUS_MULTIPROC_DIR set, each gunicorn worker writes its measurements to files
there and /metrics adds them up (portal.metrics); a worker that ends must be marked dead,
or its live gauges would be added up for ever. The folder must be emptied before gunicorn
starts (the embedded run does so)."""

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
