"""History mode's keys and screen updates, mixed into the app.

``h`` toggles LIVE and HISTORY with the same filter; ``[``/``]`` step the window, ``+``/``-``
zoom through the presets, ``>`` zooms into the sparkline bucket of the selected event,
``T`` takes a range (``6h`` or ``FROM..TO``), ``H`` opens the history of the selected live
event's object. Searches run in thread workers; the state lives in :class:`HistorySession`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text

from ktui.model.event import parse_time
from ktui.model.query import Term
from ktui.model.safe_text import one_line
from ktui.model.timerange import PRESETS, TimeRange, format_duration
from ktui.sources.base import State
from ktui.ui.history import Answer, HistorySession, zoom_range
from ktui.ui.screens.pickers import Prompt
from ktui.ui.widgets.header import HeaderState

if TYPE_CHECKING:
    from textual.app import App

    from ktui.model.query import Query
    from ktui.ui.session import LiveSession
    from ktui.ui.widgets.event_table import EventTable
    from ktui.ui.widgets.header import EventHeader
    from ktui.ui.widgets.sidebar import NamespaceSidebar
    from ktui.ui.widgets.sparkline import EventSparkline

    _Base = App[None]
else:
    _Base = object


def parse_range(text: str) -> TimeRange:
    """``6h`` (a preset or any duration) or ``FROM..TO`` in RFC 3339."""
    text = text.strip()
    if ".." in text:
        start_text, end_text = (part.strip() for part in text.split("..", 1))
        start, end = parse_time(start_text), parse_time(end_text) if end_text else time.time()
        if start is None or end is None:
            raise ValueError("use RFC 3339 times, e.g. 2026-11-20T10:00:00Z..2026-11-20T12:00Z")
        return TimeRange.between(start, end)
    return TimeRange.last(text)


class HistoryMode(_Base):
    """Needs, from the app: its widgets, the live session, the query and the pump."""

    history: HistorySession
    mode: str
    if TYPE_CHECKING:
        table: EventTable
        sidebar: NamespaceSidebar
        sparkline: EventSparkline
        header: EventHeader
        session: LiveSession | None
        query_state: Query
        _seen_generation: int

        def pump(self) -> None: ...
        def apply_query(self, query: Query) -> None: ...
        def is_production(self, context: str) -> bool: ...

    # -- switching -----------------------------------------------------------------------

    def action_toggle_history(self) -> None:
        if self.mode == "history":
            self.leave_history()
        elif self.enter_history():
            self.history_search()

    def enter_history(self, time_range: TimeRange | None = None) -> bool:
        """Show history (without searching yet), optionally over ``time_range``; False,
        with an error notification, when history is not configured."""
        if not self.history.available:
            self.notify(self.history.problem, title="history", severity="error", timeout=10,
                        markup=False)
            return False
        if time_range is not None:
            self.history.time_range = time_range
        if self.mode != "history":
            self.mode = "history"
            self.table.set_store(self.history.store)
        return True

    def leave_history(self) -> None:
        """Back to the live table of the current context, with the current filter."""
        if self.mode != "history":
            return
        self.mode = "live"
        if self.session is not None:
            self.table.set_store(self.session.store)
            self.session.store.set_query(self.query_state)
        self._seen_generation = -1
        self.pump()

    def action_object_history(self) -> None:
        """The history of the selected event's involved object, over the last 7 days."""
        event = self.table.selected
        if event is None or not event.object.name:
            self.notify("select an event first", severity="warning")
            return
        terms = [Term("kind", ":", (event.object.kind,))] if event.object.kind else []
        terms.append(Term("name", ":", (event.object.name,)))
        text = " ".join(str(term) for term in terms)
        namespace = event.object.namespace or event.namespace
        query = self.query_state.with_text(text).with_types(set())
        query = query.with_namespaces({namespace} if namespace else set())
        if self.enter_history(TimeRange.last("7d")):
            self.apply_query(query)

    # -- the time range ------------------------------------------------------------------

    def _set_range(self, time_range: TimeRange) -> None:
        if self.mode != "history":
            self.notify("time ranges apply to history mode (h)", severity="warning")
            return
        self.history.time_range = time_range
        self.history_search()

    def action_time_step(self, direction: int) -> None:
        self._set_range(self.history.time_range.shifted(direction * 0.5))

    def action_time_zoom(self, direction: int) -> None:
        self._set_range(zoom_range(self.history.time_range, direction))

    def action_zoom_bucket(self) -> None:
        histogram, event = self.history.histogram, self.table.selected
        if histogram is None or event is None:
            return
        bucket = histogram.bucket_of(event.time)
        if bucket is None:
            return
        start = histogram.start + bucket * histogram.interval
        self._set_range(TimeRange.between(start, start + histogram.interval))

    def action_time_range(self) -> None:
        def validate(text: str) -> str | None:
            try:
                parse_range(text)
            except ValueError as error:
                return str(error)
            return None

        def done(text: str | None) -> None:
            if text:
                self._set_range(parse_range(text))

        current = self.history.time_range
        value = format_duration(current.relative) if current.relative else ""
        self.push_screen(
            Prompt("Time range", value, f"{' · '.join(PRESETS)} · or FROM..TO (RFC 3339)",
                   validate),
            done,
        )

    # -- searching -----------------------------------------------------------------------

    def history_search(self) -> None:
        history = self.history
        generation = history.begin(self.query_state, history.time_range)
        buckets = max(self.sparkline.size.width, 20)
        query, time_range = self.query_state, history.time_range
        self.table.set_store(history.store)
        self.table.empty_message = Text(f"querying OpenSearch for {time_range.describe()}…")
        self.run_worker(
            lambda: history.search(generation, query, time_range, buckets),
            thread=True, exclusive=True, group="history-search",
            exit_on_error=False,
        ).name = "history-search"
        self.history_pump()

    def on_worker_state_changed(self, event: object) -> None:
        from textual.worker import WorkerState

        worker = getattr(event, "worker", None)
        if worker is None or getattr(event, "state", None) is not WorkerState.SUCCESS:
            return
        result = worker.result
        if isinstance(result, Answer) and self.history.take(result):
            if result.first:
                self.table.set_store(self.history.store)
            else:
                self.table.data_changed()
            self.history_pump()

    def _load_more(self) -> None:
        history = self.history
        page, generation = history.cursor, history.generation
        if page is None:
            return
        history.page_loading = True
        self.run_worker(lambda: history.more(generation, page), thread=True,
                        group="history-page", exit_on_error=False)

    # -- painting ------------------------------------------------------------------------

    def history_pump(self) -> None:
        history = self.history
        if history.wants_more(self.table.cursor):
            self._load_more()
        counts = history.namespace_counts
        self.sidebar.update_counts(counts, history.total, history.warnings_total)
        self.history_sparkline()
        self.history_header()
        if not history.store.visible:
            self.table.empty_message = self._history_empty()
            self.table.refresh()

    def _history_empty(self) -> Text:
        status = self.history.status
        if status.state is State.ERROR:
            return Text(f"⚠ {one_line(status.text, 300)} — h returns to live; T changes the "
                        "range; check [opensearch] in settings.toml", style="bold red")
        if self.history.loading_since is not None:
            return Text(f"{status.text}…")
        return Text(f"No event in {self.history.time_range.describe()} matches "
                    f"{self.query_state.describe()}. - zooms out, [ steps back.")

    def history_sparkline(self) -> None:
        histogram = self.history.histogram
        selected = self.table.selected
        marked = histogram.bucket_of(selected.time) if histogram and selected else None
        self.sparkline.show(histogram, marked)

    def history_header(self) -> None:
        history, session = self.history, self.session
        status = history.status
        text = status.text
        if history.loading_since is not None:
            text = f"{text} · {time.monotonic() - history.loading_since:.1f} s"
        if history.counts_approximate:
            text += " · counts approximate"
        context = session.context if session is not None else ""
        self.header.show(HeaderState(
            context=context,
            production=self.is_production(context) if context else False,
            mode="HISTORY",
            scope=history.time_range.describe(),
            state=text,
            state_is_error=status.state is State.ERROR,
            shown=len(history.store.visible),
            total=history.total,
            total_text=history.total_text(),
            warnings=history.warnings_total,
            warning=status.warning,
        ))
