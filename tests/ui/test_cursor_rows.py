"""The cursor shared by the event table and the group table (ktui.ui.widgets.cursor_rows):
where the view scrolls to keep the cursor's row whole, for rows of one line and of
several, and the keys that move it, on a table of its own (no store, no groups)."""

from __future__ import annotations

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.strip import Strip

from ktui.ui.widgets.cursor_rows import CursorRows, clamp_row, top_row_for


def test_clamp_row() -> None:
    assert [clamp_row(row, 5) for row in (-3, 0, 4, 5, 99)] == [0, 0, 4, 4, 4]
    assert clamp_row(3, 0) == 0  # no rows: the cursor stays on the first


def test_rows_of_one_line_scroll_as_little_as_keeps_the_cursor_shown() -> None:
    body = 10
    assert top_row_for(5, 0, body) == 0  # on screen: no scroll
    assert top_row_for(9, 0, body) == 0  # the last line of the body
    assert top_row_for(10, 0, body) == 1  # one below: one row down, the cursor last
    assert top_row_for(57, 3, body) == 48  # far below: the cursor is the last row shown
    assert top_row_for(2, 20, body) == 2  # above: the cursor is the first row shown
    # the same answers as measuring each row (the group table's way)
    for cursor in range(0, 60):
        for top in (0, 3, 20, 55):
            assert top_row_for(cursor, top, body) == top_row_for(
                cursor, top, body, lambda row: 1 + 0 * row)


def test_rows_of_several_lines_stay_whole() -> None:
    heights = [3, 1, 4, 2, 5, 1, 3]  # a group row: its summary line and its messages
    height = heights.__getitem__
    body = 8
    assert top_row_for(2, 0, body, height) == 0  # 3 + 1 + 4 lines: whole
    # row 3 would end on the 10th line: scroll until it is the last row whole on screen
    assert top_row_for(3, 0, body, height) == 1  # rows 1-3: 1 + 4 + 2 lines (row 0: 10)
    assert top_row_for(4, 0, body, height) == 3  # rows 3, 4: 2 + 5 (row 2 would not fit)
    assert top_row_for(6, 0, body, height) == 5  # rows 4-6 are 9 lines: 5 and 6
    assert top_row_for(6, 0, 9, height) == 4  # 9 lines: rows 4-6 fit
    assert top_row_for(1, 4, body, height) == 1  # above: the cursor's row first
    # a row taller than the body: it starts the screen
    assert top_row_for(4, 0, 4, height) == 4


class Lines(CursorRows, can_focus=True):
    """A table of ``rows`` one-line rows under a header."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down"), Binding("k", "cursor_up", "Up"),
        Binding("g", "first", "Top"), Binding("G", "last", "Bottom"),
        Binding("pagedown", "page_down", "Page down"), Binding("pageup", "page_up", "Page up"),
    ]

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows
        self.cursor = 0
        self.moves: list[int] = []

    @property
    def row_count(self) -> int:
        return self.rows

    def _remember_cursor(self) -> None:
        self.moves.append(self.cursor)

    def on_mount(self) -> None:
        self.virtual_size = Size(20, self.rows + 1)

    def render_line(self, y: int) -> Strip:
        return Strip([Segment(str(y))])


class LinesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Lines(100)


async def test_keys_move_the_cursor_and_the_view_follows() -> None:
    app = LinesApp()
    async with app.run_test(size=(20, 11)) as pilot:  # a header and 10 rows
        table = app.query_one(Lines)
        table.focus()
        await pilot.press("j", "j")
        assert table.cursor == 2 and table.scroll_y == 0
        await pilot.press("pagedown")  # a page is the body's height: 10 rows
        assert table.cursor == 12 and table.scroll_y == 3  # row 12 is the last shown
        await pilot.press("G")
        assert table.cursor == 99 and table.scroll_y == 90
        await pilot.press("j")  # past the last row: stays
        assert table.cursor == 99
        await pilot.press("pageup", "k")
        assert table.cursor == 88 and table.scroll_y == 88  # the first row shown
        await pilot.press("g")
        assert table.cursor == 0 and table.scroll_y == 0
        assert table.moves == [1, 2, 12, 99, 99, 89, 88, 0]
