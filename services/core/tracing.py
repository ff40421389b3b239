"""The request id: one id per request, in every log line it causes, here and in the Celery
tasks it queues (and the tasks those queue), so that one case's trail can be read across
processes.

The web side takes a sane `X-Request-ID` from the caller (a proxy that made one) or makes
one (`core.middleware.RequestId`), and echoes it in the answer. Work queued during the
request carries it: the outbox stores it with each message and publishes it as the task
header `request_id`; any other task sent meanwhile gets the header from
`task_headers_add_request_id`. A worker binds it while the task runs
(`task_request_id_bind`, `task_request_id_unbind`), so the task's own logs and its outbox
messages carry it on.

No model is imported here: the logging configuration loads this module before the apps.
"""

import logging
import re
import uuid
from contextvars import ContextVar, Token
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
# The name of the Celery message header.
TASK_HEADER = "request_id"
# A caller's id is kept only when it is short and plain: it goes into every log line and the
# audit trail (64 characters there), so nothing that could forge a line or a field.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Tokens of the ids bound for running tasks, by task id: an eager task (tests, a run without
# a broker) runs inside the request that queued it, which keeps its own id afterwards.
_task_tokens: dict[str, Token[str | None]] = {}


def request_id_get() -> str | None:
    return _request_id.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_from_caller(value: str | None) -> str:
    """The caller's id when it is sane, else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return request_id_new()


def request_id_bind(value: str | None) -> Token[str | None]:
    return _request_id.set(value)


def request_id_unbind(token: Token[str | None]) -> None:
    _request_id.reset(token)


def request_id_unbind_at_finish(sender: Any = None, **_kwargs: Any) -> None:
    """Django's request_finished: the answer is closed, the request's id goes with it (the
    next request in this thread binds its own)."""
    _request_id.set(None)


def task_headers_add_request_id(sender: Any = None, headers: dict | None = None, **_kwargs: Any) -> None:
    """Celery's before_task_publish: a task sent while a request (or a task) is being handled
    carries its id, unless the publisher named one (the outbox names the stored one)."""
    current = _request_id.get()
    if headers is not None and current and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = current


def _task_header(task: Any) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    # A worker makes every header an attribute of the request; an eager run keeps them apart.
    value = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return value if isinstance(value, str) and _SANE.fullmatch(value) else None


def task_request_id_bind(sender: Any = None, task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    """Celery's task_prerun: the task's logs and the work it queues carry the request's id."""
    if task_id is None:
        return
    value = _task_header(task) or _request_id.get()
    _task_tokens[task_id] = _request_id.set(value)


def task_request_id_unbind(sender: Any = None, task_id: str | None = None, **_kwargs: Any) -> None:
    """Celery's task_postrun: back to the id before the task (none in a worker)."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            _request_id.reset(token)
        except ValueError:  # bound in another context: forget it rather than fail the task
            _request_id.set(None)


class RequestIdFilter(logging.Filter):
    """Adds `request_id`, and inside a Celery task `task_id` and `task_name`, to every
    record, for the formatters (JSON or the console's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        if not hasattr(record, "task_id"):
            task = _current_task()
            record.task_id = getattr(task.request, "id", None) if task else None
            record.task_name = getattr(task, "name", None) if task else None
        return True


def _current_task() -> Any:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - Celery is a requirement
        return None
    task = current_task
    return task if task and getattr(task, "request", None) and not task.request.called_directly else None
