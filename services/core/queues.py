"""Celery queue names, as constants, and the router.

Every department has its own queue, `dept.<code>`, so that a department's automatic work
can run on workers that the department controls. Everything else runs on DEFAULT_QUEUE.
The outbox names the queue of every message it publishes; the list of all queues a worker
pool must consume is `accounts.selectors.queue_names_all` (it reads the departments).
"""

DEFAULT_QUEUE = "default"
DEPARTMENT_QUEUE_PREFIX = "dept."


def department_queue(department_code: str) -> str:
    return f"{DEPARTMENT_QUEUE_PREFIX}{department_code}"


def route_task(name, args, kwargs, options, task=None, **kw) -> dict[str, str]:
    """Celery router: the queue the publisher named (the outbox always names one), else the
    default queue (beat's periodic tasks)."""
    return {"queue": options.get("queue") or DEFAULT_QUEUE}
