"""The header: which context (red when it matches the production rule, "archiving" when
what it watches goes to the local archive), the mode, the connection state and the counts
(in a history window that reaches now, how many events are live). One line, so it never
costs a row at 80x24."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from ktui.model.safe_text import one_line


@dataclass(frozen=True, slots=True)
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
    pending: int = 0
    coalesced: int = 0
    paused: bool = False
    warning: str = ""
    archiving: bool = False
    live: int = 0  # live events merged into a history window


class EventHeader(Widget):
    DEFAULT_CSS = """
    EventHeader { height: 1; background: $panel; }
    EventHeader.-production { background: $error 60%; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = HeaderState()

    def show(self, state: HeaderState) -> None:
        if state != self.state:
            self.state = state
            self.set_class(state.production, "-production")
            self.refresh()

    def render(self) -> Text:
        state = self.state
        text = Text(no_wrap=True, overflow="ellipsis")
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
        text.append(" · ")
        text.append(f"{state.warnings:,} warnings", style="yellow" if state.warnings else "")
        if state.live:
            text.append(" · ")
            text.append(f"● {state.live:,} live", style="green")
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
