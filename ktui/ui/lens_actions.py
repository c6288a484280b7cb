"""The incident lens in the explorer screen: grouping (``o``, ``:group``), a group's
events (``enter``, ``esc``), a group's summary (``y``), the report (``e``), and what the
sparkline marks (the rollouts, the selected group).

:class:`LensActions` sees the screen through the narrow :class:`LensHost` protocol and
keeps its state in :class:`ktui.explorer.grouping.Lens` (no Textual there). The screen
calls :meth:`LensActions.pump` from its own pump, so the rows follow the events, and
shows :meth:`LensActions.table_store` in the event table (an opened group's events, else
the feed's). Nothing here raises into the UI: a report that cannot be written is one
error notification; names and messages are escaped and sent with ``markup=False``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from textual.notifications import SeverityLevel

from ktui.explorer.feed import Feed, Mode
from ktui.explorer.grouping import GroupView, Lens
from ktui.explorer.owner_reading import OwnerFetcher
from ktui.explorer.rollout_ticks import RolloutTicks
from ktui.model.grouping import OWNER, Group
from ktui.model.report import Heading, group_summary
from ktui.model.safe_text import one_line

if TYPE_CHECKING:
    from textual.app import App

    from ktui.explorer.history_feed import HistoryFeed
    from ktui.explorer.live_feed import LiveFeed
    from ktui.model.event import Event
    from ktui.model.histogram import Histogram
    from ktui.model.query import Query
    from ktui.model.store import EventStore
    from ktui.ui.widgets.detail import DetailPane
    from ktui.ui.widgets.event_table import EventTable
    from ktui.ui.widgets.group_table import GroupTable
    from ktui.ui.widgets.lens_bar import LensBar

class LensHost(Protocol):
    """What the lens needs of the explorer screen."""

    table: EventTable
    lens_bar: LensBar
    detail: DetailPane
    live: LiveFeed
    feed: Feed
    query_state: Query
    clock: Any

    @property
    def groups(self) -> GroupTable: ...
    @property
    def history(self) -> HistoryFeed: ...
    @property
    def app(self) -> App[Any]: ...
    @property
    def context(self) -> str | None: ...

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...
    def pump(self) -> None: ...
    def refresh_sparkline(self, force: bool = False) -> None: ...


class LensActions:
    def __init__(self, host: LensHost) -> None:
        self.host = host
        self.lens = Lens(OwnerFetcher(self._source_of))
        self.rollouts = RolloutTicks()
        self._scope: tuple[Mode, tuple[str, ...]] | None = None  # of the opened group

    def _source_of(self, context: str) -> object | None:
        active = self.host.live.sessions.active_set
        session = active.sessions.get(context) if active is not None else None
        return session.source if session is not None else None

    def _contexts(self) -> tuple[str, ...]:
        # history needs none: its resolvers learn from the events, no reader asks
        return self.host.live.contexts if self.host.feed.mode is Mode.LIVE else ()

    @property
    def showing_groups(self) -> bool:
        return self.lens.showing_groups

    # -- grouping ------------------------------------------------------------------------

    def cycle(self) -> None:
        """``o``: none → owner → reason → none."""
        self.lens.cycle()
        self._applied()

    def set_grouping(self, by: str | None) -> None:
        self.lens.set(by)
        self._applied()

    def _applied(self) -> None:
        host = self.host
        self._scope = None
        if self.lens.active:
            host.detail.add_class("-hidden")
            host.table.pinned = False
        host.table.set_store(host.feed.store)
        self.lens.invalidate()
        self._show()
        host.pump()
        host.refresh_sparkline(force=True)

    def _show(self) -> None:
        """Group rows, or the event table (with the opened group's bar over it)."""
        host, lens = self.host, self.lens
        showing = lens.showing_groups
        host.groups.set_class(not showing, "-hidden")
        host.table.set_class(showing, "-hidden")
        host.lens_bar.show(lens.view.group if lens.opened is not None else None)
        focused = host.app.focused
        if showing and focused is host.table:
            host.groups.focus()
        elif not showing and focused is host.groups:
            host.table.focus()

    def pump(self, changed: bool) -> bool:
        """Regroup when the events changed (throttled by its cost); True when what the
        event table shows changed."""
        lens, host = self.lens, self.host
        if not lens.active:
            return changed
        feed = host.feed
        contexts = self._contexts()
        if lens.opened is not None and self._scope != (feed.mode, contexts):
            self.back()  # another context or mode: the opened group is not there
        table = host.table
        host.groups.set_columns(show_namespace=table.show_namespace,
                                show_context=table.show_context,
                                absolute_time=table.absolute_time)
        if not lens.update(feed.store, feed.mode, contexts):
            return changed
        host.groups.empty_message = table.empty_message
        host.groups.set_groups(lens.groups, lens.by or OWNER)
        if lens.opened is not None:
            host.lens_bar.show(lens.view.group)
            return True
        return changed

    def table_store(self, store: EventStore | None) -> EventStore | GroupView | None:
        """What the event table shows: the opened group's events, else ``store``."""
        return self.lens.view if self.lens.opened is not None else store

    def open(self, group: Group) -> None:
        """``enter`` on a group row: its events in the event table, filtered, live."""
        host = self.host
        self._scope = (host.feed.mode, self._contexts())
        host.table.set_store(self.lens.open(group))
        self._show()
        host.table.focus()
        host.refresh_sparkline(force=True)

    def back(self) -> bool:
        """``esc`` in an opened group: back to the rows (False when none is open)."""
        if self.lens.opened is None:
            return False
        host = self.host
        self.lens.close()
        self._scope = None
        host.detail.add_class("-hidden")
        host.table.set_store(host.feed.store)
        self._show()
        host.groups.focus()
        host.refresh_sparkline(force=True)
        return True

    # -- y and e -------------------------------------------------------------------------

    def copy(self) -> bool:
        """``y`` on a group row: its one-paragraph summary (False: not on group rows)."""
        if not self.lens.showing_groups:
            return False
        group = self.host.groups.selected
        host = self.host
        if group is None:
            host.notify("no group selected", severity="warning")
            return True
        from ktui.ui.clipboard import copy_text

        advice = copy_text(host.app, group_summary(group))
        what = f"the summary of {one_line(group.display, 80)}"
        if advice:  # inside tmux that drops OSC 52: say what to set, not "copied"
            host.notify(f"could not copy {what}: {advice}", severity="warning", timeout=10,
                        markup=False)
        else:
            host.notify(f"copied {what} (OSC 52)", markup=False)
        return True

    def report(self) -> None:
        """``e``: the view as Markdown in a file, written in a thread (200,000 rows
        take a while); the path is said when it is written."""
        host, lens = self.host, self.lens
        feed = host.feed
        store = self.table_store(feed.store)
        events = list(store.visible) if store is not None else []
        groups = list(lens.groups) if lens.showing_groups else None
        context = host.context or "events"
        what = host.query_state.describe() if not host.query_state.is_empty else ""
        if lens.opened is not None and lens.view.group is not None:
            what = " ".join(p for p in (what, f"group:{lens.view.group.display}") if p)
        start = end = None
        if feed.mode is Mode.HISTORY:
            start, end = host.history.time_range.bounds()
        moment = float(host.clock())
        heading = Heading(context, what, start, end, written=moment)
        by = lens.by if groups is not None else None

        def write() -> None:
            from ktui.explorer.reports import view_markdown, write_report

            try:
                path = write_report(view_markdown(heading, events, groups, by), context,
                                    moment)
            except OSError as error:
                host.app.call_from_thread(
                    host.notify, f"report not written: {one_line(str(error), 300)}",
                    severity="error", timeout=8, markup=False)
                return
            host.app.call_from_thread(host.notify, f"report written to {path}", timeout=8,
                                      markup=False)

        host.app.run_worker(write, thread=True, name="ktui-report", group="report")

    # -- the sparkline -------------------------------------------------------------------

    def selected_time(self, event: Event | None) -> float | None:
        """The moment the sparkline marks: the selected group's last event on group
        rows, else the selected event's."""
        if self.lens.showing_groups:
            group = self.host.groups.selected
            return group.last_seen if group is not None else None
        return event.time if event is not None else None

    def ticks(self, histogram: Histogram | None) -> tuple[list[float], list[float]]:
        """The rollouts in the sparkline's window, and the selected group's (by owner)."""
        if histogram is None:
            return [], []
        host = self.host
        start = histogram.start
        end = start + histogram.interval * len(histogram.normal)
        deployment = None
        group = (host.groups.selected if self.lens.showing_groups
                 else self.lens.view.group if self.lens.opened is not None else None)
        if self.lens.by == OWNER and group is not None and group.kind == "Deployment":
            deployment = group.key
        return self.rollouts.times(host.feed.store, start, end,
                                   host.query_state.namespaces, deployment)

    def stop(self) -> None:
        fetcher = self.lens.fetcher
        if fetcher is not None:
            fetcher.stop()

