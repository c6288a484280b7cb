"""Modal screens: the context switcher, the help, a text prompt."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ktui.model.safe_text import one_line

MODAL_CSS = """
ModalScreen { align: center middle; }
ModalScreen > Vertical {
    width: 70; max-width: 95%; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 0 1;
}
ModalScreen OptionList { height: auto; max-height: 20; border: none; }
ModalScreen .title { text-style: bold; padding: 0 0 1 0; }
ModalScreen .hint { color: $text-muted; }
ModalScreen .error { color: $error; }
"""


class ContextPicker(ModalScreen[str | None]):
    """Lists the kubeconfig's contexts; Enter switches, Escape cancels."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel")]

    def __init__(self, contexts: list[str], current: str | None,
                 is_production: Callable[[str], bool], error: str = "") -> None:
        super().__init__()
        self.contexts = contexts
        self.current = current
        self.is_production = is_production
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Switch context", classes="title")
            if self.error:
                yield Label(Text(one_line(self.error, 300)), classes="error")
            options = []
            for name in self.contexts:
                label = Text(one_line(name, 120))
                if self.is_production(name):
                    label.append("  PROD", style="bold red")
                if name == self.current:
                    label.append("  (current)", style="dim")
                options.append(Option(label, id=name))
            yield OptionList(*options, id="contexts")
            yield Label("Enter switch · Esc cancel · each context keeps its events", classes="hint")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self.current in self.contexts:
            option_list.highlighted = self.contexts.index(self.current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class Prompt(ModalScreen[str | None]):
    """One line of input, with an inline error kept until the text parses."""

    DEFAULT_CSS = MODAL_CSS
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
        problem = self.validate(event.value) if self.validate else None
        if problem:
            self.query_one("#prompt-error", Label).update(Text(problem))
            return
        self.dismiss(event.value)


HELP = """\
ktui: Kubernetes events, newest first.

Types        w warnings only · n normal only · a all types
Filter       / query, e.g.  type:Warning ns:payments reason~BackOff -reason:Pulled kind:Pod
             name:web-1 plus free words · Esc in the prompt cancels
Namespaces   tab to the sidebar · space toggles one · enter only this · 0 all namespaces
             :ns NAME ... shows those (and watches them where RBAC forbids the cluster)
Contexts     c or :ctx lists them; each keeps its own events
Table        j/k ↑/↓ move · g/G top/bottom · PgUp/PgDn · enter detail · z detail full screen
Follow       f follow on/off · scrolling away pauses and counts new events · End resumes
Time         t relative/absolute · s newest/oldest first
Copy         y copies the event's JSON (OSC 52: works over SSH)
History      h live/history (same filter) · [ ] step the window · + - zoom · > zoom into
             the selected bucket · T range (6h, or FROM..TO) · H the selected object's history
Views        ctrl+s save the current view · v list (enter load, r rename, d delete) · 1-9 load
Other        ctrl+p every action · ? this help · q quit

Keys can be remapped in settings.toml under [keys], by binding id (see README).
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = MODAL_CSS + "HelpScreen > Vertical { width: 100; }"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(HELP))
