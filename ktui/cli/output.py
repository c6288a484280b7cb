"""Printing events for ``ktui events``: time order, kubectl-like tables, JSON and JSON lines.

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
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _esc
from typing import IO, Any

from ktui.model.event import Event, format_time
from ktui.model.safe_text import one_line

FORMATS = ("table", "json", "jsonl")
CELL_LIMIT = 80  # display columns for every column but the last (MESSAGE)


def sort_key(event: Event) -> tuple[float, float, str]:
    """Oldest first, as ``kubectl events``; ties by first seen, then name."""
    return (event.time, event.first_seen, event.name)


def sorted_events(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=sort_key)


# -- JSON -----------------------------------------------------------------------------

# Events of one burst share their timestamps: format each distinct second once.
_format_time = lru_cache(maxsize=65536)(format_time)


def _record(event: Event) -> dict[str, Any]:
    # Same keys, same order and same values as ktui.model.event.to_json_record (a test
    # holds them equal); duplicated only to memoise format_time.
    return {
        "uid": event.uid,
        "resourceVersion": event.resource_version,
        "context": event.context,
        "namespace": event.namespace,
        "name": event.name,
        "type": event.type,
        "reason": event.reason,
        "message": event.message,
        "object": {
            "kind": event.object.kind,
            "name": event.object.name,
            "namespace": event.object.namespace,
            "uid": event.object.uid,
        },
        "count": event.count,
        "count_is_lower_bound": event.count_is_lower_bound,
        "first_seen": _format_time(event.first_seen) if event.first_seen else None,
        "last_seen": _format_time(event.time) if event.time else None,
        "source": event.source,
        "api": event.api,
        "expired": event.expired,
    }


json_record = _record  # the public name


_BOOL = {True: "true", False: "false"}


def _time(seconds: float) -> str:
    return _esc(_format_time(seconds)) if seconds else "null"


def jsonl_line(event: Event) -> str:
    """``to_json_record(event)`` as one compact ASCII JSON line."""
    o = event.object
    return record_line(
        event.uid, event.resource_version, event.context, event.namespace, event.name,
        event.type, event.reason, event.message, o.kind, o.name, o.namespace, o.uid,
        event.count, event.count_is_lower_bound, event.first_seen, event.time, event.source,
        event.api, event.expired,
    )  # fmt: skip


def record_line(
    uid: str, resource_version: str, context: str, namespace: str, name: str, type_: str,
    reason: str, message: str, kind: str, object_name: str, object_namespace: str,
    object_uid: str, count: int, count_is_lower_bound: bool, first_seen: float, time: float,
    source: str, api: str, expired: bool,
) -> str:  # fmt: skip
    """The record of :func:`ktui.model.event.to_json_record`, from its values.

    Written as a template rather than dict + ``json.dumps``: it is twice as fast, and the
    output of ``ktui events -A -o jsonl`` is on the path the performance bar measures. A
    test holds ``json.loads(jsonl_line(e)) == to_json_record(e)`` for hostile events too.
    """
    return (
        f'{{"uid":{_esc(uid)},"resourceVersion":{_esc(resource_version)},'
        f'"context":{_esc(context)},"namespace":{_esc(namespace)},'
        f'"name":{_esc(name)},"type":{_esc(type_)},"reason":{_esc(reason)},'
        f'"message":{_esc(message)},"object":{{"kind":{_esc(kind)},'
        f'"name":{_esc(object_name)},"namespace":{_esc(object_namespace)},'
        f'"uid":{_esc(object_uid)}}},"count":{int(count)},'
        f'"count_is_lower_bound":{_BOOL[count_is_lower_bound]},'
        f'"first_seen":{_time(first_seen)},"last_seen":{_time(time)},'
        f'"source":{_esc(source)},"api":{_esc(api)},"expired":{_BOOL[expired]}}}'
    )


def write_jsonl(events: Iterable[Event], out: IO[str]) -> None:
    out.write("".join([jsonl_line(e) + "\n" for e in events]))


def write_json(events: Iterable[Event], out: IO[str], *, array: bool = True) -> None:
    """An indented JSON array; with ``array=False`` one indented object after another
    (what ``kubectl get -w -o json`` prints, since a stream cannot be one array)."""
    records = [_record(e) for e in events]
    if array:
        out.write(json.dumps(records, indent=2) + "\n" if records else "[]\n")
    else:
        out.write("".join(json.dumps(r, indent=2) + "\n" for r in records))


# -- tables ---------------------------------------------------------------------------


def human_age(seconds: float) -> str:
    """Kubernetes' HumanDuration (what kubectl prints in AGE and LAST SEEN columns)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


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
    age = human_age(now - event.time)
    if event.count > 1 and event.first_seen:
        return f"{age} (x{event.count} over {human_age(now - event.first_seen)})"
    return age


def table_rows(events: Sequence[Event], *, namespace_column: bool, now: float) -> list[list[str]]:
    rows = []
    for e in events:
        obj = e.object.display if e.object.kind else e.object.name
        row = [last_seen(e, now), clip(e.type), clip(e.reason), clip(obj), one_line(e.message)]
        if e.expired:
            row[0] += " (expired)"
        if namespace_column:
            row.insert(0, clip(e.namespace))
        rows.append(row)
    return rows


class TableWriter:
    """kubectl-style columns separated by three spaces, MESSAGE last and unpadded.

    Widths grow as rows come, so rows printed later under ``--watch`` line up with the
    first table as long as they fit, and never get cut.
    """

    def __init__(self, *, namespace_column: bool) -> None:
        self.namespace_column = namespace_column
        self.columns = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        if namespace_column:
            self.columns.insert(0, "NAMESPACE")
        self.widths = [0] * (len(self.columns) - 1)

    def render(self, events: Sequence[Event], *, header: bool, now: float | None = None) -> str:
        rows = table_rows(
            events, namespace_column=self.namespace_column, now=time.time() if now is None else now
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
