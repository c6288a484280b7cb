"""The context picker, the ``:`` command line, help, and the command palette's entries
for every key binding, mixed into the app."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from ktui.model.safe_text import one_line
from ktui.sources.base import Forbidden, SourceError
from ktui.ui.screens.pickers import ContextPicker, HelpScreen, Prompt
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.sidebar import NamespaceSidebar

if TYPE_CHECKING:
    from textual.app import App

    from ktui.model.query import Query
    from ktui.ui.session import LiveSession, Sessions, SourceCatalog

    _Base = App[None]
else:
    _Base = object


class CommandsMode(_Base):
    """Needs, from the app: the catalog and sessions, the widgets, the query."""

    if TYPE_CHECKING:
        catalog: SourceCatalog
        sessions: Sessions
        session: LiveSession | None
        query_state: Query
        watch_namespaces: list[str] | None
        table: EventTable
        sidebar: NamespaceSidebar

        def switch_context(self, context: str) -> None: ...
        def apply_query(self, query: Query) -> None: ...
        def is_production(self, context: str) -> bool: ...

    def action_contexts(self) -> None:
        try:
            contexts, _ = self.catalog.contexts()
            error = ""
        except SourceError as problem:
            contexts, error = list(self.sessions.by_context), str(problem)
        current = self.session.context if self.session else None

        def done(choice: str | None) -> None:
            if choice and choice != current:
                self.switch_context(choice)

        self.push_screen(ContextPicker(contexts, current, self.is_production, error), done)

    def action_command(self) -> None:
        def done(text: str | None) -> None:
            words = (text or "").split()
            if not words:
                return
            verb, rest = words[0].lstrip(":"), words[1:]
            if verb in ("ctx", "context"):
                if rest:
                    self.switch_context(rest[0])
                else:
                    self.action_contexts()
            elif verb in ("ns", "namespace"):
                session = self.session
                if rest and session is not None and isinstance(session.status.error, Forbidden):
                    # RBAC allows no cluster-wide list and ktui found no namespace to fall
                    # back to: watch the ones named, as -n would have.
                    self.watch_namespaces = rest
                    self.sessions.restart(session.context, rest)
                self.apply_query(self.query_state.with_namespaces(rest))
            elif verb in ("q", "quit"):
                self.exit()
            else:
                self.notify(f"unknown command: {one_line(verb, 40)} (ctx, ns, q)",
                            severity="warning", markup=False)

        self.push_screen(Prompt(":", "", "ctx [NAME] · ns [NAME ...] · q"), done)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key binding is also a command in the palette (ctrl+p), with its key."""
        yield from super().get_system_commands(screen)
        bindings = [*self.BINDINGS, *EventTable.BINDINGS, *NamespaceSidebar.BINDINGS]
        seen: set[str] = set()
        for binding in bindings:
            if not isinstance(binding, Binding) or binding.action in seen:
                continue
            seen.add(binding.action)
            target = self.table if binding in EventTable.BINDINGS else (
                self.sidebar if binding in NamespaceSidebar.BINDINGS else self)
            keys = binding.key_display or binding.key.split(",")[0]
            yield SystemCommand(
                binding.description or binding.action,
                f"key {keys} · {binding.id or binding.action}",
                partial(target.run_action, binding.action),
            )

