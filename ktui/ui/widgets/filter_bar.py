"""The filter in force, in one line under the header: shown only while something is
filtered, so a forgotten ``w`` or namespace never hides events without a word."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ktui.model.query import Query
from ktui.model.safe_text import one_line


class FilterBar(Widget):
    DEFAULT_CSS = """
    FilterBar { height: 1; background: $boost; display: none; text-wrap: nowrap;
                text-overflow: ellipsis; }
    FilterBar.-active { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""

    def show(self, query: Query) -> None:
        """Show ``query`` (hidden when it filters nothing)."""
        text = "" if query.is_empty else one_line(query.describe(), 2000)
        if text != self.text:
            self.text = text
            self.set_class(bool(text), "-active")
            self.refresh()

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(" filter ", style="bold reverse")
        line.append(" esc clears ", style="dim")
        line.append(self.text)  # user text: appended as plain text, never markup
        return line
