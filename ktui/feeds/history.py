"""What every history store answers with: pages, the sparkline's buckets, totals.

History mode (``ktui.ui.history``, ``ktui events --history``) reads either OpenSearch
(``ktui.sources.opensearch``) or the local archive (``ktui.archive``); both return these
types and keep the :class:`HistoryStore` contract, so the reader need not know which.
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


def format_total(total: int, lower_bound: bool) -> str:
    """``12,345`` or ``≥ 10,000``."""
    return f"≥ {total:,}" if lower_bound else f"{total:,}"


def choose_interval(span_seconds: float, buckets: int) -> int:
    """A bucket width in seconds giving close to (never more than) ``buckets`` buckets:
    clock-friendly seconds, else whole minutes up to a day, else whole hours."""
    wanted = span_seconds / max(buckets, 1)
    if wanted <= 60:
        return next(step for step in _SECOND_STEPS if step >= wanted)
    if wanted <= 86400:
        return math.ceil(wanted / 60) * 60
    return math.ceil(wanted / 3600) * 3600


class HistoryStore(Protocol):
    """A history backend as history mode drives it (blocking; run it in a worker thread).

    ``search`` gives the first page with the sparkline and namespace counts (``buckets=0``
    skips them); ``next_page`` follows a page's ``cursor``; ``cancel`` makes whatever is
    running raise :class:`Superseded`; ``iter_all`` reads everything for scripts.
    """

    name: str

    @property
    def warning(self) -> str: ...

    def search(
        self, query: Query, time_range: TimeRange, *, page_size: int = 500, buckets: int = 60
    ) -> HistoryPage: ...

    def next_page(self, page: HistoryPage) -> HistoryPage: ...

    def iter_all(
        self, query: Query, time_range: TimeRange, *, page_size: int = 1000, keep_raw: bool = True
    ) -> Iterator[list[Event]]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...
