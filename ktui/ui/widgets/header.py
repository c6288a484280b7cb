"""The header: which context (red when it matches the production rule, "archiving" when
what it watches goes to the local archive), the mode, the connection state and the counts
(in a history window that reaches now, how many events are live). One line, so it never
costs a row at 80x24; cut with an ellipsis at the end of a part (│ ·) or a word when it
does not fit. The demo that ktui started because it found no kubeconfig says so in a DEMO
badge and, on the lines below, how to point ktui at a cluster: its events look real, and
must not be taken for a cluster's."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from ktui.model.safe_text import one_line
from ktui.records import record

# Nothing a cut line may end with: it would read as if something followed.
_DANGLING = " │·,(:;"
_PART_SLACK = 16  # cells a cut may give up to end before a whole part rather than a word


@record(slots=True)
class HeaderState:
    context: str = ""
    production: bool = False
    mode: str = "LIVE"
    scope: str = ""  # time range in history mode
    state: str = "connecting"
    state_is_error: bool = False
    shown: int = 0
    total: int = 0
    total_text: str = ""  # e.g. "≥ 10,000" for history totals
    warnings: int = 0
    expired: int = 0  # shown events past their TTL (EventStore.visible_expired)
    expired_hidden: int = 0  # expired events a hide-expired query leaves out
    pending: int = 0
    coalesced: int = 0
    paused: bool = False
    warning: str = ""
    demo: bool = False  # the events are the built-in demo's, not a cluster's
    demo_hint: str = ""  # why (no kubeconfig) and how to point ktui at a cluster
    archiving: bool = False
    live: int = 0  # live events merged into a history window


def fit_words(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells with an ellipsis: before the last of its parts
    (``│``, ``·``) that fits when that loses little, else at the end of a word."""
    if text.cell_len <= width:
        return text
    plain = text.plain
    room = max(width - 1, 0)
    end = 0
    cells = 0
    for index, char in enumerate(plain):  # the longest prefix within the room
        cells += cell_len(char)
        if cells > room:
            break
        end = index + 1
    boundary = end
    part = max(plain.rfind(" │ ", 0, end + 1), plain.rfind(" · ", 0, end + 1))
    if part > 0 and end - part <= _PART_SLACK:
        boundary = part
    elif end < len(plain) and plain[end].isalnum():  # the room ends inside a word
        boundary = max(plain.rfind(" ", 0, end), 0)
    while boundary and plain[boundary - 1] in _DANGLING:
        boundary -= 1
    if not boundary:  # one word longer than the line: cut it rather than show nothing
        boundary = end
    head = text[:boundary]
    head.append("…")
    return head


class EventHeader(Widget):
    COMPONENT_CLASSES = {"header--demo", "header--demo-hint"}
    DEFAULT_CSS = """
    EventHeader { height: 1; background: $panel; }
    EventHeader.-production { background: $error 60%; }
    EventHeader > .header--demo { background: $warning; color: $background; text-style: bold; }
    EventHeader > .header--demo-hint { background: $warning 30%; text-style: bold; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = HeaderState()
        self._hint_lines: list[Text] = []

    def show(self, state: HeaderState) -> None:
        if state != self.state:
            hint_changed = state.demo_hint != self.state.demo_hint
            self.state = state
            self.set_class(state.production, "-production")
            if hint_changed:
                self._wrap_hint()
            self.refresh()

    def on_resize(self) -> None:
        self._wrap_hint()

    def _wrap_hint(self) -> None:
        """The hint's lines at this width; the header grows by that many rows."""
        hint = one_line(self.state.demo_hint, 400)
        width = max(self.size.width - 2, 20)
        lines = list(Text(hint).wrap(self.app.console, width)) if hint and self.is_mounted else []
        if len(lines) != len(self._hint_lines):
            self.styles.height = 1 + len(lines)
        self._hint_lines = lines
        self.refresh()

    def full_text(self) -> Text:
        """The first line before it is fitted to the width."""
        state = self.state
        text = Text(no_wrap=True)
        if state.demo:
            text.append(" DEMO ", style=self.get_component_rich_style("header--demo"))
        banner = f" {one_line(state.context, 80) or 'no context'} "
        badge = "bold white on red" if state.production else "bold reverse"
        text.append(banner, style=badge)
        if state.archiving:
            text.append("· archiving ", style=f"{badge} dim")
        if state.production:
            text.append(" PROD ", style="bold red on white")
        text.append(f" {state.mode} ", style="bold")
        if state.scope:
            text.append(f"{state.scope} ", style="italic")
        text.append("│ ")
        text.append(one_line(state.state, 120), style="bold red" if state.state_is_error else "")
        text.append(" │ ")
        text.append(f"{state.shown:,} of {state.total_text or format(state.total, ',')}")
        if state.live:  # a history window reaching now: what the live watch brought
            text.append(" · ")
            text.append(f"• {state.live:,} live", style="green")
            text.append(f" · {state.shown - state.live:,} history only")
        elif state.expired:
            text.append(f" · {state.shown - state.expired:,} live · ")
            text.append(f"{state.expired:,} expired", style="strike")
        if state.expired_hidden:
            text.append(f" · {state.expired_hidden:,} expired hidden", style="dim")
        text.append(" · ")
        text.append(f"{state.warnings:,} warnings", style="yellow" if state.warnings else "")
        if state.paused:
            text.append(" │ ")
            news = f"{state.pending:,} new, " if state.pending else ""
            text.append(f"paused ({news}End resumes)", style="bold reverse")
        if state.coalesced:
            text.append(f" · {state.coalesced:,} coalesced", style="dim")
        if state.warning:
            text.append(" │ ")
            text.append(f"⚠ {one_line(state.warning, 120)}", style="bold yellow")
        return text

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            text = fit_words(self.full_text(), width)
            style = base
        elif 0 < y <= len(self._hint_lines):
            text = Text(" ") + self._hint_lines[y - 1]
            style = base + self.get_component_rich_style("header--demo-hint")
        else:
            return Strip.blank(width, base)
        segments = [segment for segment in text.render(self.app.console) if segment.text != "\n"]
        return Strip(segments).apply_style(style).adjust_cell_length(width, style)

    def render(self) -> Text:
        """The first line as text (tests and the hostile-text checks read it)."""
        return fit_words(self.full_text(), max(self.size.width, 1))

