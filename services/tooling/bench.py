"""Timing pages in-process, for the `make bench` commands: URL routing, view, queries and
templates, without a network in between."""

import statistics
import time

from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def scenarios_time(*, scenarios: list[tuple[str, Client, str, dict]], runs: int, target_ms: float, write) -> None:
    """GET each (name, client, url, headers) `runs` times; write its median, 95th percentile
    and query count as a table row. Raises CommandError on an answer other than 200, or when
    a median is over `target_ms`."""
    failed = []
    write(f"{'scenario':<34}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
    for name, client, url, headers in scenarios:
        timings, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(url, **headers)
                timings.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
            queries = len(captured)
        median = statistics.median(timings)
        p95 = sorted(timings)[max(0, int(len(timings) * 0.95) - 1)]
        write(f"{name:<34}{median:>10.1f}{p95:>10.1f}{queries:>9}")
        if median > target_ms:
            failed.append(name)
    if failed:
        raise CommandError(f"over {target_ms} ms: {', '.join(failed)}")
