"""A virtual event table: renders only the rows on screen, straight from the store.

Textual's DataTable measures every cell on insert and reads strings as markup (14 s for
100k rows; ``[/]`` in a message kills it). This table keeps no rows of its own: the
store's ``visible`` list is the data, ``virtual_size`` is its length, and
``render_line`` formats the few rows the screen shows, with every string escaped.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from operator import attrgetter

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click, Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from ktui.explorer.feed import EventView
from ktui.explorer.timeline_store import TimelineStore
from ktui.model.event import Event
from ktui.model.safe_text import one_line
from ktui.records import record
from ktui.ui import cells
from ktui.ui.widgets.columns import COLUMNS, Column, context_style, layout_columns
from ktui.ui.widgets.cursor_rows import CursorRows, clamp_row, set_virtual_size

_time = attrgetter("time")


@record(slots=True)
class _Styles:
    base: Style
    header: Style
    expired: Style
    cursor: Style
    warning: Style
    live: Style


class EventTable(CursorRows, can_focus=True):
    """The live or historical event list, newest first by default."""

    COMPONENT_CLASSES = {
        "event-table--header",
        "event-table--cursor",
        "event-table--warning",
        "event-table--expired",
        "event-table--muted",
        "event-table--live",
    }

    DEFAULT_CSS = """
    EventTable { background: $surface; }
    EventTable > .event-table--header { text-style: bold; background: $panel; }
    EventTable > .event-table--cursor { background: $accent 40%; text-style: bold; }
    EventTable:blur > .event-table--cursor { background: $accent 20%; }
    EventTable > .event-table--warning { color: $warning; text-style: bold; }
    EventTable > .event-table--expired { color: $text-muted; text-style: strike; }
    EventTable > .event-table--muted { color: $text-muted; }
    EventTable > .event-table--live { color: $success; }
    """

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g,home", "first", "Top", show=False, id="table.top"),
        Binding("G", "last", "Bottom", show=False, id="table.bottom"),
        Binding("end", "resume", "Newest", show=False, id="table.newest"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("enter", "open", "Detail", id="table.open"),
    ]

    class CursorMoved(Message):
        """The selected event changed (None when the table is empty)."""

        def __init__(self, event: Event | None) -> None:
            super().__init__()
            self.event = event

    class Opened(Message):
        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    class FollowChanged(Message):
        def __init__(self, follow: bool, pending: int) -> None:
            super().__init__()
            self.follow = follow
            self.pending = pending

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.store: EventView | None = None
        self.newest_first = True
        self.absolute_time = False
        self.show_namespace = True
        self.show_context = False
        self.contexts: tuple[str, ...] = ()  # the contexts shown, in order (CTX colours)
        self.hidden_columns: frozenset[str] = frozenset()
        self.cursor = 0
        self.follow = True
        # While pinned (the detail is open), moving the cursor never resumes follow: the
        # event being read stays selected however many arrive; End or f follow again.
        self.pinned = False
        self.empty_message: Text = Text("No events yet.")
        self._cursor_uid: str | None = None
        self._pause_time: float | None = None
        self._last_selected: tuple[str, str] | None = None
        self._layout: list[tuple[Column, int]] = []
        self._layout_time_width = 0  # the LAST SEEN width the layout was made for
        self._pass_styles: _Styles | None = None

    # -- data ----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.store.visible) if self.store is not None else 0

    def event_at(self, row: int) -> Event | None:
        if self.store is None or not 0 <= row < self.row_count:
            return None
        visible = self.store.visible
        return visible[len(visible) - 1 - row] if self.newest_first else visible[row]

    def row_of(self, event: Event) -> int | None:
        if self.store is None:
            return None
        index = self.store.index_of_visible(event)
        if index is None:
            return None
        return self.row_count - 1 - index if self.newest_first else index

    @property
    def selected(self) -> Event | None:
        return self.event_at(self.cursor)

    @property
    def pending(self) -> int:
        """Events newer than the newest one shown when follow paused."""
        if self.follow or self._pause_time is None or self.store is None:
            return 0
        visible = self.store.visible
        return len(visible) - bisect_right(visible, self._pause_time, key=_time)

    def set_store(self, store: EventView | None) -> None:
        self.store = store
        self._cursor_uid = None
        self.cursor = 0
        self.follow = True
        self.pinned = False
        self._pause_time = None
        self.data_changed()

    def data_changed(self) -> None:
        """The store changed: keep the cursor on its event and the view steady."""
        rows = self.row_count
        body = self._body_height
        at_top = int(self.scroll_y) == 0
        offset = self.cursor - int(self.scroll_y)
        if self.follow:
            self.cursor = 0 if self.newest_first else max(rows - 1, 0)
        elif self._cursor_uid is not None and self.store is not None:
            current = self.store.get(self._cursor_uid)
            row = self.row_of(current) if current is not None else None
            if row is not None:
                self.cursor = row
        self.cursor = clamp_row(self.cursor, rows)
        set_virtual_size(self, Size(self._total_width, rows + 1))
        if self.follow:
            self.scroll_to(y=0 if self.newest_first else max(rows - body, 0), animate=False)
        elif at_top and self.newest_first and self.cursor < body:
            # Paused at the top, as a pager reading a log's tail: the newest rows keep
            # coming in above the selected event, which moves down while it stays in view.
            self.scroll_to(y=0, animate=False)
        else:
            self.scroll_to(y=max(self.cursor - offset, 0), animate=False)
        self._remember_cursor()
        self.refresh()

    def _remember_cursor(self) -> None:
        event = self.selected
        self._cursor_uid = event.uid if event is not None else None
        key = (event.uid, event.resource_version) if event is not None else None
        if key != self._last_selected:
            self._last_selected = key
            self.post_message(self.CursorMoved(event))

    # -- cursor and follow ---------------------------------------------------------------

    def _at_newest_end(self, row: int) -> bool:
        return row == (0 if self.newest_first else max(self.row_count - 1, 0))

    def _cursor_placed(self) -> None:
        # moving to the newest row follows again, unless the detail pinned the event
        self.set_follow(self._at_newest_end(self.cursor) and not self.pinned)

    def set_follow(self, follow: bool) -> None:
        if follow == self.follow:
            return
        self.follow = follow
        if follow:
            self._pause_time = None
        elif self.store is not None and self.store.visible:
            self._pause_time = self.store.visible[-1].time
        self.post_message(self.FollowChanged(follow, self.pending))

    def pin(self) -> None:
        """Keep the selected event selected however many arrive (until End or f)."""
        self.pinned = True
        self.set_follow(False)

    def action_resume(self) -> None:
        """Jump to the newest event and follow again."""
        self.pinned = False
        self.move_cursor(0 if self.newest_first else self.row_count - 1)
        self.set_follow(True)
        self.data_changed()

    def action_open(self) -> None:
        event = self.selected
        if event is not None:
            self.post_message(self.Opened(event))

    def on_click(self, event: Click) -> None:
        if event.y >= 1:
            self.move_cursor(int(self.scroll_y) + event.y - 1)

    def on_mouse_scroll_down(self, event: object) -> None:
        self.set_follow(False)

    def on_mouse_scroll_up(self, event: object) -> None:
        self.set_follow(False)

    def flip_order(self) -> None:
        selected = self.selected
        self.newest_first = not self.newest_first
        if selected is not None:
            row = self.row_of(selected)
            self.cursor = row if row is not None else 0
        self.follow = self._at_newest_end(self.cursor)
        self.data_changed()

    # -- layout and rendering ------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._layout = []
        self.virtual_size = Size(self._total_width, self.row_count + 1)

    @property
    def _total_width(self) -> int:
        return max(self.size.width, 1)

    def _time_width(self) -> int:
        """LAST SEEN's width: 9 for ages (shrinks to 5), else what absolute times need."""
        if not self.absolute_time:
            return 0
        visible = self.store.visible if self.store is not None else []
        if not visible:
            return cells.TODAY_WIDTH
        return cells.absolute_width(visible[0].time, visible[-1].time, self.clock())

    def _columns(self) -> list[tuple[Column, int]]:
        time_width = self._time_width()
        if self._layout and time_width == self._layout_time_width:
            return self._layout
        self._layout_time_width = time_width
        shown = [
            c for c in COLUMNS
            if c.key not in self.hidden_columns
            and (c.key != "namespace" or self.show_namespace)
            and (c.key != "context" or self.show_context)
        ]
        self._layout = layout_columns(shown, self.size.width, time_width)
        return self._layout

    def set_columns(self, *, show_namespace: bool, hidden: frozenset[str],
                    show_context: bool | None = None) -> None:
        """Which columns show (``show_context`` None: as it is)."""
        if show_context is None:
            show_context = self.show_context
        wanted = (show_namespace, hidden, show_context)
        if wanted != (self.show_namespace, self.hidden_columns, self.show_context):
            self.show_namespace, self.hidden_columns, self.show_context = wanted
            self._layout = []
            self.refresh()

    def _cell_text(self, event: Event, key: str, now: float) -> str:
        if key == "context":
            return one_line(event.context, 128)
        if key == "last_seen":
            return cells.last_seen(event, now, self.absolute_time)
        if key == "type":
            return one_line(event.type, 64) or "-"
        if key == "namespace":
            return one_line(event.namespace, 256)
        if key == "reason":
            return one_line(event.reason, 256)
        if key == "object":
            return one_line(event.object.display, 512)
        if key == "count":
            return cells.count(event)
        return one_line(event.message, 2048)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles are looked up once per repaint, not per line: a widget's rich_style
        # walks every ancestor's CSS (about a tenth of a millisecond each time).
        self._pass_styles = None
        return super().render_lines(crop)

    def _styles(self) -> _Styles:
        styles = self._pass_styles
        if styles is None:
            component = self.get_component_rich_style
            styles = self._pass_styles = _Styles(
                base=self.rich_style,
                header=component("event-table--header"),
                expired=component("event-table--expired"),
                cursor=component("event-table--cursor"),
                warning=component("event-table--warning"),
                live=component("event-table--live"),
            )
        return styles

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        columns = self._columns()
        styles = self._styles()
        if y == 0:
            style = styles.header
            titles = [(c.title if len(c.title) <= w else c.title.split()[-1], w, c.right, style)
                      for c, w in columns]
            return self._strip(titles, width)
        row = int(self.scroll_y) + y - 1
        event = self.event_at(row)
        base = styles.base
        if event is None:
            if self.row_count == 0:
                return self._empty_line(y - 1, width, base)
            return Strip.blank(width, base)
        now = self.clock()
        style = base
        if event.expired:
            style = base + styles.expired
        if row == self.cursor:
            style = style + styles.cursor
        warning = styles.warning if event.is_warning else None
        # In a history window that reaches now, the live events are marked: a dot before
        # their age (history-only events are expired rows).
        store = self.store
        live = isinstance(store, TimelineStore) and store.is_live(event)
        cells_out = []
        for column, column_width in columns:
            cell_style = style
            text = self._cell_text(event, column.key, now)
            if warning is not None and column.key in ("type", "reason"):
                cell_style = style + warning
            elif column.key == "context":
                cell_style = style + context_style(event.context, self.contexts)
            elif live and column.key == "last_seen":
                text = f"•{text}"
                cell_style = style + styles.live
            cells_out.append((text, column_width, column.right, cell_style))
        return self._strip(cells_out, width)

    def _empty_line(self, line: int, width: int, base: Style) -> Strip:
        """The empty table shows why (no match, connecting, an error), wrapped."""
        console = self.app.console
        lines = self.empty_message.wrap(console, max(width - 1, 10))
        if not 0 <= line < len(lines):
            return Strip.blank(width, base)
        # Every segment gets a style: Textual's NO_COLOR filter fails on a bare segment.
        segments = [
            Segment(s.text, base + s.style if s.style else base)
            for s in lines[line].render(console) if s.text != "\n"
        ]
        return Strip(segments).adjust_cell_length(width, base)

    def _strip(self, cells_in: list[tuple[str, int, bool, Style]], width: int) -> Strip:
        segments: list[Segment] = []
        last = len(cells_in) - 1
        for index, (text, column_width, right, style) in enumerate(cells_in):
            if right and cell_len(text) < column_width:
                text = " " * (column_width - cell_len(text)) + text
            segments.append(Segment(set_cell_size(text, column_width), style))
            if index != last:
                segments.append(Segment(" ", style))
        strip = Strip(segments)
        return strip.crop(0, width).adjust_cell_length(width, cells_in[-1][3] if cells_in else None)
