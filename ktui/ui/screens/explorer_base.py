"""The explorer's state and painting: table, namespace sidebar, sparkline, detail pane.

The screen owns its widgets and the pump. What it shows comes from one feed controller at
a time (:mod:`ktui.explorer`: live or history); the pump asks the active feed what
changed and repaints only that, so a storm of events costs a bounded amount of UI time.
Saved views (:mod:`ktui.ui.views_actions`) see the screen through a narrow protocol.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from ktui.explorer.feed import Feed, Mode
from ktui.explorer.live import LiveArchive, LiveSession, SourceCatalog
from ktui.explorer.live_feed import LiveFeed, hint
from ktui.feeds.errors import SourceError
from ktui.model.contexts import split_contexts
from ktui.model.query import Query
from ktui.model.safe_text import one_line
from ktui.model.timerange import TimeRange
from ktui.ui.widgets.detail import DetailPane
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.filter_bar import FilterBar
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.header import EventHeader, HeaderState
from ktui.ui.widgets.lens_bar import LensBar
from ktui.ui.widgets.sidebar import NamespaceSidebar
from ktui.ui.widgets.sparkline import EventSparkline

if TYPE_CHECKING:
    from ktui.config import Settings
    from ktui.explorer.history import HistorySession
    from ktui.explorer.timeline_feed import TimelineFeed
    from ktui.ui.lens_actions import LensActions
    from ktui.ui.views_actions import ViewsActions
    from ktui.ui.widgets.group_table import GroupTable
    from ktui.views.model import SavedView

PUMP_INTERVAL = 0.25  # s: at most four repaints a second however fast events come
SOON_INTERVAL = 0.05  # s: a look for a list's first rows or its end (LiveFeed.pump_soon)


class ExplorerBase(Screen[None]):
    """The explorer's layout, feeds, pump and painting; its keys are
    :class:`~ktui.ui.screens.explorer.ExplorerScreen`'s."""

    # Focused when nothing is: the table (Textual's first focusable, the sidebar, had it
    # until on_mount's table.focus(): restyles and a repaint before the first frame).
    AUTO_FOCUS = "#table"

    def __init__(
        self,
        catalog: SourceCatalog,
        settings: Settings,
        *,
        context: str | None = None,
        namespaces: list[str] | None = None,
        query: Query | None = None,
        clock: Callable[[], float] = time.time,
        note: str = "",
        history: HistorySession | None = None,
        start_in_history: bool = False,
        view: SavedView | None = None,
        archive: LiveArchive | None = None,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.settings = settings
        self.clock = clock  # wall time: ages and the sparkline's axis
        self.live = LiveFeed(catalog, max_events=settings.ui.max_events, archive=archive)
        # The demo's badge: 'demo cluster' (--demo), or why ktui started it and how to point
        # it at a cluster (no kubeconfig found).
        self.demo_note = note
        # History, with the live events merged in while its window reaches now (built when
        # first asked for, like the lens and the group rows: their modules stay out of the
        # first paint).
        self._history_session = history
        self._history: TimelineFeed | None = None
        self._history_context = ""
        self.feed: Feed = self.live
        self.query_state = query or Query()
        self.requested_context = context
        self.watch_namespaces = namespaces
        self.start_in_history = start_in_history
        self.start_view = view
        # Runs once after the first paint, before any source starts (the demo starts its
        # simulated clusters here, so they never delay the first frame).
        self.prepare: Callable[[], None] | None = None
        self._saved_views: ViewsActions | None = None
        self._lens: LensActions | None = None
        self._groups: GroupTable | None = None
        self._production = re.compile(settings.ui.production_pattern, re.IGNORECASE)
        self._last_histogram_at = -1.0

    @property
    def mode(self) -> Mode:
        return self.feed.mode

    @property
    def session(self) -> LiveSession | None:
        return self.live.session

    @property
    def context(self) -> str | None:
        return self.live.context

    @property
    def time_range(self) -> TimeRange:
        return self.history.time_range

    @property
    def history(self) -> TimelineFeed:
        """History (ktui.explorer.timeline_feed), built when first asked for."""
        if self._history is None:
            from ktui.explorer.timeline_feed import TimelineFeed

            self._history = TimelineFeed(self._history_session, self.live, wall=self.clock,
                                         clusters=self.settings.clusters)
            self._history.context = self._history_context
        return self._history

    @property
    def showing_history(self) -> bool:
        return self._history is not None and self.feed is self._history

    @property
    def saved_views(self) -> ViewsActions:
        """Save, list and load views (ktui.ui.views_actions), imported when first used."""
        if self._saved_views is None:
            from ktui.ui.views_actions import ViewsActions

            self._saved_views = ViewsActions(self)
        return self._saved_views

    @property
    def lens(self) -> LensActions:
        """Grouping, a group's events, reports (ktui.ui.lens_actions)."""
        if self._lens is None:
            from ktui.ui.lens_actions import LensActions

            self._lens = LensActions(self)
        return self._lens

    @property
    def groups(self) -> GroupTable:
        """The group rows, mounted beside the table when first asked for (the lens asks
        right after the first paint)."""
        if self._groups is None:
            from ktui.ui.widgets.group_table import GroupTable

            self._groups = GroupTable(clock=self.clock, id="groups", classes="-hidden")
            self.query_one("#panes", Horizontal).mount(self._groups, before=self.table)
        return self._groups

    def is_production(self, context: str) -> bool:
        return bool(self._production.search(context))

    # -- layout and start ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.header = EventHeader(id="header")
        self.filter_bar = FilterBar(id="filter-bar")
        self.sidebar = NamespaceSidebar(id="sidebar")
        self.sparkline = EventSparkline(id="sparkline")
        self.table = EventTable(clock=self.clock, id="table")
        self.detail = DetailPane(id="detail")
        self.lens_bar = LensBar(id="lens-bar")
        yield self.header
        yield self.filter_bar
        with Horizontal(id="main"):
            yield self.sidebar
            with Vertical(id="center"):
                yield self.sparkline
                yield self.lens_bar
                with Horizontal(id="panes"):
                    yield self.table
                    yield self.detail
        yield KtuiFooter(compact=True)

    def on_mount(self) -> None:
        self.filter_bar.show(self.query_state)
        self.detail.add_class("-hidden")
        self.table.focus()
        # Sources import their clients: start them after the first paint.
        self.call_after_refresh(self.start)
        self.set_interval(PUMP_INTERVAL, lambda: self._pump_if(soon=False))
        self.set_interval(SOON_INTERVAL, lambda: self._pump_if(soon=True))
        self.live.settle_later = lambda work: self.set_timer(PUMP_INTERVAL, work)
        self.set_interval(1.0, self._tick)

    def start(self) -> None:
        prepare, self.prepare = self.prepare, None
        if prepare is not None:
            try:
                prepare()
            except Exception as error:  # the demo's port taken, say: shown, not raised
                self.show_error(SourceError(f"start-up failed: {type(error).__name__}: {error}"))
                return
        try:
            contexts, current = self.catalog.contexts()
        except SourceError as error:
            self.show_error(error)
            return
        view_context = self.start_view.context if self.start_view else None
        context = (self.requested_context or view_context or current
                   or (contexts[0] if contexts else None))
        if context is None:
            self.show_error(SourceError("the kubeconfig has no contexts",
                                        hint="use --demo or --kubeconfig PATH"))
            return
        self.switch_context(context)
        if self.is_attached:  # the lens, group rows: while the list is on its way (no exit)
            _ = self.lens, self.groups
        if self.start_view is not None:
            self.saved_views.apply(self.start_view)
        elif self.start_in_history and self.enter_history():
            self.history_search()

    def switch_context(self, context: str | Sequence[str]) -> None:
        """Show one context, or several (a list, or names joined with commas)."""
        contexts = split_contexts(context) if isinstance(context, str) else list(context)
        self.live.activate(contexts, self.query_state, self.watch_namespaces)
        self._history_context = ",".join(contexts)
        if self._history is not None:
            self._history.context = self._history_context
        self.table.contexts = self.sparkline.contexts = tuple(contexts)
        self.table.set_columns(show_namespace=self.table.show_namespace,
                               hidden=self.table.hidden_columns,
                               show_context=len(contexts) > 1)
        if self.feed is self.live:
            self.table.set_store(self.live.store)
        self.pump()

    def show_feed(self, feed: Feed) -> None:
        """Make ``feed`` the one shown, with the current filter."""
        self.feed = feed
        self.live.refresh()
        self.table.set_store(feed.store)
        self.pump()

    # -- the pump -----------------------------------------------------------------------

    def pump(self) -> None:
        live_changed = self.live.pump()  # live keeps watching while history is shown
        feed = self.feed
        changed = live_changed if feed is self.live else feed.pump()
        # grouping: the rows follow the events; an opened group's events are the table's
        # (no lens before the first events: nothing to group, nothing imported for it yet)
        store = feed.store
        lens = self.lens if self._lens is not None or (store is not None and len(store)) else None
        if lens is not None:
            changed = lens.pump(changed)
        shown = lens.table_store(feed.store) if lens is not None else feed.store
        in_history = self.showing_history
        if in_history:
            self.history.load_more_near(self.table.cursor)
        if shown is not self.table.store:  # a new search replaced the store
            self.table.set_store(shown)
        elif changed:
            self.table.data_changed()
        if changed or in_history:
            counts = feed.counts()
            if counts is not None:  # a new filter changes no count: version says so
                version = None if in_history or store is None else store.data_generation
                self.sidebar.update_counts(counts.namespaces, counts.total, counts.warnings,
                                           counts.by_context, version=version)
            self.refresh_sparkline(force=in_history)
        self.refresh_header()

    def _pump_if(self, *, soon: bool) -> None:
        """The regular pump (which may wait while a list streams in), or a look for what
        should show sooner: a context's first rows, a list's end (see LiveFeed)."""
        shown = self.feed is self.live
        if self.live.pump_soon(shown=shown) if soon else not (shown and self.live.hold_back()):
            self.pump()

    def _tick(self) -> None:
        notice = self.live.archive_notice()
        if notice:  # once: ktui goes on without archiving (or retries a locked file)
            self.notify(notice, title="archive", severity="warning", timeout=10,
                        markup=False)
        if not self.table.absolute_time:
            self.table.refresh()
            if self._groups is not None:
                self._groups.refresh()  # their ages too
        if self.showing_history:
            self.pump()
        else:
            self.refresh_sparkline()  # its right-hand label follows the clock
            self.refresh_header()

    @on(EventSparkline.Resized)
    def _sparkline_resized(self, message: EventSparkline.Resized) -> None:
        self.refresh_sparkline(force=True)

    def refresh_sparkline(self, force: bool = False) -> None:
        now = self.clock()
        # Rate-limited on the monotonic clock (a test's fixed wall clock would hold the first)
        ticked = time.monotonic()
        if not force and ticked - self._last_histogram_at < 0.5:
            return
        self._last_histogram_at = ticked
        lens, selected = self._lens, self.table.selected
        one = None if lens is not None and lens.showing_groups else selected  # its context
        histogram = (self.live.histogram(self.sparkline.buckets, now, one) if self.feed is self.live
                     else self.feed.histogram(self.sparkline.buckets, now))
        moment = (lens.selected_time(selected) if lens is not None
                  else selected.time if selected is not None else None)
        marked = histogram.bucket_of(moment) if histogram and moment else None
        # rollouts under the bars; with grouping by owner, the selected group's stand out
        ticks = lens.ticks(histogram) if lens is not None else ([], [])
        self.sparkline.show(histogram, marked, *ticks)

    def refresh_header(self) -> None:
        summary = self.feed.summary()
        if summary is None:
            return
        store = self.feed.store
        self.header.show(HeaderState(
            context=summary.context,
            production=self.is_production(summary.context) if summary.context else False,
            mode=self.feed.mode.upper(),
            scope=summary.scope, state=summary.state, state_is_error=summary.state_is_error,
            shown=summary.shown, total=summary.total, total_text=summary.total_text,
            warnings=summary.warnings, coalesced=summary.coalesced, warning=summary.warning,
            pending=self.table.pending if self.feed is self.live else 0,
            paused=not self.table.follow if self.feed is self.live else False,
            expired=store.visible_expired if store is not None else 0,
            expired_hidden=(store.expired if store is not None and self.query_state.hide_expired
                            else 0),
            demo=bool(self.demo_note),
            demo_hint="" if self.demo_note == "demo cluster" else self.demo_note,
            archiving=summary.archiving,
            live=summary.live,
        ))
        if store is None or not store.visible:
            empty = self.feed.empty_state(self.query_state)
            self.table.empty_message = Text(empty.text,
                                            style="bold red" if empty.is_error else "")
            self.table.refresh()

    def show_error(self, error: SourceError) -> None:
        """An error before any context could start (a broken kubeconfig, no contexts)."""
        self.header.show(HeaderState(context="no context", mode="LIVE",
                                     state=one_line(str(error.message), 200),
                                     state_is_error=True))
        advice = error.hint or hint(error)
        self.table.empty_message = Text(f"⚠ {one_line(str(error.message), 300)} — {advice}",
                                        style="bold red")
        self.table.refresh()
        self.notify(one_line(str(error), 300), title="ktui", severity="error", timeout=8,
                    markup=False)

    # -- filters ------------------------------------------------------------------------

    def apply_query(self, query: Query) -> None:
        self.query_state = query
        self.filter_bar.show(query)
        self.live.set_query(query)
        if self.showing_history:
            self.history.buckets = max(self.sparkline.size.width, 20)
            self.history.set_query(query)
        sidebar = self.sidebar
        if sidebar.selected != query.namespaces:
            sidebar.set_selected(query.namespaces, notify=False)
        self.table.set_columns(show_namespace=len(query.namespaces) != 1,
                               hidden=self.table.hidden_columns)
        self.pump()
        self.refresh_sparkline(force=True)

    @on(NamespaceSidebar.Changed)
    def _namespaces_changed(self, message: NamespaceSidebar.Changed) -> None:
        self.apply_query(self.query_state.with_namespaces(message.selected))

    # -- history ------------------------------------------------------------------------

    def enter_history(self, time_range: TimeRange | None = None) -> bool:
        """Show history (without searching yet), optionally over ``time_range``; False,
        with an error notification, when history is not configured."""
        if not self.history.available:
            self.notify(self.history.session.problem, title="history", severity="error",
                        timeout=10, markup=False)
            return False
        if time_range is not None:
            self.history.session.time_range = time_range
        if self.feed is not self.history:
            self.feed = self.history
            self.table.set_store(self.history.store)
        return True

    def history_search(self) -> None:
        """Search history again with the current filter and time range."""
        self.history.buckets = max(self.sparkline.size.width, 20)
        self.history.set_query(self.query_state)
        self.table.set_store(self.history.store)
        self.pump()

    def leave_history(self) -> None:
        """Back to the live table of the current context, with the current filter."""
        if self.feed is self.live:
            return
        self.live.set_query(self.query_state)
        self.show_feed(self.live)

    # -- detail and follow --------------------------------------------------------------

    @on(EventTable.Opened)
    def _open_detail(self, message: EventTable.Opened) -> None:
        detail = self.detail
        if detail.has_class("-hidden"):
            detail.remove_class("-hidden")
            detail.show(message.event)
            self.table.pin()  # the event being read stays selected while events arrive
        else:
            detail.add_class("-hidden")
            self.table.pinned = False

    @on(EventTable.CursorMoved)
    def _cursor_moved(self, message: EventTable.CursorMoved) -> None:
        detail = self.detail
        if not detail.has_class("-hidden"):
            detail.show(message.event)
        self.refresh_sparkline(force=True)

    @on(EventTable.FollowChanged)
    def _follow_changed(self, message: EventTable.FollowChanged) -> None:
        self.refresh_header()

    # -- group rows (ktui.ui.lens_actions does the work) --------------------------------

    # (handlers by name: GroupTable is imported when the lens first needs it)
    def on_group_table_opened(self, message: GroupTable.Opened) -> None:
        self.lens.open(message.group)

    def on_group_table_cursor_moved(self, message: GroupTable.CursorMoved) -> None:
        self.refresh_sparkline(force=True)
