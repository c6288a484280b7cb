"""What the archive writer reports: its state and counts, and the line a status bar shows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WriterState(StrEnum):
    OFF = "off"  # archiving disabled by the settings
    STARTING = "starting"
    OK = "ok"
    RETRYING = "retrying"  # locked, disk full, ...: the batch is kept and retried
    FAILED = "failed"  # the file is not a readable archive: nothing more is written
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class WriterStatus:
    state: WriterState
    archived: int  # changes committed (a version written twice counts twice)
    new_versions: int  # versions the archive did not hold before
    expired: int  # events marked expired by relists and sweeps
    dropped: int  # changes never written (queue full, archive failed)
    pending: int  # changes queued, not committed yet
    problem: str  # the current error, one line ("" when there is none)

    def line(self) -> str:
        """``12,345 events archived`` plus what is wrong, for a status line. A failed
        archive's reason was said when it failed (``on_problem``) and is not repeated."""
        if self.state is WriterState.OFF:
            return "archiving off"
        parts = [f"{self.archived:,} events archived"]
        if self.dropped:
            parts.append(f"{self.dropped:,} dropped")
        if self.state is WriterState.FAILED:
            parts.append("not archiving")
        elif self.problem:
            parts.append(self.problem)
        return "; ".join(parts)
