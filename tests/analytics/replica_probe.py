"""Run by tests/analytics/test_read_replica.py in a process of its own, whose DATABASE_URL is
a primary and DATABASE_REPLICA_URL its streaming replica: `seed` makes the schema (with the
departments and services its migrations bring) on the primary; `probe` reads the open data
page and runs a summary refresh, and prints as JSON which database each one's statements went
to, and what was logged."""

import json
import logging
import os
import sys

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from services.analytics.actions import summary_refresh  # noqa: E402
from services.core.replica import replica_alias  # noqa: E402


class Statements:
    def __init__(self, alias: str):
        self.alias, self.reads, self.writes = alias, 0, 0

    def __call__(self, execute, sql, params, many, context):
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb == "SELECT" and "pg_is_in_recovery" not in sql:
            self.reads += 1
        elif verb in {"INSERT", "UPDATE", "DELETE"}:
            self.writes += 1
        return execute(sql, params, many, context)


def probe() -> dict:
    logged: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(f"{record.levelname} {record.getMessage()}")
    logging.getLogger("services.replica").addHandler(handler)
    found: dict = {"alias": replica_alias()}
    for name, run in {
        "open_data": lambda: Client().get("/open-data/").status_code,
        "refresh": lambda: bool(summary_refresh()),
    }.items():
        primary, replica = Statements("default"), Statements("replica")
        with connections["default"].execute_wrapper(primary), connections["replica"].execute_wrapper(replica):
            outcome = run()
        found[name] = {
            "outcome": outcome,
            "primary": {"reads": primary.reads, "writes": primary.writes},
            "replica": {"reads": replica.reads, "writes": replica.writes},
        }
    found["log"] = logged
    return found


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        call_command("migrate", interactive=False, verbosity=0)
    else:
        print(json.dumps(probe()))
