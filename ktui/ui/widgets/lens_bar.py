"""The one line over an opened group's events: which group, and that esc goes back.

Apart from the group rows (ktui.ui.widgets.group_rows) because it is composed with the
explorer: its module must stay as light as the first paint needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from ktui.model.safe_text import one_line

if TYPE_CHECKING:
    from ktui.model.grouping import Group


class LensBar(Widget):
    """One line over an opened group's events: which group, and that esc goes back."""

    DEFAULT_CSS = """
    LensBar { height: 1; background: $boost; display: none; }
    LensBar.-active { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""

    def show(self, group: Group | None) -> None:
        text = ""
        if group is not None:
            where = f" in {group.namespace}" if group.namespace else ""
            text = f"{one_line(group.display, 300)}{one_line(where, 300)}"
        self.set_class(bool(text), "-active")
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(" group ", style="bold reverse")
        line.append(" esc back to the groups ", style="dim")
        line.append(self.text)  # data: plain text, never markup
        return line
