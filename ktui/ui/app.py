"""The ktui application: the composition root.

It builds the explorer screen from what the launcher decided (catalog, settings, the
starting context, filter, view), applies the user's keymap, and offers every binding in
the command palette. Everything the user sees and does is the explorer screen's
(:mod:`ktui.ui.screens.explorer`); the data behind it is :mod:`ktui.explorer`'s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from ktui.config import Settings
from ktui.explorer.history import HistorySession
from ktui.explorer.live import LiveArchive, SourceCatalog
from ktui.model.query import Query
from ktui.ui.screens.explorer import ExplorerScreen
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.sidebar import NamespaceSidebar

if TYPE_CHECKING:  # saved views load on first use: not before the first paint
    from textual.command import Provider

    from ktui.views.model import SavedView


def _view_commands() -> type[Provider]:
    """The palette's saved-view commands (Textual calls this when the palette opens)."""
    from ktui.ui.views_actions import ViewCommands

    return ViewCommands


class KtuiApp(App[None]):
    CSS_PATH = "ktui.tcss"
    TITLE = "ktui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    COMMANDS = App.COMMANDS | {_view_commands}

    def __init__(
        self,
        catalog: SourceCatalog,
        *,
        settings: Settings | None = None,
        context: str | None = None,
        namespaces: list[str] | None = None,
        query: Query | None = None,
        clock: Callable[[], float] = time.time,
        note: str = "",
        history: HistorySession | None = None,
        start_in_history: bool = False,
        view: SavedView | None = None,
        archive: LiveArchive | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.explorer = ExplorerScreen(
            catalog, self.settings, context=context, namespaces=namespaces, query=query,
            clock=clock, note=note, history=history, start_in_history=start_in_history,
            view=view, archive=archive,
        )

    def get_default_screen(self) -> Screen[None]:
        return self.explorer

    def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(self.settings.keys)

    def use_history(self, session: HistorySession) -> None:
        """History from ``session`` from now on (its password asked through this app)."""
        session.ask_password = self.ask_password
        self.explorer.history.replace(session)

    def ask_password(self) -> str:
        """Ask for the OpenSearch password in a modal; called from a worker thread, so it
        waits for the answer. Never stored: it goes straight to the client."""
        answer: list[str] = []
        done = threading.Event()

        def show() -> None:
            from ktui.ui.screens.pickers import Prompt

            def take(value: str | None) -> None:
                answer.append(value or "")
                done.set()

            self.push_screen(Prompt("OpenSearch password",
                                    hint="asked once per session, never stored",
                                    password=True), take)

        self.call_from_thread(show)
        done.wait(600)
        return answer[0] if answer else ""

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key binding is also a command in the palette (ctrl+p), with its key."""
        yield from super().get_system_commands(screen)
        explorer = self.explorer
        targets = [(explorer, ExplorerScreen.BINDINGS),
                   (explorer.table, EventTable.BINDINGS),
                   (explorer.sidebar, NamespaceSidebar.BINDINGS)]
        seen: set[str] = set()
        for target, bindings in targets:
            for binding in bindings:
                if not isinstance(binding, Binding) or binding.action in seen:
                    continue
                seen.add(binding.action)
                keys = binding.key_display or binding.key.split(",")[0]
                yield SystemCommand(
                    binding.description or binding.action,
                    f"key {keys} · {binding.id or binding.action}",
                    partial(target.run_action, binding.action),
                )

    async def action_quit(self) -> None:
        self.explorer.live.stop_all(wait=0.5)
        self.exit()
