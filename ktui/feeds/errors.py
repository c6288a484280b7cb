"""The failures a feed reports: each one a line for the user and, where known, what to do."""

from __future__ import annotations


class SourceError(Exception):
    """A failure the user must be told about, with what to do. ``str()`` is one line."""

    def __init__(self, message: str, *, hint: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class Unreachable(SourceError):
    """The server cannot be reached (DNS, refused, TLS, timeout)."""


class Unauthorized(SourceError):
    """401: credentials missing, wrong or expired."""


class Forbidden(SourceError):
    """403: RBAC denies the request."""


class ConfigError(SourceError):
    """The configuration (kubeconfig, settings) is missing or malformed."""
