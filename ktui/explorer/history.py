"""History mode's state: one query against a history store (OpenSearch, or the local archive
of the live context's cluster), its pages, sparkline and counts.

The app runs :meth:`HistorySession.search` and :meth:`HistorySession.more` in thread
workers. A newer search supersedes an older one: the source cancels it, and a result that
still arrives carries an old generation and is dropped. No textual here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ktui.feeds.errors import SourceError
from ktui.feeds.status import SourceStatus, State
from ktui.model.histogram import Histogram
from ktui.model.query import Query
from ktui.model.store import EventStore, NamespaceCount
from ktui.model.timerange import TimeRange
from ktui.records import record

if TYPE_CHECKING:  # the history contract loads with the first search: after the first paint
    from ktui.feeds.history import HistoryBackend, HistoryPage

PAGE_SIZE = 500
LOAD_MORE_MARGIN = 100  # rows from the end of what is loaded when the next page is fetched
ZOOM_STEPS = ("15m", "1h", "6h", "24h", "7d")


@record(slots=True)
class Answer:
    """What a worker hands back to the UI thread."""

    generation: int
    page: HistoryPage | None = None
    error: SourceError | None = None
    first: bool = True


class HistorySession:
    """The history view: a store of loaded pages plus the first page's aggregations."""

    def __init__(self, make_source: Callable[[], HistoryBackend] | None,
                 problem: str = "", *, store: str = "OpenSearch",
                 for_context: Callable[[str], HistoryBackend] | None = None) -> None:
        """``make_source`` builds the store's client (in a worker thread, when first
        needed); ``for_context`` instead builds one for the live context (the archive is
        kept per cluster), again after every :meth:`set_context`. ``store`` names it in
        the header."""
        self._make_source = make_source
        self._for_context = for_context
        self.store_name = store
        self.context = ""
        self.problem = problem  # why history is unavailable (no URL configured, ...)
        self._source: HistoryBackend | None = None
        self._lock = threading.Lock()
        self._store: EventStore | None = None
        self.time_range = TimeRange.last("1h")
        self.query = Query()
        self.generation = 0
        self.status = SourceStatus(State.STOPPED, "history not loaded")
        self.total = 0
        self.total_is_lower_bound = False
        self.histogram: Histogram | None = None
        self.namespace_counts: dict[str, NamespaceCount] = {}
        self.warnings_total = 0
        self.counts_approximate = False
        self.cursor: HistoryPage | None = None
        # Asked (from a worker thread) when a user is set and no password is known; the
        # app sets it to its modal prompt. The answer lives only in the client's memory.
        self.ask_password: Callable[[], str] = lambda: ""
        self.loading_since: float | None = None
        self.page_loading = False
        self.took_ms = 0.0

    @property
    def store(self) -> EventStore:
        """The loaded pages. Made when first read: the app builds its session before the
        first frame, and an empty store made then is work (the first one loads ctypes,
        see ktui.model.untrack) for a mode that may never be opened."""
        if self._store is None:
            self._store = EventStore(max_events=1_000_000)
        return self._store

    @store.setter
    def store(self, store: EventStore) -> None:
        self._store = store

    @property
    def available(self) -> bool:
        return self._make_source is not None or self._for_context is not None

    def source(self) -> HistoryBackend:
        with self._lock:
            if self._source is None:
                if self._for_context is not None:
                    self._source = self._for_context(self.context)
                else:
                    assert self._make_source is not None
                    self._source = self._make_source()
            return self._source

    def set_context(self, context: str) -> bool:
        """The live context changed. True when this store depends on it (then the next
        search reads the new context's)."""
        if context == self.context:
            return False
        self.context = context
        if self._for_context is None:
            return False
        with self._lock:
            source, self._source = self._source, None
        if source is not None:
            source.cancel()
            source.close()
        return True

    # -- worker side (threads) ---------------------------------------------------------

    def search(self, generation: int, query: Query, time_range: TimeRange,
               buckets: int) -> Answer:
        from ktui.feeds.history import Superseded

        try:
            page = self.source().search(query, time_range, page_size=PAGE_SIZE, buckets=buckets)
        except Superseded:
            return Answer(generation=-1)
        except SourceError as error:
            return Answer(generation, error=error)
        return Answer(generation, page=page)

    def more(self, generation: int, page: HistoryPage) -> Answer:
        from ktui.feeds.history import Superseded

        try:
            return Answer(generation, page=self.source().next_page(page), first=False)
        except Superseded:
            return Answer(generation=-1)
        except SourceError as error:
            return Answer(generation, error=error, first=False)

    # -- UI side -----------------------------------------------------------------------

    def begin(self, query: Query, time_range: TimeRange) -> int:
        """A new search: bump the generation and cancel what is in flight."""
        self.generation += 1
        self.query, self.time_range = query, time_range
        self.loading_since = time.monotonic()
        self.page_loading = False
        self.status = SourceStatus(State.LISTING, f"querying {time_range.describe()}")
        if self._source is not None:
            self._source.cancel()
        return self.generation

    def take(self, answer: Answer) -> bool:
        """Apply a worker's answer; False when it was superseded."""
        if answer.generation != self.generation:
            return False
        self.loading_since = None
        self.page_loading = False
        if answer.error is not None:
            self.status = SourceStatus(State.ERROR, str(answer.error), error=answer.error)
            return True
        page = answer.page
        if page is None:
            return True
        if answer.first:
            self.store = EventStore(max_events=1_000_000)
            self.total, self.total_is_lower_bound = page.total, page.total_is_lower_bound
            self.counts_approximate = page.counts_approximate
            self.namespace_counts = {
                ns: NamespaceCount(total, warnings)
                for ns, (total, warnings) in page.namespace_counts.items()
            }
            self.warnings_total = sum(c.warnings for c in self.namespace_counts.values())
            self.histogram = _histogram(page)
        self.store.apply(page.events)
        self.cursor = page if page.cursor is not None else None
        self.took_ms = page.took_ms  # kept for the curious, not shown: it would jitter
        loaded = f"{len(self.store):,} loaded" + (", more on scroll" if self.cursor else "")
        text = loaded  # the range itself is in the header's scope
        self.status = SourceStatus(State.WATCHING, text, warning=page.warning)
        return True

    def wants_more(self, cursor_row: int) -> bool:
        return (
            self.cursor is not None
            and not self.page_loading
            and self.loading_since is None
            and cursor_row >= len(self.store.visible) - LOAD_MORE_MARGIN
        )

    def total_text(self) -> str:
        return f"≥ {self.total:,}" if self.total_is_lower_bound else f"{self.total:,}"

    def close(self) -> None:
        if self._source is not None:
            self._source.close()


def _histogram(page: HistoryPage) -> Histogram | None:
    histogram = page.histogram
    if histogram is None or not histogram.bucket_starts:
        return None
    return Histogram(
        start=histogram.bucket_starts[0],
        interval=histogram.interval,
        normal=tuple(histogram.normal),
        warning=tuple(histogram.warning),
    )


def zoom_range(current: TimeRange, direction: int) -> TimeRange:
    """The next preset span up or down from the current one, ending at the same moment
    (relative ranges stay relative)."""
    from ktui.model.timerange import parse_duration

    spans = [parse_duration(step) for step in ZOOM_STEPS]
    start, end = current.bounds()
    span = end - start
    if direction > 0:
        bigger = [s for s in spans if s > span + 1]
        new_span = bigger[0] if bigger else span * 2
    else:
        smaller = [s for s in spans if s < span - 1]
        new_span = smaller[-1] if smaller else max(span / 2, 60.0)
    if current.relative is not None:
        return TimeRange.last(new_span)
    return TimeRange.between(end - new_span, end)
