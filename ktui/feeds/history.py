"""What a history store answers, whichever it is (OpenSearch, the local archive).

History mode and ``ktui events --history`` drive a :class:`HistoryBackend`: a first page
with the sparkline, namespace counts and the total, then further pages on demand. A newer
search supersedes older ones; their results raise :class:`Superseded`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.timerange import TimeRange

# Sub-minute histogram steps that divide a minute, so buckets line up with the clock.
_SECOND_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)


def choose_interval(span_seconds: float, buckets: int) -> int:
    """A bucket width in seconds giving close to (never more than) ``buckets`` buckets:
    clock-friendly seconds, else whole minutes up to a day, else whole hours. Every store
    buckets its sparkline with it, so the bars of one range line up whichever answered."""
    wanted = span_seconds / max(buckets, 1)
    if wanted <= 60:
        return next(step for step in _SECOND_STEPS if step >= wanted)
    if wanted <= 86400:
        return math.ceil(wanted / 60) * 60
    return math.ceil(wanted / 3600) * 3600


class Superseded(Exception):
    """A newer query (or ``cancel()``) replaced this one; drop the result silently."""


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts per time bucket; bucket ``i`` is ``[bucket_starts[i], + interval)`` seconds.

    The first and last buckets may extend past the queried range (buckets are aligned to
    multiples of the interval so they do not shift as a relative range slides).
    """

    bucket_starts: list[float]
    interval: float
    normal: list[int]
    warning: list[int]


@dataclass(slots=True)
class HistoryPage:
    """One page of history, newest first. Counts are documents (with ``useEventID`` one per
    event; without it a re-sent event counts each time), ``events`` are de-duplicated."""

    events: list[Event]
    total: int
    total_is_lower_bound: bool
    histogram: Histogram | None = None
    namespace_counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Namespace → (events, warnings) for the query *without* its namespace selection, so
    the sidebar keeps showing the other namespaces."""
    counts_approximate: bool = False
    cursor: object | None = None
    took_ms: float = 0.0
    warning: str = ""
    """A caveat about this answer (timed out, shard failures), or ""."""


class HistoryBackend(Protocol):
    """A store of past events that history mode can page through."""

    name: str

    @property
    def warning(self) -> str:
        """A standing caveat (e.g. TLS verification off), or ""."""
        ...

    def search(self, query: Query, time_range: TimeRange, *, page_size: int = 500,
               buckets: int = 60) -> HistoryPage:
        """The first page, newest first, with the histogram, counts and total."""
        ...

    def next_page(self, page: HistoryPage) -> HistoryPage:
        """The page after ``page`` (whose ``cursor`` is set)."""
        ...

    def iter_all(self, query: Query, time_range: TimeRange, *, page_size: int = 1000,
                 keep_raw: bool = True) -> Iterator[list[Event]]:
        """Every matching event (newest first, de-duplicated), a page at a time."""
        ...

    def cancel(self) -> None:
        """Supersede whatever search is in flight."""
        ...

    def close(self) -> None: ...
