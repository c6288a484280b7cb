"""The history feed: searches and pages of a :class:`HistorySession`, run in threads.

Each search or page runs in a daemon thread; its answer waits in a queue until the UI
thread's :meth:`HistoryFeed.pump` takes it. A newer search supersedes an older one (the
session's generation), and whatever a thread raises becomes an error status: a malformed
answer or a bug never leaves the table saying "querying" forever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ktui.explorer.feed import Counts, EmptyState, Mode, Summary
from ktui.explorer.history import Answer, HistorySession, zoom_range
from ktui.feeds.errors import SourceError
from ktui.feeds.status import State
from ktui.model.histogram import Histogram
from ktui.model.query import Query
from ktui.model.safe_text import one_line
from ktui.model.store import EventStore
from ktui.model.timerange import TimeRange


class HistoryFeed:
    """The history mode: one query over one time range, paged on demand."""

    mode = Mode.HISTORY

    def __init__(self, session: HistorySession | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session or HistorySession(None, "history mode is not configured")
        self.clock = clock
        self._context = ""  # the live context, for the header
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        self._query = Query()
        self.buckets = 60  # the sparkline's width, set by the screen before a search

    def replace(self, session: HistorySession) -> None:
        """Use another session (the demo's history starts after the first paint)."""
        self.session.close()
        self.session = session
        session.set_context(self._context)

    @property
    def context(self) -> str:
        """The live context (the header's; the archive's cluster)."""
        return self._context

    @context.setter
    def context(self, context: str) -> None:
        self._context = context
        if self.session.set_context(context) and self.session.generation:
            self.search()  # what was shown was another cluster's

    @property
    def available(self) -> bool:
        return self.session.available

    @property
    def time_range(self) -> TimeRange:
        return self.session.time_range

    @property
    def store(self) -> EventStore:
        return self.session.store

    # -- searching ---------------------------------------------------------------------

    def _run(self, work: Callable[[], Answer], generation: int, first: bool) -> None:
        def run() -> None:
            try:
                answer = work()
            except SourceError as error:
                answer = Answer(generation, error=error, first=first)
            except Exception as error:  # a malformed answer or a bug: said, never a spinner
                answer = Answer(generation, first=first, error=SourceError(
                    f"history failed: {type(error).__name__}: {error}"))
            with self._lock:
                self._answers.append(answer)

        threading.Thread(target=run, daemon=True, name="ktui-history").start()

    def search(self, time_range: TimeRange | None = None) -> None:
        """Search again with the current query over ``time_range`` (default: the same)."""
        session = self.session
        time_range = time_range or session.time_range
        query, buckets = self.store_query(), self.buckets
        generation = session.begin(query, time_range)
        self._run(lambda: session.search(generation, query, time_range, buckets),
                  generation, True)

    def store_query(self) -> Query:
        """What the store is asked: the filter (a subclass may add to it)."""
        return self._query

    def set_query(self, query: Query) -> None:
        self._query = query
        self.search()

    def set_range(self, time_range: TimeRange) -> None:
        self.search(time_range)

    def step(self, direction: int) -> None:
        self.search(self.session.time_range.shifted(direction * 0.5))

    def zoom(self, direction: int) -> None:
        self.search(zoom_range(self.session.time_range, direction))

    def bucket_range(self, at: float) -> TimeRange | None:
        """The sparkline bucket holding time ``at``, as a range (None outside)."""
        histogram = self.session.histogram
        bucket = histogram.bucket_of(at) if histogram is not None else None
        if histogram is None or bucket is None:
            return None
        start = histogram.start + bucket * histogram.interval
        return TimeRange.between(start, start + histogram.interval)

    def load_more_near(self, cursor_row: int) -> None:
        """Fetch the next page when the cursor comes near the end of what is loaded."""
        session = self.session
        page, generation = session.cursor, session.generation
        if page is None or not session.wants_more(cursor_row):
            return
        session.page_loading = True
        self._run(lambda: session.more(generation, page), generation, False)

    def pump(self) -> bool:
        with self._lock:
            answers, self._answers = self._answers, []
        changed = False
        for answer in answers:
            changed = self.session.take(answer) or changed
        return changed

    # -- painting ----------------------------------------------------------------------

    def summary(self) -> Summary:
        session = self.session
        status = session.status
        text = status.text
        if session.loading_since is not None:
            text = f"{text} · {self.clock() - session.loading_since:.1f} s"
        if session.counts_approximate:
            text += " · counts approximate"
        return Summary(
            context=self.context, state=text, state_is_error=status.state is State.ERROR,
            scope=f"{session.time_range.describe()} · {session.store_name}",
            shown=len(session.store.visible),
            total=session.total, total_text=session.total_text(),
            warnings=session.warnings_total, warning=status.warning,
        )

    def counts(self) -> Counts:
        session = self.session
        return Counts(session.namespace_counts, session.total, session.warnings_total)

    def histogram(self, buckets: int, now: float) -> Histogram | None:
        return self.session.histogram

    def empty_state(self, query: Query) -> EmptyState:
        session = self.session
        status = session.status
        if status.state is State.ERROR:
            where = "[opensearch] in settings.toml" if session.store_name == "OpenSearch" \
                else "the archive"
            return EmptyState(f"⚠ {one_line(status.text, 300)} — h returns to live; T changes "
                              f"the range; check {where}", is_error=True)
        if session.loading_since is not None:
            return EmptyState(f"{status.text}…")
        return EmptyState(f"No event in {session.time_range.describe()} matches "
                          f"{query.describe()}. - zooms out, [ steps back, esc clears the "
                          "filter.")
