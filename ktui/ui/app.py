"""The ktui application: layout, key bindings, and the timer that feeds the widgets.

Everything slow happens elsewhere: sources run in threads (``session.py``), the store does
the bookkeeping (``ktui.model.store``), widgets render only what is on screen. The app
pumps the active session a few times a second and repaints what changed, so a storm of
events costs a bounded amount of UI time.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from ktui.model.query import Query, QueryError, parse_query
from ktui.model.safe_text import one_line
from ktui.settings import Settings
from ktui.sources.base import (
    ConfigError,
    Forbidden,
    SourceError,
    State,
    Unauthorized,
    Unreachable,
)
from ktui.ui.commands import CommandsMode
from ktui.ui.history import HistorySession
from ktui.ui.history_mode import HistoryMode
from ktui.ui.screens.pickers import Prompt
from ktui.ui.session import LiveSession, Sessions, SourceCatalog
from ktui.ui.widgets.detail import DetailPane, event_json
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.header import EventHeader, HeaderState
from ktui.ui.widgets.sidebar import NamespaceSidebar
from ktui.ui.widgets.sparkline import EventSparkline

if TYPE_CHECKING:  # saved views load on first use: not before the first paint
    from textual.command import Provider

    from ktui.model.views import SavedView
    from ktui.ui.views_actions import ViewsActions

PUMP_INTERVAL = 0.25  # s: at most four repaints a second however fast events come
FIRST_ROWS_INTERVAL = 0.05  # s: while the active context has no event yet
MIN_WINDOW = 600.0  # s: the sparkline spans at least ten minutes


_frozen = False


def _freeze_long_lived() -> None:
    """Once per process, when the first list is in: move everything alive (Textual's
    widgets and caches, imported modules, the listed events) out of the collector's
    generations. A full collection then walks ~13k objects instead of ~75k (5 ms, not
    60 ms: the worst UI stalls under a storm were these). Only once: freezing after every
    batch would also freeze render garbage that later becomes collectable."""
    global _frozen
    _frozen = True
    gc.collect()
    gc.freeze()


def _view_commands() -> type[Provider]:
    """The palette's saved-view commands (Textual calls this when the palette opens)."""
    from ktui.ui.views_actions import ViewCommands

    return ViewCommands


def _hint(error: SourceError | None) -> str:
    if error is None or error.hint:
        return ""
    if isinstance(error, Unreachable):
        return "check the address, VPN or tunnel; ktui keeps retrying. c switches context."
    if isinstance(error, Unauthorized):
        return "credentials missing or expired: log in again (e.g. aws sso login), then wait."
    if isinstance(error, Forbidden):
        return "RBAC denies events cluster-wide: :ns NAME watches a namespace you may read."
    if isinstance(error, ConfigError):
        return "fix the kubeconfig, or start with --kubeconfig PATH (or --demo)."
    return "press c to pick another context."


class KtuiApp(CommandsMode, HistoryMode, App[None]):
    CSS_PATH = "ktui.tcss"
    TITLE = "ktui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    COMMANDS = App.COMMANDS | {_view_commands}

    BINDINGS = [
        Binding("w", "types('Warning')", "Warnings", id="types.warning"),
        Binding("n", "types('Normal')", "Normal", id="types.normal"),
        Binding("a", "types('')", "All types", id="types.all"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("0", "all_namespaces", "All ns", show=False, id="namespaces.all"),
        Binding("b", "toggle_sidebar", "Namespaces", id="sidebar.show"),
        Binding("c", "contexts", "Context", id="contexts"),
        Binding("colon", "command", "Command", show=False, id="command"),
        Binding("f", "follow", "Follow", id="follow"),
        Binding("y", "copy", "Copy JSON", id="copy"),
        Binding("t", "absolute_time", "Abs time", show=False, id="time.absolute"),
        Binding("s", "flip_order", "Sort", show=False, id="sort.flip"),
        Binding("z", "zoom_detail", "Full detail", show=False, id="detail.zoom"),
        Binding("escape", "close_detail", "Close", show=False, id="detail.close"),
        Binding("h", "toggle_history", "History", id="history.toggle"),
        Binding("H", "object_history", "Object history", show=False, id="history.object"),
        Binding("left_square_bracket", "time_step(-1)", "Earlier", show=False,
                id="history.earlier"),
        Binding("right_square_bracket", "time_step(1)", "Later", show=False,
                id="history.later"),
        Binding("plus", "time_zoom(-1)", "Zoom in", show=False, id="history.zoom_in"),
        Binding("minus", "time_zoom(1)", "Zoom out", show=False, id="history.zoom_out"),
        Binding("greater_than_sign", "zoom_bucket", "Zoom bucket", show=False,
                id="history.zoom_bucket"),
        Binding("T", "time_range", "Time range", show=False, id="history.range"),
        Binding("ctrl+s", "save_view", "Save view", show=False, id="views.save"),
        Binding("v", "views", "Views", id="views.list"),
        *[Binding(str(n), f"load_view({n})", f"View {n}", show=False, id=f"views.load{n}")
          for n in range(1, 10)],
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        catalog: SourceCatalog,
        *,
        settings: Settings | None = None,
        context: str | None = None,
        namespaces: list[str] | None = None,
        query: Query | None = None,
        clock: Callable[[], float] = time.time,
        note: str = "",
        history: HistorySession | None = None,
        start_in_history: bool = False,
        view: SavedView | None = None,
    ) -> None:
        super().__init__()
        self._saved_views: ViewsActions | None = None
        self.start_view = view
        # Runs once after the first paint, before any source starts (the demo starts its
        # simulated clusters here, so they never delay the first frame).
        self.prepare: Callable[[], None] | None = None
        self.history = history or HistorySession(None, "history mode is not configured")
        self.mode = "live"
        self.start_in_history = start_in_history
        self.settings = settings or Settings()
        self.catalog = catalog
        self.sessions = Sessions(catalog, max_events=self.settings.max_events)
        self.clock = clock
        self.requested_context = context
        self.watch_namespaces = namespaces
        self.query_state = query or Query()
        self.note = note
        self.session: LiveSession | None = None
        self._production = re.compile(self.settings.production_pattern, re.IGNORECASE)
        self._seen_generation = -1
        self._last_histogram_at = 0.0

    @property
    def saved_views(self) -> ViewsActions:
        """Save, list and load views (ktui.ui.views_actions), imported when first used."""
        if self._saved_views is None:
            from ktui.ui.views_actions import ViewsActions

            self._saved_views = ViewsActions(self)
        return self._saved_views

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Kept as attributes: App.query_one searches the active screen, which is a modal
        # while a prompt is open, and the pump keeps running underneath it.
        self.header = EventHeader(id="header")
        self.sidebar = NamespaceSidebar(id="sidebar")
        self.sparkline = EventSparkline(id="sparkline")
        self.table = EventTable(clock=self.clock, id="table")
        self.detail = DetailPane(id="detail")
        yield self.header
        with Horizontal(id="main"):
            yield self.sidebar
            with Vertical(id="center"):
                yield self.sparkline
                with Horizontal(id="panes"):
                    yield self.table
                    yield self.detail
        yield Footer()

    @property
    def main_screen(self) -> Screen[object]:
        """The explorer's screen, whatever modal is on top of it."""
        return self.screen_stack[0]

    def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        self.detail.add_class("-hidden")
        self.table.focus()
        # Sources import their clients: start them after the first paint.
        self.call_after_refresh(self._start)
        self.set_interval(PUMP_INTERVAL, self.pump)
        # Until the first events arrive, look every 50 ms: the first rows of a list show
        # as soon as its first page is in, not at the next quarter-second tick.
        self.set_interval(FIRST_ROWS_INTERVAL, self._pump_while_empty)
        self.set_interval(1.0, self._tick)

    def _start(self) -> None:
        prepare, self.prepare = self.prepare, None
        if prepare is not None:
            try:
                prepare()
            except Exception as error:  # an OS error binding a port, say: shown, not raised
                self._show_error(SourceError(f"the demo could not start: {error}"))
                return
        try:
            contexts, current = self.catalog.contexts()
        except SourceError as error:
            self._show_error(error)
            return
        view_context = self.start_view.context if self.start_view else None
        context = (self.requested_context or view_context or current
                   or (contexts[0] if contexts else None))
        if context is None:
            self._show_error(SourceError("the kubeconfig has no contexts",
                                         hint="use --demo or --kubeconfig PATH"))
            return
        self.switch_context(context)
        if self.start_view is not None:
            self.saved_views.apply(self.start_view)
        elif self.start_in_history:
            self.action_toggle_history()

    def switch_context(self, context: str) -> None:
        session = self.sessions.activate(context, self.query_state, self.watch_namespaces)
        self.session = session
        if self.mode == "live":
            self.table.set_store(session.store)
        self._seen_generation = -1
        self.pump()

    # -- the pump ------------------------------------------------------------------------

    def pump(self) -> None:
        session = self.session
        if session is not None:
            session.pump()  # live keeps watching while history is shown
            if not _frozen and session.status.state is State.WATCHING:
                _freeze_long_lived()
        if self.mode == "history":
            self.history_pump()
            return
        if session is None:
            return
        store = session.store
        if store.generation != self._seen_generation:
            self._seen_generation = store.generation
            self.table.data_changed()
            self.sidebar.update_counts(
                store.namespaces, len(store), store.warnings
            )
            self._refresh_sparkline()
        self._refresh_header()

    def _pump_while_empty(self) -> None:
        session = self.session
        if self.mode == "live" and session is not None and not len(session.store):
            self.pump()

    def _tick(self) -> None:
        if not self.table.absolute_time:
            self.table.refresh()
        if self.mode == "history":
            self.history_pump()
        else:
            self._refresh_header()

    def _refresh_sparkline(self, force: bool = False) -> None:
        if self.mode == "history":
            self.history_sparkline()
            return
        now = self.clock()
        if not force and now - self._last_histogram_at < 0.5:
            return
        self._last_histogram_at = now
        sparkline = self.sparkline
        store = self.session.store if self.session else None
        if store is None or not store.visible:
            sparkline.show(None, None)
            return
        start = min(store.visible[0].time or now, now - MIN_WINDOW)
        end = max(now, store.visible[-1].time) + 1
        histogram = store.histogram(start, end, sparkline.buckets)
        selected = self.table.selected
        sparkline.show(histogram, histogram.bucket_of(selected.time) if selected else None)

    def _refresh_header(self) -> None:
        session = self.session
        header = self.header
        if self.mode == "history":
            self.history_header()
            return
        if session is None:
            return
        store, status = session.store, session.status
        is_error = status.state is State.ERROR or (
            status.error is not None and status.state is State.RECONNECTING
        )
        state_text = status.line(time.monotonic())
        if self.note:
            state_text = f"{self.note} · {state_text}"
        header.show(HeaderState(
            context=session.context,
            production=self.is_production(session.context),
            mode="LIVE",
            state=state_text,
            state_is_error=is_error,
            shown=len(store.visible),
            total=len(store),
            warnings=store.warnings,
            pending=self.table.pending,
            paused=not self.table.follow,
            coalesced=session.coalesced,
            warning=status.warning,
        ))
        if not store.visible:
            self.table.empty_message = self._empty_message(session)
            self.table.refresh()

    def _empty_message(self, session: LiveSession) -> Text:
        status = session.status
        if status.state is State.ERROR or status.error is not None:
            hint = _hint(status.error)
            text = f"⚠ {one_line(status.text or 'error', 300)}"
            return Text(text + (f" — {hint}" if hint else ""), style="bold red")
        if len(session.store) and not session.store.visible:
            return Text(f"No event matches {self.query_state.describe()}. "
                        "a = all types, 0 = all namespaces, / edits the filter.")
        return Text(f"{status.line()}…" if status.state is not State.WATCHING else "No events.")

    def _show_error(self, error: SourceError) -> None:
        """An error before any context could start (a broken kubeconfig, no contexts)."""
        self.header.show(HeaderState(context="no context", mode="LIVE",
                                     state=one_line(str(error.message), 200),
                                     state_is_error=True))
        hint = error.hint or _hint(error)
        self.table.empty_message = Text(f"⚠ {one_line(str(error.message), 300)} — {hint}",
                                        style="bold red")
        self.table.refresh()
        self.notify(one_line(str(error), 300), title="ktui", severity="error", timeout=8,
                    markup=False)

    def is_production(self, context: str) -> bool:
        return bool(self._production.search(context))

    # -- filters -------------------------------------------------------------------------

    def apply_query(self, query: Query) -> None:
        self.query_state = query
        if self.session is not None:
            self.session.store.set_query(query)
        if self.mode == "history":
            self.history_search()
        sidebar = self.sidebar
        if sidebar.selected != query.namespaces:
            sidebar.set_selected(query.namespaces, notify=False)
        self.table.set_columns(show_namespace=len(query.namespaces) != 1,
                               hidden=self.table.hidden_columns)
        self.pump()
        self._refresh_sparkline(force=True)

    def action_types(self, type_name: str) -> None:
        self.apply_query(self.query_state.with_types({type_name} if type_name else set()))

    def action_toggle_sidebar(self) -> None:
        """Show or hide the namespace sidebar (hidden by default on narrow terminals)."""
        sidebar = self.sidebar
        narrow = self.main_screen.has_class("-narrow")
        shown = sidebar.has_class("-shown") if narrow else not sidebar.has_class("-hidden")
        sidebar.set_class(narrow and not shown, "-shown")
        sidebar.set_class(not narrow and shown, "-hidden")
        if not shown:
            sidebar.focus()
        elif sidebar.has_focus:
            self.table.focus()

    def action_all_namespaces(self) -> None:
        self.apply_query(self.query_state.with_namespaces(set()))

    @on(NamespaceSidebar.Changed)
    def _namespaces_changed(self, message: NamespaceSidebar.Changed) -> None:
        self.apply_query(self.query_state.with_namespaces(message.selected))

    def action_filter(self) -> None:
        def validate(text: str) -> str | None:
            try:
                parse_query(text)
            except QueryError as error:
                return f"{error} (at column {error.position + 1})"
            return None

        def done(text: str | None) -> None:
            if text is not None:
                self.apply_query(self.query_state.with_text(text))

        self.push_screen(
            Prompt("Filter", self.query_state.text,
                   "type:Warning ns:test reason~BackOff -reason:Pulled kind:Pod name:x words",
                   validate),
            done,
        )

    # -- saved views (ktui.ui.views_actions does the work) ------------------------------

    def action_save_view(self) -> None:
        self.saved_views.save_current()

    def action_views(self) -> None:
        self.saved_views.open_list()

    def action_load_view(self, n: int) -> None:
        self.saved_views.load_index(n)

    # -- table, detail, follow -----------------------------------------------------------

    @on(EventTable.Opened)
    def _open_detail(self, message: EventTable.Opened) -> None:
        detail = self.detail
        if detail.has_class("-hidden"):
            detail.remove_class("-hidden")
            detail.show(message.event)
        else:
            detail.add_class("-hidden")

    @on(EventTable.CursorMoved)
    def _cursor_moved(self, message: EventTable.CursorMoved) -> None:
        detail = self.detail
        if not detail.has_class("-hidden"):
            detail.show(message.event)
        self._refresh_sparkline(force=True)

    @on(EventTable.FollowChanged)
    def _follow_changed(self, message: EventTable.FollowChanged) -> None:
        self._refresh_header()

    def action_close_detail(self) -> None:
        if self.main_screen.maximized is not None:
            self.main_screen.minimize()
        self.detail.add_class("-hidden")
        self.table.focus()

    def action_zoom_detail(self) -> None:
        detail = self.detail
        if self.main_screen.maximized is not None:
            self.main_screen.minimize()
            return
        detail.remove_class("-hidden")
        detail.show(self.table.selected)
        self.main_screen.maximize(detail)

    def action_follow(self) -> None:
        if self.table.follow:
            self.table.set_follow(False)
        else:
            self.table.action_resume()
        self._refresh_header()

    def action_absolute_time(self) -> None:
        self.table.absolute_time = not self.table.absolute_time
        self.table.refresh()

    def action_flip_order(self) -> None:
        self.table.flip_order()

    def action_copy(self) -> None:
        event = self.table.selected
        if event is None:
            self.notify("no event selected", severity="warning")
            return
        self.copy_to_clipboard(event_json(event, fold=False))
        self.notify(f"copied {one_line(event.object.display, 60)} {one_line(event.reason, 40)} "
                    "as JSON (OSC 52)", markup=False)

    def ask_password(self) -> str:
        """Ask for the OpenSearch password in a modal; called from a worker thread, so it
        waits for the answer. Never stored: it goes straight to the client."""
        answer: list[str] = []
        done = threading.Event()

        def show() -> None:
            def take(value: str | None) -> None:
                answer.append(value or "")
                done.set()

            self.push_screen(Prompt("OpenSearch password",
                                    hint="asked once per session, never stored",
                                    password=True), take)

        self.call_from_thread(show)
        done.wait(600)
        return answer[0] if answer else ""

    async def action_quit(self) -> None:
        self.sessions.stop_all(wait=0.5)
        self.exit()
