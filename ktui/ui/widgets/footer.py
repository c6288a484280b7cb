"""The footer: Textual's, but keys that do not fit are dropped whole, and help and quit
never.

Textual's footer lays its keys out in one row and cuts whatever passes the right edge:
at 80 columns that was ``? Help`` and ``q Quit``, the two a new user looks for. This one
measures its keys after each layout and hides, from the end of the list, the ones that do
not fit, never the ``pinned`` actions. Order the bindings by importance: the last ones
go first.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED = ("help", "quit")


def key_width(key: FooterKey) -> int:
    """The cells a key takes in the row: its label, padding, border and margins.

    Summed from its parts as FooterKey.render lays them out (key, then description, each
    with its component's padding) rather than rendered: rendering resolves the rich
    styles of every key, ~0.3 ms each, at each fit.
    """
    width = cell_len(key.key_display)
    if key.description:
        key_padding = key.get_component_styles("footer-key--key").padding
        description = key.get_component_styles("footer-key--description").padding
        width += (key_padding.left + key_padding.right + description.left
                  + cell_len(key.description) + description.right)
    styles = key.styles
    return width + styles.gutter.width + styles.margin.width


def fit_keys(widths: list[tuple[str, int]], room: int, pinned: Iterable[str]) -> set[int]:
    """Indexes of the keys (action, width) to hide so that the rest fit ``room`` cells:
    the last unpinned ones first."""
    keep = set(pinned)
    total = sum(width for _, width in widths)
    hidden: set[int] = set()
    for index in range(len(widths) - 1, -1, -1):
        if total <= room:
            break
        action, width = widths[index]
        if action not in keep:
            hidden.add(index)
            total -= width
    return hidden


class KtuiFooter(Footer):
    """Key bindings in one row; drops whole keys, last first, never the pinned ones."""

    def __init__(self, *, pinned: Iterable[str] = PINNED, compact: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id, compact=compact)
        self.pinned = tuple(pinned)
        self._composed: object = None  # what the keys shown were composed from

    def _signature(self) -> object:
        """What Footer.compose reads: the same signature composes the same keys."""
        bindings = self.screen.active_bindings
        return (self._bindings_ready, self.compact, self.show_command_palette,
                tuple((key, active.binding, active.enabled, active.tooltip)
                      for key, active in bindings.items()))

    async def recompose(self) -> None:
        # Textual recomposes the footer on every notice that the bindings may have
        # changed; at start-up that is four or five times in a row with the same bindings
        # (the focus, the app's focus, the screen's stack), 12-14 ms each while the first
        # list is being read: only a change is composed again.
        signature = self._signature()
        if signature == self._composed and self.children:
            return
        self._composed = signature
        await super().recompose()
        self.call_after_refresh(self.fit)

    def on_resize(self, event: Resize) -> None:
        self.call_after_refresh(self.fit)

    def watch_compact(self) -> None:  # compact keys are narrower: more of them fit
        self.call_after_refresh(self.fit)

    def fit(self) -> None:
        """Show the keys that fit the footer's width (all of them when they do)."""
        keys = [key for key in self.query_children(FooterKey)
                if not key.has_class("-command-palette")]
        docked = sum(key_width(key) for key in self.query_children(FooterKey)
                     if key.has_class("-command-palette"))
        if not keys:
            return
        widths = [(key.action, key_width(key)) for key in keys]
        hidden = fit_keys(widths, self.size.width - docked, self.pinned)
        for index, key in enumerate(keys):
            shown = index not in hidden
            if key.display != shown:  # setting it, even unchanged, lays the screen out again
                key.display = shown
