"""Celery queue names, as constants, and the router.

Every department has its own queue, `dept.<code>`, so that a department's automatic work
can run on workers that the department controls. Everything else runs on DEFAULT_QUEUE.
"""

DEFAULT_QUEUE = "default"
DEPARTMENT_QUEUE_PREFIX = "dept."


def department_queue(department_code: str) -> str:
    return f"{DEPARTMENT_QUEUE_PREFIX}{department_code}"


def all_queue_names() -> list[str]:
    """Every queue a complete worker pool must consume: the default one and one per department."""
    from services.accounts.models import Department

    codes = Department.objects.order_by("code").values_list("code", flat=True)
    return [DEFAULT_QUEUE, *(department_queue(code) for code in codes)]


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router: a task called with a `department_code` keyword goes to that queue."""
    if options.get("queue"):
        return {"queue": options["queue"]}
    department_code = (kwargs or {}).get("department_code")
    if department_code:
        return {"queue": department_queue(department_code)}
    return {"queue": DEFAULT_QUEUE}
