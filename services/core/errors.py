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
