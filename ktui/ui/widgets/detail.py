"""The detail pane: a summary of the selected event, what its reason usually means
(:func:`ktui.model.reasons.explain`, for the common reasons), and its whole raw object
as JSON.

Both wrap to the pane's width, beside the table or full screen. The JSON is a
:class:`~ktui.ui.widgets.wrapped.WrappedLines`, which lays out and styles only the rows on
screen, and the summary shows at most :data:`SUMMARY_MESSAGE` characters of the message
(the JSON below holds all of it): opening an event with a 1 MB message costs about what a
small one does instead of freezing the UI for seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ktui.model.event import Event
from ktui.model.safe_text import escape_controls, json_safe
from ktui.ui import cells
from ktui.ui.widgets.wrapped import WrappedLines

SUMMARY_MESSAGE = 4000  # characters of the message in the summary; the JSON has them all


def fold_managed_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """managedFields is server bookkeeping, long and never what an on-call reads."""
    metadata = raw.get("metadata")
    if isinstance(metadata, dict) and metadata.get("managedFields"):
        entries = metadata["managedFields"]
        count = len(entries) if isinstance(entries, list) else 1
        raw = {**raw, "metadata": {**metadata, "managedFields": f"<{count} entries folded>"}}
    return raw


def event_json(event: Event, *, fold: bool = True) -> str:
    """Pretty, valid JSON with every control and bidi character escaped (json.dumps escapes
    C0; DEL, C1 and bidi marks get ``\\uXXXX`` here)."""
    raw = event.raw or {"uid": event.uid, "note": "the raw object was not kept"}
    return json_safe(
        json.dumps(fold_managed_fields(raw) if fold else raw, indent=2, ensure_ascii=False)
    )


def _when(seconds: float) -> str:
    if not seconds:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def summary(event: Event, message_limit: int = SUMMARY_MESSAGE) -> Text:
    """Field: value lines; every value appended as plain Text, never parsed as markup.
    A message longer than ``message_limit`` is cut there, and says so."""
    text = Text()
    rows = [
        ("Type", event.type),
        ("Reason", event.reason),
        ("Object", f"{event.object.display} (ns {event.object.namespace or '-'})"),
        ("Count", cells.count_long(event)),
        ("Last seen", _when(event.time)),
        ("First seen", _when(event.first_seen)),
        ("Source", " · ".join(p for p in (event.source, event.source_host) if p) or "-"),
        ("Context", event.context or "-"),
        ("API", event.api + (" · expired (TTL)" if event.expired else "")),
    ]
    for label, value in rows:
        text.append(f"{label:>10}  ", style="bold")
        style = "bold red" if label == "Type" and event.is_warning else ""
        text.append(escape_controls(value), style=style)
        text.append("\n")
    text.append(f"{'Message':>10}  ", style="bold")
    message = event.message
    text.append(escape_controls(message[:message_limit], keep_newlines=True))
    if len(message) > message_limit:
        text.append(f"… ({len(message):,} characters: all of them in the JSON below)",
                    style="italic")
    text.append("\n")
    return text


def explanation(event: Event) -> Text | None:
    """What the event's reason usually means, what to check, the command to run: plain
    lines (the event's names in them are escaped and shell-quoted), or None."""
    from ktui.model.reasons import explain  # reasons.toml is read when a detail opens

    lines = explain(event)
    if not lines:
        return None
    text = Text()
    for index, line in enumerate(lines):
        text.append(escape_controls(line), style="bold" if line.startswith("$ ") else "")
        if index < len(lines) - 1:
            text.append("\n")
    return text


class DetailPane(VerticalScroll, can_focus=True):
    ALLOW_MAXIMIZE = True
    # Focused (full screen), the movement keys scroll the event instead of moving the
    # table's cursor to another one.
    BINDINGS = [
        Binding("j,down", "scroll_down", "Down", show=False, id="detail.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="detail.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="detail.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="detail.bottom"),
        Binding("pagedown,ctrl+f,space", "page_down", "Page down", id="detail.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", id="detail.page_up"),
    ]
    DEFAULT_CSS = """
    DetailPane { width: 1fr; border-left: solid $panel-lighten-2; padding: 0 1; }
    DetailPane.-hidden { display: none; }
    DetailPane #detail-summary { margin-bottom: 1; }
    DetailPane #detail-explain { margin-bottom: 1; color: $text-muted; }
    DetailPane #detail-explain.-none { display: none; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.event: Event | None = None
        self._summary = Static("", expand=True, id="detail-summary")
        self._explain = Static("", expand=True, id="detail-explain", classes="-none")
        self._body = WrappedLines(id="detail-json")

    def _show_explanation(self, event: Event | None) -> None:
        text = explanation(event) if event is not None else None
        self._explain.set_class(text is None, "-none")
        self._explain.update(text if text is not None else "")

    def compose(self) -> ComposeResult:
        yield self._summary
        yield self._explain
        yield self._body

    def show(self, event: Event | None) -> None:
        if event is self.event:
            return
        self.event = event
        self._show_explanation(event)
        if event is None:
            self._summary.update(Text("No event selected.", style="dim"))
            self._body.update("")
            return
        self._summary.update(summary(event))
        self._body.update(event_json(event))  # data, never markup; styled row by row
        self.scroll_home(animate=False)
