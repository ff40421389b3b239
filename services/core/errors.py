"""One error type for the whole portal. Its message is written for a person and already
translated into the active language when it is raised."""


class PortalError(Exception):
    """A business rule said no. `code` is stable for API clients, `message` is for people."""

    code = "invalid"
    status = 400

    def __init__(self, message, *, code: str | None = None, status: int | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class NotFound(PortalError):
    code = "not_found"
    status = 404


class Forbidden(PortalError):
    code = "forbidden"
    status = 403


class Conflict(PortalError):
    code = "conflict"
    status = 409


class InvalidInput(PortalError):
    """Input that failed validation, with one list of messages per field ("__all__" for the whole)."""

    code = "invalid_input"
    status = 400

    def __init__(self, message, *, errors: dict[str, list[str]]):
        super().__init__(message)
        self.errors = errors


class TooManyRequests(PortalError):
    """Slow down: too many attempts. `retry_after` (seconds) is sent as the Retry-After
    header; None means the refusal does not end by waiting (an account locked until lifted)."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message, *, retry_after: int | None, code: str | None = None, status: int | None = None):
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after
