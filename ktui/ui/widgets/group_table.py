"""Group rows: the incident lens's table, one row per owner, object or reason.

A row is a summary line and, under it, the group's latest warning messages wrapped to
the width (:mod:`ktui.ui.widgets.group_rows` says what and how), so the cause reads
without opening anything: at 80 columns the event table's message column is 22
characters wide. Rows differ in height, so the table scrolls by row: ``scroll_y`` is the
first row shown, and only the rows on screen are laid out (their lines are cached per
group version and width), never all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click, Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from ktui.explorer.grouping import GroupId, group_id
from ktui.model.grouping import OWNER, Group
from ktui.ui.widgets.cursor_rows import CursorRows, clamp_row
from ktui.ui.widgets.group_rows import (
    Line,
    RowLayout,
    block,
    cell_text,
    layout,
    message_lines_for,
    strip_of,
    titles,
)


@dataclass(frozen=True, slots=True)
class _Styles:
    base: Style
    header: Style
    cursor: Style
    warning: Style
    muted: Style


class GroupTable(CursorRows, can_focus=True):
    """Groups, newest first by default; ``enter`` opens one (:class:`Opened`)."""

    COMPONENT_CLASSES = {"group-table--header", "group-table--cursor",
                         "group-table--warning", "group-table--muted"}

    DEFAULT_CSS = """
    GroupTable { background: $surface; width: 2fr; scrollbar-size-vertical: 1; }
    GroupTable.-hidden { display: none; }
    GroupTable > .group-table--header { text-style: bold; background: $panel; }
    GroupTable > .group-table--cursor { background: $accent 40%; }
    GroupTable:blur > .group-table--cursor { background: $accent 20%; }
    GroupTable > .group-table--warning { color: $warning; text-style: bold; }
    GroupTable > .group-table--muted { color: $text-muted; }
    """

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="groups.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="groups.up"),
        Binding("g,home", "first", "Top", show=False, id="groups.top"),
        Binding("G", "last", "Bottom", show=False, id="groups.bottom"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="groups.page_up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False,
                id="groups.page_down"),
        Binding("enter", "open", "Open group", id="groups.open"),
    ]

    class Opened(Message):
        def __init__(self, group: Group) -> None:
            super().__init__()
            self.group = group

    class CursorMoved(Message):
        def __init__(self, group: Group | None) -> None:
            super().__init__()
            self.group = group

    def __init__(self, *, clock: Callable[[], float] = time.time,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.clock = clock
        self.groups: list[Group] = []  # oldest first, as grouped
        self.by = OWNER
        self.newest_first = True
        self.absolute_time = False
        self.show_namespace = True
        self.show_context = False
        self.cursor = 0
        self.empty_message = Text("No events to group.")
        self._selected: GroupId | None = None
        self._layout: RowLayout | None = None
        self._blocks: dict[tuple[object, ...], list[Line]] = {}
        self._screen: list[tuple[int, int]] | None = None  # (row, line of the row)
        self._pass_styles: _Styles | None = None

    # -- data ----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.groups)

    def group_at(self, row: int) -> Group | None:
        if not 0 <= row < len(self.groups):
            return None
        return self.groups[len(self.groups) - 1 - row] if self.newest_first else self.groups[row]

    @property
    def selected(self) -> Group | None:
        return self.group_at(self.cursor)

    def row_of(self, wanted: GroupId) -> int | None:
        for row in range(len(self.groups)):
            group = self.group_at(row)
            if group is not None and group_id(group) == wanted:
                return row
        return None

    def set_groups(self, groups: list[Group], by: str) -> None:
        """New rows: the cursor stays on its group (on the newest row while it is there)."""
        at_newest = self.cursor == 0
        if by != self.by:
            self.by, self._layout = by, None
            at_newest = True
        self.groups = groups
        if len(self._blocks) > 4096:
            self._blocks.clear()
        row = None if at_newest or self._selected is None else self.row_of(self._selected)
        self.cursor = row if row is not None else 0
        self._changed()

    def _changed(self) -> None:
        self.cursor = clamp_row(self.cursor, self.row_count)
        self._screen = None
        self._update_virtual_size()
        self.keep_cursor_visible()
        self._remember_cursor()
        self.refresh()

    def _remember_cursor(self) -> None:
        group = self.selected
        selected = group_id(group) if group is not None else None
        if selected != self._selected:
            self._selected = selected
            self.post_message(self.CursorMoved(group))

    # -- layout --------------------------------------------------------------------------

    @property
    def _width(self) -> int:
        """The lines' width: the scrollbar's column is kept free whether it shows or not
        (a layout that changed when it appears would make it appear)."""
        return max(self.size.width - self.styles.scrollbar_size_vertical, 1)

    def _columns(self) -> RowLayout:
        if self._layout is None:
            self._layout = layout(self._width, self.by, show_context=self.show_context,
                                  show_namespace=self.show_namespace,
                                  absolute_time=self.absolute_time)
        return self._layout

    def _block(self, group: Group) -> list[Line]:
        """The lines under a row's summary, cached per group version and layout."""
        row_layout = self._columns()
        budget = message_lines_for(self._body_height)
        key = (group_id(group), group.size, id(group.latest), budget, row_layout, self.by)
        lines = self._blocks.get(key)
        if lines is None:
            lines = self._blocks[key] = block(group, row_layout, self.by, budget,
                                              self.app.console)
        return lines

    def _row_height(self, row: int) -> int:
        group = self.group_at(row)
        return 1 + len(self._block(group)) if group is not None else 1

    def _screen_lines(self) -> list[tuple[int, int]]:
        """(row, line of the row) for each body line, from the first row shown."""
        if self._screen is not None:
            return self._screen
        out: list[tuple[int, int]] = []
        body = self._body_height
        row = int(self.scroll_y)
        while len(out) < body and row < self.row_count:
            out += [(row, line) for line in range(self._row_height(row))]
            row += 1
        self._screen = out[:body]
        return self._screen

    def _last_top(self) -> int:
        """The first row shown when scrolled to the end: the last rows fill the body."""
        used, row = 0, self.row_count
        while row > 0 and used + self._row_height(row - 1) <= self._body_height:
            row -= 1
            used += self._row_height(row)
        return min(row, max(self.row_count - 1, 0))

    def _update_virtual_size(self) -> None:
        if not self.size.height:
            return
        # scroll_y counts rows, not lines: its range is 0 .. the last top row
        self.virtual_size = Size(self._width, self._last_top() + self.size.height)

    def _scroll_to_row(self, top: int) -> None:
        # at once: the lines on screen (_screen) are worked out from scroll_y
        self.scroll_to(y=top, animate=False, immediate=True)

    def keep_cursor_visible(self) -> None:
        super().keep_cursor_visible()
        self._screen = None

    def on_resize(self, event: Resize) -> None:
        self._layout = None
        self._screen = None
        self._update_virtual_size()
        self.keep_cursor_visible()

    def watch_scroll_y(self, old: float, new: float) -> None:
        self._screen = None
        super().watch_scroll_y(old, new)

    def set_columns(self, *, show_namespace: bool, show_context: bool,
                    absolute_time: bool) -> None:
        wanted = (show_namespace, show_context, absolute_time)
        if wanted != (self.show_namespace, self.show_context, self.absolute_time):
            self.show_namespace, self.show_context, self.absolute_time = wanted
            self._layout = None
            self._changed()

    # -- cursor --------------------------------------------------------------------------

    def _page_rows(self) -> int:
        """Rows differ in height: a page is the rows on screen."""
        return max(len({row for row, _ in self._screen_lines()}), 1)

    def action_open(self) -> None:
        group = self.selected
        if group is not None:
            self.post_message(self.Opened(group))

    def on_click(self, event: Click) -> None:
        lines = self._screen_lines()
        if 1 <= event.y <= len(lines):
            self.move_cursor(lines[event.y - 1][0])

    def flip_order(self) -> None:
        selected = self._selected
        self.newest_first = not self.newest_first
        row = self.row_of(selected) if selected is not None else None
        self.cursor = row if row is not None else 0
        self._changed()

    # -- rendering -----------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._pass_styles = None  # looked up once per repaint (see EventTable)
        return super().render_lines(crop)

    def _styles(self) -> _Styles:
        styles = self._pass_styles
        if styles is None:
            component = self.get_component_rich_style
            styles = self._pass_styles = _Styles(
                base=self.rich_style, header=component("group-table--header"),
                cursor=component("group-table--cursor"),
                # foregrounds only: the cursor's background stays under them
                warning=_foreground(component("group-table--warning")),
                muted=_foreground(component("group-table--muted")),
            )
        return styles

    def render_line(self, y: int) -> Strip:
        width = self._width
        styles = self._styles()
        row_layout = self._columns()
        if y == 0:
            header = [(title, w, right, styles.header)
                      for title, w, right in titles(row_layout, self.by, len(self.groups))]
            return strip_of(header, width)
        lines = self._screen_lines()
        if not self.groups:
            return self._empty_line(y - 1, width, styles.base)
        if y - 1 >= len(lines):
            return Strip.blank(width, styles.base)
        row, line = lines[y - 1]
        group = self.group_at(row)
        if group is None:
            return Strip.blank(width, styles.base)
        base = styles.base + styles.cursor if row == self.cursor else styles.base
        if line == 0:
            return self._summary(group, row_layout, width, base, styles)
        pieces = self._block(group)[line - 1]
        segments = [Segment(text, base + (styles.warning if kind == "warning" else styles.muted)
                            if kind else base) for text, kind in pieces]
        return Strip(segments).crop(0, width).adjust_cell_length(width, base)

    def _summary(self, group: Group, row_layout: RowLayout, width: int, base: Style,
                 styles: _Styles) -> Strip:
        now = self.clock()
        cells_out = []
        for column, column_width in row_layout.columns:
            style = base
            if column.key == "warnings" and group.warnings:
                style = base + styles.warning
            elif column.key == "group":
                style = base + _BOLD
            elif column.key in ("by", "first_seen"):
                style = base + styles.muted
            text = cell_text(group, column.key, self.by, now, self.absolute_time)
            cells_out.append((text, column_width, column.right, style))
        return strip_of(cells_out, width)

    def _empty_line(self, line: int, width: int, base: Style) -> Strip:
        console = self.app.console
        lines = self.empty_message.wrap(console, max(width - 1, 10))
        if not 0 <= line < len(lines):
            return Strip.blank(width, base)
        segments = [Segment(s.text, base + s.style if s.style else base)
                    for s in lines[line].render(console) if s.text != "\n"]
        return Strip(segments).adjust_cell_length(width, base)


_BOLD = Style(bold=True)


def _foreground(style: Style) -> Style:
    return Style(color=style.color, bold=style.bold, italic=style.italic)
