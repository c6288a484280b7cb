"""The cursor of a table whose rows are drawn under a one-line header: the event table's
and the group table's (one copy of the keys, the clamping and the scrolling).

:func:`top_row_for` is the scrolling, without Textual: the first row to show so that the
cursor's row is whole on screen, scrolling as little as possible, for rows of one line
(the event table) or of several (a group row and its messages). :class:`CursorRows` is
the widget's side: ``move_cursor`` and the ``j``/``k``/``g``/``G``/page actions. Each
table keeps its own bindings (their ids differ) and says through small hooks what
differs: how tall a row is, how far a page goes, what else moving the cursor does.
:func:`set_virtual_size` grows a scrolling widget without a layout (the namespace
sidebar's too).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """``view.virtual_size = size`` without a layout of the whole screen when only the
    number of rows changed and the vertical scrollbar stays as it is (shown and still
    needed, or neither): assigning the reactive lays the screen out again (tens of ms,
    every widget repainted), which a list or a storm would pay on every pump."""
    old = view.virtual_size
    if size == old:
        return
    height = view.container_size.height
    if size.width == old.width and (
        view.show_vertical_scrollbar == (size.height > height) == (old.height > height)
    ):
        view.set_reactive(Widget.virtual_size, size)
        view._scroll_update(size)  # the scrollbar's range, and a valid scroll_y
        return
    view.virtual_size = size


def clamp_row(row: int, rows: int) -> int:
    """``row`` within 0 .. ``rows`` - 1 (0 when there are none)."""
    return min(max(row, 0), max(rows - 1, 0))


def one_line(row: int) -> int:
    return 1


def top_row_for(cursor: int, top: int, body: int,
                height: Callable[[int], int] = one_line) -> int:
    """The first row to show so that row ``cursor`` is whole within ``body`` lines,
    scrolling from ``top`` as little as possible: up to the cursor when it is above,
    else down until it is the last row whole on screen. Only the rows between ``top``
    and the cursor are measured (at most a screenful plus one)."""
    if cursor < top:
        return cursor
    if height is one_line:  # rows of one line: no need to measure them
        return top if cursor - top < body else cursor - body + 1
    if cursor - top < body:
        used = 0
        for row in range(top, cursor + 1):
            used += height(row)
            if used > body:
                break
        else:
            return top  # whole on screen already
    top, used = cursor, height(cursor)  # the cursor's row last on screen
    while top > 0 and used + height(top - 1) <= body:
        top -= 1
        used += height(top)
    return top


class CursorRows(ScrollView):
    """A scrolling table of rows with a cursor (``cursor``: a row, 0 the first shown).
    ``scroll_y`` counts rows; the first line is the header."""

    cursor: int

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    @property
    def _body_height(self) -> int:
        """Lines for rows: the widget's height less the header's line."""
        return max(self.size.height - 1, 1)

    def _row_height(self, row: int) -> int:
        return 1

    def _page_rows(self) -> int:
        """How many rows page up and page down move."""
        return self._body_height

    def _cursor_placed(self) -> None:
        """The cursor was moved to ``cursor`` (before scrolling to it)."""

    def _remember_cursor(self) -> None:
        """After a move: note the selected row (and say so, if it changed)."""

    def _scroll_to_row(self, top: int) -> None:
        self.scroll_to(y=top, animate=False)

    def keep_cursor_visible(self) -> None:
        """Scroll as little as keeps the cursor's row whole on screen."""
        top = int(self.scroll_y)
        wanted = top_row_for(self.cursor, top, self._body_height, self._row_height)
        if wanted != top:
            self._scroll_to_row(wanted)

    def move_cursor(self, row: int) -> None:
        self.cursor = clamp_row(row, self.row_count)
        self._cursor_placed()
        self.keep_cursor_visible()
        self._remember_cursor()
        self.refresh()

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.row_count - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self._page_rows())

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self._page_rows())
