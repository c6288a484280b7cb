"""Modal screens for saved views: the list, a name prompt, a yes/no confirmation.

The screens only show and ask; everything that touches the disk goes through a
:class:`ViewsBackend` (``ktui.ui.views_actions.ViewsActions``), which reports its own
errors, so a failed save or rename never raises into the UI.

View names and queries are user text and view files may be edited by hand: they are
rendered as ``rich.text.Text`` (never markup) after :func:`one_line` has made control and
bidi characters visible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ktui.model.query import QueryError
from ktui.model.safe_text import one_line
from ktui.ui.screens.dialog import Dialog
from ktui.ui.screens.pickers import modal_css
from ktui.ui.widgets.columns import COLUMN_KEYS
from ktui.views.store import SavedView, ViewProblem

MAX_PROBLEMS = 5  # lines; more are summarised (``ktui views list`` shows them all)


class ViewsBackend(Protocol):
    """What the list needs from the store; each call reports its own errors (and then
    returns None or False)."""

    def load(self) -> tuple[list[SavedView], list[ViewProblem]] | None: ...

    def rename(self, old: str, new: str) -> bool: ...

    def delete(self, name: str) -> bool: ...

    def name_problem(self, name: str, current: str | None = None) -> str | None: ...


# -- rendering --------------------------------------------------------------------------


def name_text(name: str, limit: int = 80, style: str = "") -> Text:
    """A view name as inert text: markup is not parsed, controls are shown escaped."""
    return Text(one_line(name, limit), style=style)


def quoted(name: str, limit: int = 60) -> Text:
    return Text.assemble("“", name_text(name, limit), "”")


def summary(view: SavedView) -> str:
    """One line: mode and range, context, filter, and sort/columns when not the default."""
    parts: list[str] = [view.mode]
    if view.mode == "history":
        parts.append(view.time_range.describe() if view.time_range else "default range")
    if view.context:
        parts.append(f"ctx {view.context}")
    try:
        parts.append(view.to_query().describe())
    except QueryError:
        parts.append(f"bad query: {view.query}")
    if view.sort != "newest":
        parts.append(f"{view.sort} first")
    if view.columns and set(view.columns) != set(COLUMN_KEYS):
        parts.append(f"{len(view.columns)} of {len(COLUMN_KEYS)} columns")
    return one_line(" · ".join(parts), 300)


def view_label(index: int, view: SavedView) -> Text:
    """``1  name`` then the summary, dimmed, on a second line."""
    key = f"{index + 1} " if index < 9 else "  "
    label = Text(key, style="bold")
    label.append_text(name_text(view.name, 120, "bold"))
    label.append("\n  " + summary(view), style="dim")
    return label


def problem_line(problem: ViewProblem) -> str:
    return one_line(f"{problem.path.name}: {problem.message}", 400)


# -- the list ---------------------------------------------------------------------------


class ViewsScreen(Dialog[SavedView | None]):
    """Saved views: Enter loads (dismisses with the view), r renames, d deletes after a
    confirmation, Esc closes. Files that do not load are listed below, never touched."""

    DEFAULT_CSS = modal_css("ViewsScreen", 96) + """
    ViewsScreen OptionList { height: auto; max-height: 45vh; }
    ViewsScreen #views-problems, ViewsScreen #views-warnings {
        height: auto; text-wrap: nowrap; text-overflow: ellipsis; padding: 1 0 0 0;
    }
    ViewsScreen #views-problems { color: $error; }
    ViewsScreen #views-warnings { color: $warning; }
    ViewsScreen .hint { padding: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="views.close"),
        Binding("r", "rename", "Rename", id="views.rename"),
        Binding("d,delete", "delete", "Delete", id="views.delete"),
    ]

    def __init__(self, backend: ViewsBackend, views: Sequence[SavedView],
                 problems: Sequence[ViewProblem]) -> None:
        super().__init__()
        self.backend = backend
        self.views = list(views)
        self.problems = list(problems)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Saved views", classes="title")
            yield Label("No saved views yet: ctrl+s saves the current filter as one.",
                        id="views-empty", classes="hint")
            yield OptionList(id="views")
            yield Static(id="views-problems")
            yield Static(id="views-warnings")
            yield Label("Enter load · r rename · d delete · Esc close · "
                        "1-9 on the main screen load the first nine", classes="hint")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self, select: str | None = None) -> None:
        option_list = self.query_one(OptionList)
        old = option_list.highlighted
        option_list.set_options(
            Option(view_label(i, view), id=str(i)) for i, view in enumerate(self.views)
        )
        names = [view.name for view in self.views]
        if select in names:
            option_list.highlighted = names.index(select)
        elif self.views:
            option_list.highlighted = min(old or 0, len(self.views) - 1)
        option_list.set_class(not self.views, "-none")
        self.query_one("#views-empty").set_class(bool(self.views), "-none")
        self._show(self.query_one("#views-problems", Static),
                   [p for p in self.problems if p.skipped], "cannot be loaded, left as is")
        self._show(self.query_one("#views-warnings", Static),
                   [p for p in self.problems if not p.skipped], "warning")

    @staticmethod
    def _show(widget: Static, problems: list[ViewProblem], what: str) -> None:
        widget.set_class(not problems, "-none")
        if not problems:
            widget.update("")
            return
        lines = [f"⚠ {problem_line(p)}" for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            lines.append(f"… and {len(problems) - MAX_PROBLEMS} more ({what}; "
                         "`ktui views list` shows them all)")
        widget.update(Text("\n".join(lines)))

    def reload(self, select: str | None = None) -> None:
        loaded = self.backend.load()
        if loaded is not None:
            self.views, self.problems = loaded
        self._fill(select)

    def selected(self) -> SavedView | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self.views):
            return None
        return self.views[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not self.dismissing and 0 <= event.option_index < len(self.views):
            self.dismiss(self.views[event.option_index])

    def action_rename(self) -> None:
        view = self.selected()
        if view is None:
            return

        def done(new: str | None) -> None:
            if new is not None and self.backend.rename(view.name, new):
                self.reload(select=new)

        self.app.push_screen(rename_prompt(view.name, self.backend.name_problem), done)

    def action_delete(self) -> None:
        view = self.selected()
        if view is None:
            return

        def done(yes: bool | None) -> None:
            if yes and self.backend.delete(view.name):
                self.reload()

        self.app.push_screen(Confirm(
            Text.assemble("Delete view ", quoted(view.name), "? Its file is removed."),
            hint="y delete · n or Esc keep it",
        ), done)


# -- prompts ----------------------------------------------------------------------------


class NamePrompt(Dialog[str | None]):
    """Asks for a view name; ``validate`` returns a one-line problem or None. Unlike
    :class:`ktui.ui.screens.pickers.Prompt`, title and hints are Text (they hold names)."""

    DEFAULT_CSS = modal_css("NamePrompt", 70) + """
    NamePrompt .summary { color: $text-muted; padding: 0 0 1 0; }
    NamePrompt .hint { padding: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="views.prompt.cancel")]

    def __init__(self, title: Text, *, value: str = "", hint: Text | None = None,
                 summary: Text | None = None,
                 validate: Callable[[str], str | None] | None = None,
                 unchanged: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.unchanged = unchanged
        self.title_text, self.value = title, value
        self.hint = hint or Text("Enter save · Esc cancel")
        self.summary = summary
        self.validate = validate

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            if self.summary is not None:
                yield Label(self.summary, classes="summary")
            yield Input(value=self.value, placeholder="view name", id="view-name")
            yield Label("", classes="problem -none", id="view-name-error")
            yield Label(self.hint, classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.dismissing:
            return
        if event.value in self.unchanged:
            self.dismiss(None)
            return
        problem = self.validate(event.value) if self.validate else None
        if problem:
            error = self.query_one("#view-name-error", Label)
            error.update(Text(one_line(problem, 300)))
            error.remove_class("-none")
            return
        self.dismiss(event.value)


def rename_prompt(name: str,
                  name_problem: Callable[[str, str | None], str | None]) -> NamePrompt:
    """Asks for a new name for view ``name``; dismisses with None when it is unchanged
    (also when the name was shown escaped and submitted as shown)."""
    shown = one_line(name, 200)
    return NamePrompt(
        Text.assemble("Rename view ", quoted(name)),
        value=shown,
        hint=Text("Enter rename · Esc cancel · the file follows the new name"),
        validate=lambda text: None if text in (name, shown) else name_problem(text, name),
        unchanged=(name, shown),
    )


def save_prompt(state: str, value: str = "",
                validate: Callable[[str], str | None] | None = None) -> NamePrompt:
    """The ctrl+s prompt; ``state`` summarises what will be saved."""
    return NamePrompt(
        Text("Save view"),
        value=value,
        summary=Text("saves: " + one_line(state, 300)),
        hint=Text("Enter save · Esc cancel · v lists saved views · "
                  "an existing name asks before replacing"),
        validate=validate,
    )


class Confirm(Dialog[bool]):
    """A yes/no question: ``y`` is yes; ``n`` and Esc are no. Enter does nothing, so a
    stray key never confirms a deletion."""

    DEFAULT_CSS = modal_css("Confirm", 60)
    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes", id="views.confirm.yes"),
        Binding("n,escape", "dismiss(False)", "No", id="views.confirm.no"),
    ]

    def __init__(self, question: Text, hint: str = "y yes · n or Esc no") -> None:
        super().__init__()
        self.question, self.hint = question, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, classes="title")
            yield Label(Text(self.hint), classes="hint")


def overwrite_question(name: str) -> Confirm:
    return Confirm(
        Text.assemble("A view named ", quoted(name), " exists. Replace it?"),
        hint="y replace it · n or Esc keep it (and pick another name)",
    )
