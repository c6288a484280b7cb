"""A feed's state as the header shows it."""

from __future__ import annotations

import time
from enum import StrEnum

from ktui.feeds.errors import SourceError
from ktui.records import record


class State(StrEnum):
    CONNECTING = "connecting"
    LISTING = "listing"
    WATCHING = "watching"
    RECONNECTING = "reconnecting"
    ERROR = "error"
    STOPPED = "stopped"


@record(slots=True)
class SourceStatus:
    """What a status line shows: state, a short text and, when waiting, when it retries."""

    state: State
    text: str = ""
    retry_at: float | None = None  # time.monotonic() of the next attempt
    error: SourceError | None = None
    warning: str = ""  # a standing caveat, e.g. "TLS verification is off"

    def line(self, now: float | None = None) -> str:
        parts = [self.text or self.state.value]
        if self.retry_at is not None:
            remaining = max(0.0, self.retry_at - (time.monotonic() if now is None else now))
            parts.append(f"retrying in {remaining:.0f} s")
        return " · ".join(parts)
