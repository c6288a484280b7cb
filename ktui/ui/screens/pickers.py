"""Modal screens: the context switcher, the help, a text prompt."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ktui.model.safe_text import one_line
from ktui.ui.screens.dialog import Dialog


def modal_css(screen: str, width: int) -> str:
    """The modal look (centred, bordered, over the explorer) for one screen class. The
    selectors start with the screen's own type: Textual scopes a class's DEFAULT_CSS to
    that type, so a rule starting with ``ModalScreen`` would never match."""
    return f"""
{screen} {{ align: center middle; }}
{screen} > Vertical, {screen} > VerticalScroll {{
    width: {width}; max-width: 95%; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 0 1;
}}
{screen} Label {{ width: 100%; }}
{screen} OptionList {{ height: auto; max-height: 20; border: none; }}
{screen} .title {{ text-style: bold; padding: 0 0 1 0; }}
{screen} .hint {{ color: $text-muted; }}
{screen} .error {{ color: $error; }}
{screen} .problem {{ color: $error; }}
{screen} .-none {{ display: none; }}
"""


class ContextPicker(Dialog[str | None]):
    """Lists the kubeconfig's contexts; Enter switches, Space marks several to watch at
    once (Enter then watches the marked set, as ``a,b``), Escape cancels."""

    DEFAULT_CSS = modal_css("ContextPicker", 70)
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel"),
                Binding("space", "mark", "Mark", id="picker.mark")]

    def __init__(self, contexts: list[str], current: str | None,
                 is_production: Callable[[str], bool], error: str = "") -> None:
        super().__init__()
        self.contexts = contexts
        self.current = current  # one context, or several joined with commas
        self.is_production = is_production
        self.error = error
        self.marked: list[str] = []

    def _label(self, name: str) -> Text:
        label = Text("● " if name in self.marked else "  ")
        label.append(one_line(name, 120))
        if self.is_production(name):
            label.append("  PROD", style="bold red")
        if name in (self.current or "").split(","):
            label.append("  (current)", style="dim")
        return label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Switch context", classes="title")
            if self.error:
                yield Label(Text(one_line(self.error, 300)), classes="error")
            options = [Option(self._label(name), id=name) for name in self.contexts]
            yield OptionList(*options, id="contexts")
            yield Label("Enter switch · Space mark several · Esc cancel · "
                        "each context keeps its events", classes="hint")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        first = (self.current or "").split(",")[0]
        if first in self.contexts:
            option_list.highlighted = self.contexts.index(first)
        option_list.focus()

    def action_mark(self) -> None:
        option_list = self.query_one(OptionList)
        index = option_list.highlighted
        if index is None or self.dismissing:
            return
        name = self.contexts[index]
        if name in self.marked:
            self.marked.remove(name)
        else:
            self.marked.append(name)
        option_list.replace_option_prompt_at_index(index, self._label(name))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.dismissing:
            return
        if self.marked:  # the marked set, in the kubeconfig's order
            self.dismiss(",".join(name for name in self.contexts if name in self.marked))
        else:
            self.dismiss(event.option.id)


class Prompt(Dialog[str | None]):
    """One line of input, with an inline error kept until the text parses."""

    DEFAULT_CSS = modal_css("Prompt", 70)
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", hint: str = "",
                 validate: Callable[[str], str | None] | None = None,
                 password: bool = False) -> None:
        super().__init__()
        self.title_text, self.value, self.hint, self.validate = title, value, hint, validate
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Input(value=self.value, id="prompt-input", password=self.password)
            yield Label("", classes="error", id="prompt-error")
            yield Label(self.hint, classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.dismissing:
            return
        problem = self.validate(event.value) if self.validate else None
        if problem:
            self.query_one("#prompt-error", Label).update(Text(problem))
            return
        self.dismiss(event.value)


HELP = """\
ktui: Kubernetes events, newest first. ↑/↓ scroll, Esc closes.

Types       w warnings only · n normal only · a all types
Filter      / a query, e.g. type:Warning ns:payments
            reason~BackOff -reason:Pulled kind:Pod name:web-1,
            plus free words · Esc cancels the prompt
Namespaces  b the sidebar: space toggles one · enter only this
            0 all · :ns NAME ... only those (and watched alone
            where RBAC forbids the cluster-wide list)
Contexts    c or :ctx lists them; each keeps its own events
Table       j/k ↑/↓ move · g/G top/bottom · PgUp/PgDn
            enter detail · z full screen · Esc closes it
Follow      f on/off · scrolling away pauses and counts new
            events · End resumes
Time        t ages/clock times (UTC: HH:MM:SS today, else
            MM-DD HH:MM) · s newest/oldest first
Expired     struck-through rows: events past the cluster's TTL
            (1h by default), which kubectl no longer lists;
            the header counts them (371 live · 16 expired)
            x hides them, x again shows them
Copy        y the event's JSON (OSC 52: works over SSH; inside
            tmux: set -g set-clipboard on) · Y writes it to a
            file under $KTUI_DATA_DIR/exports and shows where
            · on a group row, y copies the group's summary
Group       o by owner → by reason → none (:group owner,
            object, reason or none) · enter a group's events
            · esc back · ↑ on the time axis: a rollout
Report      e the view as Markdown in $KTUI_DATA_DIR/reports
History     h live/history, same filter · [ ] step the window
            + - zoom · > the selected event's bucket
            T a range (6h, or FROM..TO) · H the selected
            event's object over 7 days
Views       ctrl+s save the current view · 1-9 load one
            v list: enter load, r rename, d delete
Other       ctrl+p every action · ? this help · q quit

Keys can be remapped in settings.toml under [keys] (README).
"""


class HelpScreen(Dialog[None]):
    DEFAULT_CSS = modal_css("HelpScreen", 80)
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():  # at 80x24 it is taller than the screen
            yield Static(Text(HELP))
