"""The namespace sidebar: "All namespaces" and each namespace with warning/total counts;
with several contexts in the table, the namespaces grouped under their context.

Space toggles a namespace in or out of the selection (several at once), Enter shows only
the one under the cursor, ``0`` goes back to all. Names come from the cluster, so they are
escaped like every other cluster string.
"""

from __future__ import annotations

from rich.cells import set_cell_size
from rich.segment import Segment
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ktui.model.safe_text import one_line
from ktui.model.store import NamespaceCount
from ktui.ui.widgets.cursor_rows import set_virtual_size

ALL = ""


class NamespaceSidebar(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "sidebar--cursor",
        "sidebar--selected",
        "sidebar--warning",
        "sidebar--title",
        "sidebar--muted",
    }
    DEFAULT_CSS = """
    NamespaceSidebar { width: 28; background: $panel; }
    NamespaceSidebar > .sidebar--title { text-style: bold; color: $text-muted; }
    NamespaceSidebar > .sidebar--cursor { background: $accent 40%; }
    NamespaceSidebar:blur > .sidebar--cursor { background: $accent 15%; }
    NamespaceSidebar > .sidebar--selected { text-style: bold; color: $text; }
    NamespaceSidebar > .sidebar--warning { color: $warning; }
    NamespaceSidebar > .sidebar--muted { color: $text-muted; }
    """
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="sidebar.down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="sidebar.up"),
        Binding("space", "toggle_namespace", "Toggle ns", id="sidebar.toggle"),
        Binding("enter", "only", "Only this ns", id="sidebar.only"),
    ]

    class Changed(Message):
        """The namespace selection changed (an empty set means all)."""

        def __init__(self, selected: frozenset[str]) -> None:
            super().__init__()
            self.selected = selected

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[str, NamespaceCount] = {}
        self.by_context: dict[str, dict[str, NamespaceCount]] = {}
        self.total = (0, 0)
        # One entry per line under "All namespaces": (context, namespace); a context's
        # heading is (context, None) and only shows with several contexts.
        self.rows: list[tuple[str, str | None]] = []
        self.names: list[str] = []
        self.selected: frozenset[str] = frozenset()
        self.cursor = 0
        self._shown: tuple[int, int, int, int, int | None] | None = None  # update_counts's

    def update_counts(self, counts: dict[str, NamespaceCount], total: int, warnings: int,
                      by_context: dict[str, dict[str, NamespaceCount]] | None = None,
                      version: int | None = None) -> None:
        """The counts to show; ``by_context`` (several contexts) groups them. ``version``:
        of the data they were counted on (the dicts may change in place); given the same
        dicts, totals and version again, nothing is repainted (~10 ms on a filter change)."""
        shown = (id(counts), id(by_context), total, warnings, version)
        if version is not None and shown == self._shown:
            return
        self._shown = shown
        current = self.rows[self.cursor - 1] if 0 < self.cursor <= len(self.rows) else None
        self.counts = counts
        self.by_context = by_context if by_context and len(by_context) > 1 else {}
        self.total = (total, warnings)
        self._layout_rows()
        if current is not None and current in self.rows:
            self.cursor = self.rows.index(current) + 1
        self.cursor = min(self.cursor, len(self.rows))
        self.refresh()

    def _layout_rows(self) -> None:
        self.names = sorted(set(self.counts) | set(self.selected))
        if self.by_context:
            self.rows = []
            for context in sorted(self.by_context):
                self.rows.append((context, None))
                self.rows.extend((context, name) for name in sorted(self.by_context[context]))
        else:
            self.rows = [("", name) for name in self.names]
        # a namespace more (rows stream in) needs no layout of the whole screen
        set_virtual_size(self, Size(self.size.width, len(self.rows) + 2))

    def set_selected(self, selected: frozenset[str], *, notify: bool = True) -> None:
        self.selected = selected
        self._layout_rows()
        self.cursor = min(self.cursor, len(self.rows))
        self.refresh()
        if notify:
            self.post_message(self.Changed(selected))

    @property
    def name_under_cursor(self) -> str:
        """The namespace on the cursor's line (ALL on "All namespaces" and headings)."""
        if not 0 < self.cursor <= len(self.rows):
            return ALL
        return self.rows[self.cursor - 1][1] or ALL

    def action_cursor(self, step: int) -> None:
        self.cursor = min(max(self.cursor + step, 0), len(self.rows))
        line = self.cursor + 1
        if line < self.scroll_y:
            self.scroll_to(y=line, animate=False)
        elif line >= self.scroll_y + self.size.height:
            self.scroll_to(y=line - self.size.height + 1, animate=False)
        self.refresh()

    def action_toggle_namespace(self) -> None:
        name = self.name_under_cursor
        if name == ALL:
            self.set_selected(frozenset())
        else:
            self.set_selected(self.selected ^ {name})

    def action_only(self) -> None:
        name = self.name_under_cursor
        self.set_selected(frozenset() if name == ALL else frozenset({name}))

    def on_click(self, event: Click) -> None:
        line = int(self.scroll_y) + event.y
        if line >= 1:
            self.cursor = min(line - 1, len(self.rows))
            self.action_only()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        line = int(self.scroll_y) + y
        base = self.rich_style
        if line == 0:
            title = self.get_component_rich_style("sidebar--title")
            return Strip([Segment(set_cell_size(" NAMESPACES", width), base + title)])
        index = line - 1
        if index > len(self.rows):
            return Strip.blank(width, base)
        heading = False
        if index == 0:
            label, (total, warnings) = "All namespaces", self.total
            chosen = not self.selected
        else:
            context, name = self.rows[index - 1]
            if name is None:  # a context's heading: its totals
                counts = self.by_context.get(context, {}).values()
                total = sum(c.total for c in counts)
                warnings = sum(c.warnings for c in counts)
                label, chosen, heading = one_line(context, 253), False, True
            else:
                count = (self.by_context[context].get(name) if self.by_context
                         else self.counts.get(name))
                total, warnings = (count.total, count.warnings) if count else (0, 0)
                label = ("  " if self.by_context else "") + one_line(name, 253)
                chosen = name in self.selected
        style = base
        if chosen or heading:
            style += self.get_component_rich_style("sidebar--selected")
        if index == self.cursor:
            style += self.get_component_rich_style("sidebar--cursor")
        mark = "●" if chosen else " "
        numbers = f"{total:>5}"
        warn = f"{warnings:>4}" if warnings else "    "
        name_width = max(width - len(numbers) - len(warn) - 4, 4)
        warn_style = style + self.get_component_rich_style("sidebar--warning")
        muted = style + self.get_component_rich_style("sidebar--muted")
        segments = [
            Segment(f"{mark} ", style),
            Segment(set_cell_size(label, name_width), style),
            Segment(warn, warn_style),
            Segment(" ", style),
            Segment(numbers, muted),
        ]
        return Strip(segments).adjust_cell_length(width, style)
