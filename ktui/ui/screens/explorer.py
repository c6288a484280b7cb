"""The explorer screen's keys: every binding and the action it runs.

State, layout and painting are :class:`~ktui.ui.screens.explorer_base.ExplorerBase`'s;
this class adds what the keys do. Prompts and pickers are modal screens over it.
"""

from __future__ import annotations

import time

from textual.binding import Binding

from ktui.feeds.errors import Forbidden, SourceError
from ktui.model.event import parse_time
from ktui.model.query import Query, QueryError, Term, parse_query
from ktui.model.safe_text import one_line
from ktui.model.timerange import PRESETS, TimeRange, format_duration
from ktui.ui.screens.explorer_base import ExplorerBase

FILTER_HINT = "type:Warning ns:test reason~BackOff -reason:Pulled kind:Pod name:x words"


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


class ExplorerScreen(ExplorerBase):
    """The one screen of ktui; modals (pickers, prompts, views) open over it."""

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
        Binding("Y", "export", "Export JSON", show=False, id="export"),
        Binding("x", "hide_expired", "Hide expired", show=False, id="expired.hide"),
        Binding("r", "retry", "Retry now", show=False, id="retry"),
        Binding("o", "group", "Group", show=False, id="lens.group"),
        Binding("e", "report", "Report", show=False, id="lens.report"),
        Binding("t", "absolute_time", "Abs time", show=False, id="time.absolute"),
        Binding("s", "flip_order", "Sort", show=False, id="sort.flip"),
        Binding("z", "zoom_detail", "Full detail", show=False, id="detail.zoom"),
        Binding("escape", "close_detail", "Close", show=False, id="detail.close"),
        Binding("end", "resume", "Newest", show=False, priority=True, id="follow.resume"),
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

    # -- filters ------------------------------------------------------------------------

    def action_types(self, type_name: str) -> None:
        self.apply_query(self.query_state.with_types({type_name} if type_name else set()))

    def action_all_namespaces(self) -> None:
        self.apply_query(self.query_state.with_namespaces(set()))

    def action_toggle_sidebar(self) -> None:
        """Show or hide the namespace sidebar (hidden by default on narrow terminals)."""
        sidebar = self.sidebar
        narrow = self.has_class("-narrow")
        shown = sidebar.has_class("-shown") if narrow else not sidebar.has_class("-hidden")
        sidebar.set_class(narrow and not shown, "-shown")
        sidebar.set_class(not narrow and shown, "-hidden")
        if not shown:
            sidebar.focus()
        elif sidebar.has_focus:
            self.table.focus()

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

        from ktui.ui.screens.pickers import Prompt  # dialogs load when first opened

        self.app.push_screen(Prompt("Filter", self.query_state.text, FILTER_HINT, validate),
                             done)

    # -- contexts and the command line --------------------------------------------------

    def action_contexts(self) -> None:
        try:
            contexts, _ = self.catalog.contexts()
            error = ""
        except SourceError as problem:
            contexts, error = list(self.live.sessions.by_context), str(problem)
        current = self.context

        def done(choice: str | None) -> None:
            if choice and choice != current:
                self.switch_context(choice)

        from ktui.ui.screens.pickers import ContextPicker

        self.app.push_screen(ContextPicker(contexts, current, self.is_production, error), done)

    def action_command(self) -> None:
        from ktui.ui.screens.pickers import Prompt

        self.app.push_screen(Prompt(":", "", "ctx [NAME] · ns [NAME ...] · "
                                    "group owner|object|reason|none · q"), self.run_command)

    def run_command(self, text: str | None) -> None:
        """One line of the ``:`` command line: ``ctx [NAME]``, ``ns [NAME ...]``,
        ``group owner|object|reason|none``, ``q``."""
        words = (text or "").split()
        if not words:
            return
        verb, rest = words[0].lstrip(":"), words[1:]
        if verb in ("ctx", "context"):
            if rest:
                self.switch_context(rest[0])
            else:
                self.action_contexts()
        elif verb in ("ns", "namespace"):
            session = self.session
            forbidden = session is not None and isinstance(session.status.error, Forbidden)
            if rest and session is not None and (forbidden or session.scoped):
                # The source reads chosen namespaces (-n, or RBAC forbids the cluster-wide
                # list): watch exactly the ones named, as -n would have, at any time.
                self.watch_namespaces = rest
                self.live.watch_namespaces(rest)
            self.apply_query(self.query_state.with_namespaces(rest))
        elif verb in ("q", "quit"):
            self.action_quit()
        elif verb in ("group", "g"):
            from ktui.explorer.grouping import parse_grouping

            try:
                self.lens.set_grouping(parse_grouping(rest[0] if rest else "none"))
            except ValueError as error:
                self.notify(one_line(str(error), 120), severity="warning", markup=False)
        else:
            self.notify(f"unknown command: {one_line(verb, 40)} (ctx, ns, group, q)",
                        severity="warning", markup=False)

    def action_help(self) -> None:
        from ktui.ui.screens.pickers import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.live.stop_all(wait=0.5)
        self.app.exit()

    # -- table and detail ---------------------------------------------------------------

    def action_close_detail(self) -> None:
        """esc: close the detail; with none open, leave an opened group; else clear the
        filter."""
        detail_open = self.maximized is not None or not self.detail.has_class("-hidden")
        if self.maximized is not None:
            self.minimize()
        if detail_open:
            self.detail.add_class("-hidden")
            self.table.pinned = False
        elif self.lens.back():
            return
        elif not self.query_state.is_empty:
            self.apply_query(Query())
            self.notify("filter cleared", timeout=2)
        (self.groups if self.lens.showing_groups else self.table).focus()

    def action_resume(self) -> None:
        """End, whatever has the focus: follow the newest event again (in the full-screen
        detail: its end)."""
        if self.maximized is not None:
            self.detail.scroll_end(animate=False)
            return
        self.table.action_resume()
        self.refresh_header()

    def action_zoom_detail(self) -> None:
        if self.maximized is not None:
            self.minimize()
            self.table.focus()
            return
        self.detail.remove_class("-hidden")
        self.detail.show(self.table.selected)
        self.table.pin()
        self.maximize(self.detail)
        self.detail.focus()  # its keys, in the footer too, scroll the event

    def action_follow(self) -> None:
        if self.table.follow:
            self.table.set_follow(False)
        else:
            self.table.action_resume()
        self.refresh_header()

    def action_absolute_time(self) -> None:
        self.table.absolute_time = not self.table.absolute_time
        self.table.refresh()
        self.pump()  # the group rows follow

    def action_flip_order(self) -> None:
        self.table.flip_order()
        self.groups.flip_order()

    # -- the incident lens (ktui.ui.lens_actions does the work) --------------------------

    def action_group(self) -> None:
        """o: group by none → owner → reason → none."""
        self.lens.cycle()

    def action_report(self) -> None:
        """e: the current view as a Markdown report in a file."""
        self.lens.report()

    def action_copy(self) -> None:
        if self.lens.copy():  # on group rows: the group's summary
            return
        event = self.table.selected
        if event is None:
            self.notify("no event selected", severity="warning")
            return
        from ktui.ui.clipboard import copy_text
        from ktui.ui.widgets.detail import event_json

        advice = copy_text(self.app, event_json(event, fold=False))
        what = f"{one_line(event.object.display, 60)} {one_line(event.reason, 40)}"
        if advice:  # inside tmux that drops OSC 52: say what to set, not "copied"
            self.notify(f"could not copy {what}: {advice}; Y writes it to a file",
                        severity="warning", timeout=10, markup=False)
        else:
            self.notify(f"copied {what} as JSON (OSC 52)", markup=False)

    def action_export(self) -> None:
        """Y: the selected event's JSON in a new file under $KTUI_DATA_DIR/exports/."""
        event = self.table.selected
        if event is None:
            self.notify("no event selected", severity="warning")
            return
        from ktui.ui.clipboard import export_event

        try:
            path = export_event(event)
        except OSError as error:
            self.notify(f"could not write the event: {error}", severity="error", markup=False)
            return
        self.notify(f"wrote {path}", timeout=10, markup=False)

    def action_retry(self) -> None:
        """r: stop waiting for the next retry of a failing context; try now."""
        self.live.retry_now()
        self.notify("retrying now", timeout=2)

    def action_hide_expired(self) -> None:
        """x: hide (or show again) the events past their TTL."""
        self.apply_query(self.query_state.with_hide_expired(not self.query_state.hide_expired))

    # -- history ------------------------------------------------------------------------

    def action_toggle_history(self) -> None:
        if self.showing_history:
            self.leave_history()
        elif self.enter_history():
            self.history_search()

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

    def _in_history(self) -> bool:
        if self.feed is not self.history:
            self.notify("time ranges apply to history mode (h)", severity="warning")
            return False
        return True

    def _set_range(self, time_range: TimeRange) -> None:
        if self._in_history():
            self.history.set_range(time_range)
            self.pump()

    def action_time_step(self, direction: int) -> None:
        if self._in_history():
            self.history.step(direction)
            self.pump()

    def action_time_zoom(self, direction: int) -> None:
        if self._in_history():
            self.history.zoom(direction)
            self.pump()

    def action_zoom_bucket(self) -> None:
        event = self.table.selected
        time_range = self.history.bucket_range(event.time) if event is not None else None
        if time_range is not None:
            self._set_range(time_range)

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
        from ktui.ui.screens.pickers import Prompt

        self.app.push_screen(
            Prompt("Time range", value, f"{' · '.join(PRESETS)} · or FROM..TO (RFC 3339)",
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
