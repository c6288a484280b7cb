"""Long text shown wrapped, computing only the rows on screen: the detail pane's JSON.

A Static wraps its whole text on every layout: 2.2 s for an event with a 1 MB message,
the UI frozen meanwhile. This widget keeps the logical lines, finds each line's row breaks
at the current width (one ``rfind`` per row for ASCII text, not work per character) and
styles only the rows the compositor asks for (Textual's line API), so opening a huge
event costs about what a small one does. Long lines wrap at spaces, else fold; rows after
the first keep the line's indentation, so a wrapped JSON string stays under its key.

The text is data: it is never parsed as markup, and the caller escapes control
characters (``ktui.model.safe_text.json_safe``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

# One JSON token: a string (a key when a colon follows), a number, or a literal.
_TOKEN = re.compile(
    r'("(?:[^"\\]+|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b'
)
_KEY, _STRING, _NUMBER, _CONSTANT = "key", "string", "number", "constant"
_SPAN_CACHE = 256  # lines whose styled spans are kept


class _Line:
    """One logical line and, when it is not ASCII, the cells before each character."""

    __slots__ = ("cells", "indent", "text", "width")

    def __init__(self, text: str) -> None:
        self.text = text
        self.indent = len(text) - len(text.lstrip(" "))
        self.cells: list[int] | None = None
        if text.isascii():
            self.width = len(text)
        else:
            # Per character, not per grapheme: a C-speed pass (rich's grapheme split is
            # Python per character, a second for 1 MB). Rows still never exceed the
            # width: each is cropped to it when drawn.
            self.cells = list(accumulate(map(get_character_cell_size, text), initial=0))
            self.width = self.cells[-1]

    def fit(self, start: int, room: int) -> int:
        """The string index up to which ``text[start:]`` fits ``room`` cells (at least
        one character further, so a character wider than the room still moves on), not
        splitting a character from the zero-width marks that follow it."""
        cells, end = self.cells, len(self.text)
        if cells is None:
            return min(start + max(room, 1), end)
        limit = bisect_right(cells, cells[start] + room, start) - 1
        while start + 1 < limit < end and cells[limit + 1] == cells[limit]:
            limit -= 1
        return min(max(limit, start + 1), end)

    def breaks(self, width: int) -> list[tuple[int, int]]:
        """(start, end) of each row at ``width`` cells."""
        text = self.text
        if self.width <= width:
            return [(0, len(text))]
        hang = min(self.indent, width // 2)
        rows = []
        start, room = 0, width
        while True:
            limit = self.fit(start, room)
            if limit >= len(text):
                rows.append((start, len(text)))
                return rows
            # The last space that keeps the row within the room (none inside the
            # indentation, which would leave an empty row): break there, else fold.
            floor = start + 1 if start else self.indent + 1
            cut = text.rfind(" ", floor, limit + 1)
            if cut > start:
                rows.append((start, cut))
                start = cut + 1
            else:
                rows.append((start, limit))
                start = limit
            room = width - hang
            if start >= len(text):
                return rows


def json_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the JSON tokens in one line of indented JSON."""
    spans = []
    for match in _TOKEN.finditer(text):
        if match.group(1) is not None:
            kind = _KEY if match.group(2) is not None else _STRING
            spans.append((match.start(1), match.end(1), kind))
        elif match.group(3) is not None:
            spans.append((match.start(3), match.end(3), _NUMBER))
        else:
            spans.append((match.start(4), match.end(4), _CONSTANT))
    return spans


class WrappedLines(Widget):
    """Text (JSON when ``json``) wrapped to the widget's width, as tall as it needs."""

    COMPONENT_CLASSES = {"wrapped--key", "wrapped--string", "wrapped--number",
                         "wrapped--constant"}
    # The colours of textual.highlight's theme for JSON, so nothing changes in the look.
    DEFAULT_CSS = """
    WrappedLines { height: auto; }
    WrappedLines > .wrapped--key { color: $text-primary; text-style: bold; }
    WrappedLines > .wrapped--string { color: $text-success 90%; }
    WrappedLines > .wrapped--number { color: $text-warning; }
    WrappedLines > .wrapped--constant { color: $text-success 80%; text-style: bold; }
    """

    def __init__(self, *, json: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.json = json
        self._lines: list[_Line] = []
        # (line, start, end) of every row, per width: a layout asks for a few widths (with
        # and without the scrollbar) one after the other, each a pass over the text.
        self._rows: dict[int, list[tuple[int, int, int]]] = {}
        self._spans: dict[int, list[tuple[int, int, str]]] = {}
        self._styles: dict[str, Style] | None = None

    def update(self, text: str) -> None:
        self._lines = [_Line(line) for line in text.split("\n")] if text else []
        self._rows = {}
        self._spans = {}
        self.refresh(layout=True)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self._lines)

    def rows(self, width: int) -> list[tuple[int, int, int]]:
        """Every row at ``width``: (line index, start, end)."""
        width = max(width, 1)
        rows = self._rows.get(width)
        if rows is None:
            if len(self._rows) >= 4:
                self._rows.clear()
            rows = self._rows[width] = [
                (index, start, end)
                for index, line in enumerate(self._lines)
                for start, end in line.breaks(width)
            ]
        return rows

    def row_text(self, y: int) -> str:
        """Row ``y`` as shown (continuation rows indented), for tests and search."""
        index, start, end = self.rows(self.size.width)[y]
        line = self._lines[index]
        hang = min(line.indent, max(self.size.width, 1) // 2) if start else 0
        return " " * hang + line.text[start:end]

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.rows(width))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def _kind_styles(self, base: Style) -> dict[str, Style]:
        if self._styles is None:
            component = self.get_component_rich_style
            self._styles = {kind: component(f"wrapped--{kind}")
                            for kind in (_KEY, _STRING, _NUMBER, _CONSTANT)}
        return {kind: base + style for kind, style in self._styles.items()}

    def _line_spans(self, index: int) -> list[tuple[int, int, str]]:
        spans = self._spans.get(index)
        if spans is None:
            if len(self._spans) >= _SPAN_CACHE:
                self._spans.clear()
            spans = self._spans[index] = json_spans(self._lines[index].text) if self.json else []
        return spans

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        rows = self.rows(width)
        if not 0 <= y < len(rows):
            return Strip.blank(width, base)
        index, start, end = rows[y]
        line = self._lines[index]
        text = line.text
        segments = []
        if start:
            segments.append(Segment(" " * min(line.indent, max(width, 1) // 2), base))
        styles = self._kind_styles(base)
        at = start
        for span_start, span_end, kind in self._line_spans(index):
            if span_end <= start:
                continue
            if span_start >= end:
                break
            if span_start > at:
                segments.append(Segment(text[at:span_start], base))
            segments.append(Segment(text[max(span_start, at):min(span_end, end)], styles[kind]))
            at = min(span_end, end)
        if at < end:
            segments.append(Segment(text[at:end], base))
        return Strip(segments).adjust_cell_length(width, base)

