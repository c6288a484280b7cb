"""The one error type commands raise for expected failures."""

from __future__ import annotations


class CliError(Exception):
    """One line for stderr and an exit code; raised by commands for expected failures."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
