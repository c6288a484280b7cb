"""Saved views in the UI: save (ctrl+s), list (v), load by number (1-9), the palette.

:class:`ViewsActions` is what the app's key bindings call; :class:`ViewCommands` puts
the same actions in the command palette. The store is re-read on every action (a few
small files), so views saved by ``ktui views`` or another ktui show up at once.

Nothing here raises into the UI: every :class:`ViewError` or ``OSError`` becomes one
error notification. Names are user text and view files may be edited by hand, so every
message is escaped with :func:`one_line` and sent with ``markup=False``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.notifications import SeverityLevel

from ktui.feeds.errors import SourceError
from ktui.model.query import QueryError
from ktui.model.safe_text import one_line
from ktui.model.timerange import TimeRange
from ktui.paths import views_dir
from ktui.ui.screens.views import (
    Confirm,
    ViewsScreen,
    overwrite_question,
    quoted,
    rename_prompt,
    save_prompt,
    summary,
)
from ktui.ui.widgets.columns import COLUMN_KEYS
from ktui.views.store import SavedView, ViewError, ViewExists, ViewProblem, ViewStore

if TYPE_CHECKING:
    from textual.app import App

    from ktui.explorer.feed import Mode
    from ktui.explorer.live import SourceCatalog
    from ktui.model.query import Query
    from ktui.ui.widgets.event_table import EventTable

TITLE = "saved views"


class ViewsHost(Protocol):
    """What saved views need of the explorer: its state, and the ways to change it."""

    catalog: SourceCatalog
    table: EventTable
    query_state: Query

    @property
    def app(self) -> App[Any]: ...
    @property
    def mode(self) -> Mode: ...
    @property
    def context(self) -> str | None: ...
    @property
    def time_range(self) -> TimeRange: ...

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...
    def switch_context(self, context: str) -> None: ...
    def enter_history(self, time_range: TimeRange | None = None) -> bool: ...
    def leave_history(self) -> None: ...
    def apply_query(self, query: Query) -> None: ...


class ViewsActions:
    """Saved-view actions for one explorer (stateless apart from it)."""

    def __init__(self, host: ViewsHost) -> None:
        self.host = host

    # -- plumbing -----------------------------------------------------------------------

    def store(self) -> ViewStore:
        return ViewStore(views_dir())  # read each time: tests and users may move it

    def _known_contexts(self) -> list[str] | None:
        """The kubeconfig's contexts, or None (no check) if it cannot be read: a broken
        kubeconfig is reported elsewhere, not as one problem per view."""
        try:
            contexts, _ = self.host.catalog.contexts()
        except SourceError:
            return None
        return contexts

    def _error(self, error: BaseException | str) -> None:
        self.host.notify(one_line(str(error), 300), title=TITLE, severity="error",
                        timeout=8, markup=False)

    def _info(self, message: str, severity: SeverityLevel = "information") -> None:
        self.host.notify(one_line(message, 300), title=TITLE, severity=severity, markup=False)

    def load(self) -> tuple[list[SavedView], list[ViewProblem]] | None:
        """Every loadable view (sorted by name) and the problems; None after an error
        notification (unreadable directory)."""
        try:
            return self.store().load_all(self._known_contexts())
        except (ViewError, OSError) as error:
            self._error(error)
            return None

    def views(self) -> list[SavedView]:
        loaded = self.load()
        return loaded[0] if loaded else []

    def name_problem(self, name: str, current: str | None = None) -> str | None:
        """Why ``name`` cannot be used for a renamed view (None if it can)."""
        try:
            name = SavedView(name=name).name  # validates and normalises
            if name == current:
                return None
            if name in {view.name for view in self.store().load_all()[0]}:
                return f"a view named {one_line(name, 60)} already exists"
        except (ViewError, OSError) as error:
            return str(error)
        return None

    # -- save ---------------------------------------------------------------------------

    def save_current(self, value: str = "") -> None:
        """Ask for a name and save the current state; an existing name asks first."""
        try:
            state = summary(self.current("view"))
        except (ViewError, OSError) as error:
            self._error(error)
            return

        def validate(text: str) -> str | None:
            try:
                self.current(text)
            except (ViewError, OSError) as error:
                return str(error)
            return None

        def done(name: str | None) -> None:
            if name is not None:
                self._save(name)

        self.host.app.push_screen(save_prompt(state, value, validate), done)

    def _save(self, name: str, overwrite: bool = False) -> None:
        try:
            view = self.current(name)
            path = self.store().save(view, overwrite=overwrite)
        except ViewExists:
            def answer(yes: bool | None) -> None:
                if yes:
                    self._save(name, overwrite=True)
                else:  # back to the prompt, to pick another name or Esc
                    self.save_current(name)

            self.host.app.push_screen(overwrite_question(name), answer)
            return
        except (ViewError, OSError) as error:
            self._error(error)
            return
        verb = "replaced" if overwrite else "saved"
        self._info(f"{verb} view {one_line(view.name, 60)} ({path.name})")

    # -- list, load, rename, delete -----------------------------------------------------

    def open_list(self) -> None:
        loaded = self.load()
        if loaded is None:
            return

        def done(view: SavedView | None) -> None:
            if view is not None:
                self.apply(view)

        self.host.app.push_screen(ViewsScreen(self, *loaded), done)

    def load_index(self, n: int) -> None:
        """Load the ``n``-th view (1-based, in the list's order)."""
        loaded = self.load()
        if loaded is None:
            return
        views, problems = loaded
        if 1 <= n <= len(views):
            self.apply(views[n - 1])
            return
        if not views:
            broken = sum(1 for p in problems if p.skipped)
            extra = f"; {broken} file(s) cannot be loaded (v shows why)" if broken else ""
            self._info(f"no view {n}: there are no saved views yet, ctrl+s saves one{extra}",
                       "warning")
        else:
            count = "is one saved view" if len(views) == 1 else f"are {len(views)} saved views"
            self._info(f"no view {n}: there {count} (v lists them)", "warning")

    def load_named(self, name: str) -> None:
        """Load view ``name`` as it is on disk now."""
        loaded = self.load()
        if loaded is None:
            return
        view = next((v for v in loaded[0] if v.name == name), None)
        if view is None:
            self._error(f"view {one_line(name, 60)} is gone or cannot be loaded (v lists why)")
            return
        self.apply(view)

    def current(self, name: str) -> SavedView:
        """The app's state as a view named ``name``: mode, filter, sort, columns, context,
        and in history mode the time range. Never a secret: a view has no field for one."""
        host = self.host
        table = host.table
        history = host.mode == "history"
        return SavedView.from_state(
            name,
            host.query_state,
            mode="history" if history else "live",
            time_range=host.time_range if history else None,
            sort="newest" if table.newest_first else "oldest",
            columns=[key for key in COLUMN_KEYS if key not in table.hidden_columns],
            context=host.context,
        )

    def apply(self, view: SavedView) -> None:
        """Load a view: its context (if any and different), mode and time range, sort,
        columns, then the filter. A history view where history is not configured loads
        its filter live and says why."""
        host = self.host
        try:
            query = view.to_query()
        except QueryError as error:
            self._error(f"view {one_line(view.name, 60)}: {error}")
            return
        if view.context and host.context != view.context:
            host.switch_context(view.context)
        if host.table.newest_first != (view.sort == "newest"):
            host.table.flip_order()
        hidden = frozenset(COLUMN_KEYS) - set(view.columns) if view.columns else frozenset()
        host.table.set_columns(show_namespace=host.table.show_namespace, hidden=hidden)
        if view.mode == "history":
            if not host.enter_history(view.time_range or TimeRange.last("1h")):
                host.leave_history()
        else:
            host.leave_history()
        host.apply_query(query)  # in history mode this starts the search
        where = f" · {host.time_range.describe()}" if host.mode == "history" else ""
        self._info(f"view {one_line(view.name, 60)}: {query.describe()}{where}")

    def rename(self, old: str, new: str) -> bool:
        try:
            self.store().rename(old, new)
        except (ViewError, OSError) as error:
            self._error(error)
            return False
        self._info(f"renamed view {one_line(old, 60)} to {one_line(new, 60)}")
        return True

    def delete(self, name: str) -> bool:
        try:
            self.store().delete(name)
        except (ViewError, OSError) as error:
            self._error(error)
            return False
        self._info(f"deleted view {one_line(name, 60)}")
        return True

    def ask_rename(self, name: str) -> None:
        """The rename prompt on its own (from the palette)."""
        def done(new: str | None) -> None:
            if new is not None:
                self.rename(name, new)

        self.host.app.push_screen(rename_prompt(name, self.name_problem), done)

    def ask_delete(self, name: str) -> None:
        """Delete after a y/n confirmation (from the palette)."""
        def done(yes: bool | None) -> None:
            if yes:
                self.delete(name)

        self.host.app.push_screen(Confirm(
            Text.assemble("Delete view ", quoted(name), "? Its file is removed."),
            hint="y delete · n or Esc keep it",
        ), done)


def actions_for(app: object) -> ViewsActions:
    """The explorer's :class:`ViewsActions` (``app.explorer.saved_views``)."""
    actions = getattr(getattr(app, "explorer", None), "saved_views", None)
    if not isinstance(actions, ViewsActions):
        raise TypeError("saved views need the explorer screen")
    return actions


# -- the command palette ----------------------------------------------------------------


class ViewCommands(Provider):
    """Palette commands: Save view, Views…, and Load/Rename/Delete view: NAME."""

    async def startup(self) -> None:
        self.actions = actions_for(self.app)
        self.views = self.actions.views()

    def _commands(self) -> list[tuple[str, Callable[[], object], str, bool]]:
        """(text, callback, help, discoverable) — help may hold user text: it is shown as
        a second, dimmed line of the prompt, never as markup."""
        actions = self.actions
        commands: list[tuple[str, Callable[[], object], str, bool]] = [
            ("Save view", actions.save_current,
             "save the current filter, sort and columns under a name (ctrl+s)", True),
            ("Views…", actions.open_list, "list saved views: load, rename, delete (v)", True),
        ]
        for index, view in enumerate(self.views):
            name = one_line(view.name, 80)
            key = f" ({index + 1})" if index < 9 else ""

            def load(view: SavedView = view) -> None:
                actions.load_named(view.name)

            def rename(view: SavedView = view) -> None:
                actions.ask_rename(view.name)

            def delete(view: SavedView = view) -> None:
                actions.ask_delete(view.name)

            commands += [
                (f"Load view: {name}", load, summary(view) + key, True),
                (f"Rename view: {name}", rename, "asks for the new name", False),
                (f"Delete view: {name}", delete, "asks first (y/n)", False),
            ]
        return commands

    @staticmethod
    def _prompt(text: Text, help_text: str) -> Text:
        prompt = text.copy()
        prompt.append("\n" + help_text, style="dim")
        return prompt

    async def discover(self) -> Hits:
        for text, callback, help_text, discoverable in self._commands():
            if discoverable:
                yield DiscoveryHit(self._prompt(Text(text), help_text), callback, text=text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        style = "reverse"
        for text, callback, help_text, _ in self._commands():
            score, offsets = matcher.fuzzy_search.match(matcher.query, text)
            if score <= 0:
                continue
            shown = Text(text)
            for offset in offsets:
                shown.stylize(style, offset, offset + 1)
            yield Hit(score, self._prompt(shown, help_text), callback, text=text)
