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


def broker_is_rabbitmq(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://", "pyamqp://"))


def broker_options(url: str) -> dict[str, object]:
    """The Celery settings (lower-case names) that depend on the broker at `url`.

    RabbitMQ: quorum queues (replicated, durable, messages on disk, a delivery limit instead
    of endless redelivery), for the default queue and the departments' (created when first
    used); the publisher waits for the broker's confirm, so a message the outbox marks as sent
    is on disk; a message comes back when the connection of the worker holding it closes.
    Redis: a message taken and not acknowledged comes back after the visibility timeout,
    longer than any task may run, so a slow task is not handed out twice."""
    if broker_is_rabbitmq(url):
        return {
            "task_default_queue_type": "quorum",
            "task_create_missing_queue_type": "quorum",
            "worker_detect_quorum_queues": True,
            "broker_transport_options": {"confirm_publish": True},
        }
    return {
        "task_default_queue_type": "classic",
        "task_create_missing_queue_type": "classic",
        "worker_detect_quorum_queues": True,
        "broker_transport_options": {"visibility_timeout": 3600},
    }
