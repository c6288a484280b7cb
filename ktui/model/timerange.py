"""Time ranges for history mode and saved views: relative (``6h``) or absolute."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ktui.model.event import format_time, parse_time

PRESETS = ("15m", "1h", "6h", "24h", "7d")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.I)


def parse_duration(text: str) -> float:
    """``90s``, ``15m``, ``6h``, ``7d``, ``2w`` → seconds; ValueError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a duration like 15m, 6h or 7d")
    seconds = float(match[1]) * _UNITS[match[2].lower()]
    if seconds <= 0:
        raise ValueError(f"'{text}' is not a positive duration")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: 3600 → ``1h``, 5400 → ``90m``."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Either the last ``relative`` seconds up to now, or ``start``..``end`` (POSIX)."""

    relative: float | None = 3600.0
    start: float | None = None
    end: float | None = None

    @classmethod
    def last(cls, spec: str | float) -> TimeRange:
        seconds = parse_duration(spec) if isinstance(spec, str) else float(spec)
        return cls(relative=seconds)

    @classmethod
    def between(cls, start: float, end: float) -> TimeRange:
        if end <= start:
            raise ValueError("the end of a time range must come after its start")
        return cls(relative=None, start=start, end=end)

    @classmethod
    def parse(cls, since: str | None = None, start: str | None = None,
              end: str | None = None) -> TimeRange:
        """From CLI-style options: ``--since 1h`` or ``--from T --to T`` (RFC 3339)."""
        if start or end:
            if since:
                raise ValueError("use either --since or --from/--to, not both")
            begin = parse_time(start) if start else None
            finish = parse_time(end) if end else time.time()
            if begin is None:
                raise ValueError(f"--from needs an RFC 3339 time, got {start!r}")
            if finish is None:
                raise ValueError(f"--to needs an RFC 3339 time, got {end!r}")
            return cls.between(begin, finish)
        return cls.last(since or "1h")

    def bounds(self, now: float | None = None) -> tuple[float, float]:
        """Resolve to absolute (start, end)."""
        if self.relative is not None:
            moment = time.time() if now is None else now
            return moment - self.relative, moment
        assert self.start is not None and self.end is not None
        return self.start, self.end

    @property
    def span(self) -> float:
        start, end = self.bounds(0.0)
        return end - start

    def shifted(self, fraction: float, now: float | None = None) -> TimeRange:
        """Step the window by ``fraction`` of its span (negative = back in time)."""
        start, end = self.bounds(now)
        delta = (end - start) * fraction
        return TimeRange.between(start + delta, end + delta)

    def describe(self) -> str:
        """``last 6h``, or a compact UTC span (``2025-11-22 02:26–08:26 UTC``) that fits a
        header at 80 columns."""
        if self.relative is not None:
            return f"last {format_duration(self.relative)}"
        start, end = self.bounds()
        begin = datetime.fromtimestamp(start, UTC)
        finish = datetime.fromtimestamp(end, UTC)
        clock = "%H:%M:%S" if begin.second or finish.second else "%H:%M"
        if begin.date() == finish.date():
            return f"{begin:%Y-%m-%d} {begin.strftime(clock)}–{finish.strftime(clock)} UTC"
        return f"{begin:%Y-%m-%d} {begin.strftime(clock)} → {finish:%m-%d} " \
               f"{finish.strftime(clock)} UTC"

    def to_spec(self) -> dict[str, str]:
        """For saved views: ``{"since": "6h"}`` or ``{"from": ..., "to": ...}``."""
        if self.relative is not None:
            return {"since": format_duration(self.relative)}
        start, end = self.bounds()
        return {"from": format_time(start), "to": format_time(end)}

    @classmethod
    def from_spec(cls, spec: dict[str, str]) -> TimeRange:
        return cls.parse(since=spec.get("since"), start=spec.get("from"), end=spec.get("to"))
