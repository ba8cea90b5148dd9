"""The domain's exception hierarchy; web/errors.py maps it to HTTP in one place."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: dict | list | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class InvalidInput(DomainError):
    """The input is malformed or out of range."""

    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    """The thing does not exist, or is outside the caller's scope."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller may not do this."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The action conflicts with the current state (illegal transition, stale version)."""

    status = 409
    code = "conflict"


class Unauthorized(DomainError):
    """No valid login or token."""

    status = 401
    code = "unauthorized"
