"""Printing events for ``ktui events``: time order, kubectl-like tables, JSON and JSON lines
of ktui's record (:mod:`ktui.model.record`), and the raw objects as the server sent them.

Everything in an event is untrusted text. JSON output escapes every non-ASCII and
control character (``ensure_ascii``); table cells go through
:func:`ktui.model.safe_text.one_line`, so no control sequence reaches the terminal, and
columns are padded by display width (wide CJK characters count two, combining marks none).
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Iterable, Sequence
from typing import IO, Any

from ktui.model.event import API_CORE, API_EVENTS, Event
from ktui.model.record import record_line, to_record
from ktui.model.safe_text import one_line
from ktui.model.timefmt import human_duration

FORMATS = ("table", "json", "jsonl", "raw", "raw-jsonl")
RAW_FORMATS = ("raw", "raw-jsonl")
CELL_LIMIT = 80  # display columns for every column but the last (MESSAGE)


def sort_key(event: Event) -> tuple[float, float, str]:
    """Oldest first, as ``kubectl events``; ties by first seen, then name."""
    return (event.time, event.first_seen, event.name)


def sorted_events(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=sort_key)


# -- JSON -----------------------------------------------------------------------------

def write_jsonl(events: Iterable[Event], out: IO[str]) -> None:
    out.write("".join([record_line(e) + "\n" for e in events]))


def write_json(events: Iterable[Event], out: IO[str], *, array: bool = True) -> None:
    """An indented JSON array; with ``array=False`` one indented object after another
    (what ``kubectl get -w -o json`` prints, since a stream cannot be one array)."""
    records = [to_record(e) for e in events]
    if array:
        out.write(json.dumps(records, indent=2) + "\n" if records else "[]\n")
    else:
        out.write("".join(json.dumps(r, indent=2) + "\n" for r in records))


# -- raw: the objects as the server sent them -------------------------------------------


def raw_object(event: Event) -> dict[str, Any]:
    """The event's object as received. The API server sends a list's items without their
    apiVersion and kind; they get them first, as kubectl adds them. What history read
    from OpenSearch is the exporter's document, as stored."""
    obj = event.raw
    if event.api in (API_CORE, API_EVENTS) and "kind" not in obj:
        obj = {"apiVersion": event.api, "kind": "Event", **obj}
    return obj


def raw_list(events: Sequence[Event]) -> dict[str, Any]:
    """One list document, keys in kubectl's order: an ``EventList`` of the events' API
    (``v1`` unless the server only allowed events.k8s.io), a ``v1`` ``List`` when the
    items are not all the same API's Events (exporter documents, say)."""
    apis = {event.api for event in events}
    api, kind = "v1", "List"
    if apis <= {API_CORE} or (len(apis) == 1 and apis <= {API_EVENTS}):
        api, kind = next(iter(apis), API_CORE), "EventList"
    return {"apiVersion": api, "items": [raw_object(e) for e in events], "kind": kind,
            "metadata": {"resourceVersion": ""}}


def write_raw(events: Sequence[Event], out: IO[str], *, stream: bool = False) -> None:
    """``-o raw``: one list document; with ``stream`` (--watch) one object after another,
    as ``kubectl get -w -o json`` prints them. ASCII only: untrusted text is escaped."""
    if stream:
        out.write("".join(json.dumps(raw_object(e), indent=4) + "\n" for e in events))
    else:
        out.write(json.dumps(raw_list(events), indent=4) + "\n")


def write_raw_jsonl(events: Iterable[Event], out: IO[str]) -> None:
    """``-o raw-jsonl``: one object per line."""
    out.write("".join(json.dumps(raw_object(e), separators=(",", ":")) + "\n" for e in events))


# -- tables ---------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide/full-width chars take two, combining marks none."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char) or char in "\u200b\u200c\u200d\ufeff":
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def clip(text: str, limit: int = CELL_LIMIT) -> str:
    """Escape controls and clip to ``limit`` display columns (with an ellipsis)."""
    safe = one_line(text, limit * 4)
    if display_width(safe) <= limit:
        return safe
    out, width = [], 0
    for char in safe:
        w = display_width(char)
        if width + w > limit - 1:
            break
        out.append(char)
        width += w
    return "".join(out) + "…"


def last_seen(event: Event, now: float) -> str:
    if not event.time:
        return "<unknown>"
    age = human_duration(now - event.time)
    if event.count > 1 and event.first_seen:
        return f"{age} (x{event.count} over {human_duration(now - event.first_seen)})"
    return age


def table_rows(events: Sequence[Event], *, namespace_column: bool, now: float,
               context_column: bool = False) -> list[list[str]]:
    rows = []
    for e in events:
        obj = e.object.display if e.object.kind else e.object.name
        row = [last_seen(e, now), clip(e.type), clip(e.reason), clip(obj), one_line(e.message)]
        if e.expired:
            row[0] += " (expired)"
        if namespace_column:
            row.insert(0, clip(e.namespace))
        if context_column:
            row.insert(0, clip(e.context))
        rows.append(row)
    return rows


class TableWriter:
    """kubectl-style columns separated by three spaces, MESSAGE last and unpadded.

    Widths grow as rows come, so rows printed later under ``--watch`` line up with the
    first table as long as they fit, and never get cut.
    """

    def __init__(self, *, namespace_column: bool, context_column: bool = False) -> None:
        self.namespace_column = namespace_column
        self.context_column = context_column
        self.columns = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        if namespace_column:
            self.columns.insert(0, "NAMESPACE")
        if context_column:
            self.columns.insert(0, "CONTEXT")
        self.widths = [0] * (len(self.columns) - 1)

    def render(self, events: Sequence[Event], *, header: bool, now: float | None = None) -> str:
        rows = table_rows(
            events, namespace_column=self.namespace_column,
            now=time.time() if now is None else now, context_column=self.context_column,
        )
        if header:
            rows.insert(0, self.columns)
        for row in rows:
            for i, cell in enumerate(row[:-1]):
                self.widths[i] = max(self.widths[i], display_width(cell))
        lines = []
        for row in rows:
            cells = [
                c + " " * (w - display_width(c)) for c, w in zip(row, self.widths, strict=False)
            ]
            lines.append("   ".join([*cells, row[-1]]).rstrip())
        return "".join(line + "\n" for line in lines)


def render_table(
    events: Sequence[Event], *, namespace_column: bool, now: float | None = None
) -> str:
    """A whole table with its header."""
    return TableWriter(namespace_column=namespace_column).render(events, header=True, now=now)
