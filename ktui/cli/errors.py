"""The one error type commands raise for expected failures."""

from __future__ import annotations


class CliError(Exception):
    """One line for stderr and an exit code; raised by commands for expected failures."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def error_line(exc: BaseException) -> tuple[str, int]:
    """A source's failure as ``ktui events`` prints it, and its exit status."""
    from ktui.feeds.errors import ConfigError, Forbidden, Unauthorized

    if isinstance(exc, ConfigError):
        return str(exc), 2
    if isinstance(exc, Unauthorized):
        return f"unauthorized: {exc}", 1
    if isinstance(exc, Forbidden):
        text = str(exc)
        return (text if text.startswith("forbidden") else f"forbidden: {text}"), 1
    return str(exc), 1
