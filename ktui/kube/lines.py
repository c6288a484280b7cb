"""What the API server sent, checked for shape: watch lines and list pages into Events.

An API server sends every watch event's ``object`` and every list item as a JSON object.
Anything else (a line that is not JSON, an event or bookmark whose object is null, a
list or a string, a list item that is null...) comes from a broken proxy or a server bug;
it is skipped and counted, and the stream or list goes on. Only an answer that is not a
list at all is an error (:class:`MalformedAnswer`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ktui.kube.decode import split_list
from ktui.model.event import Event

# The annotation of the bookmark that ends a streaming list's initial events
INITIAL_EVENTS_END = "k8s.io/initial-events-end"

_loads = json.loads
Build = Callable[[dict[str, Any], "bytes | None"], Event]
Raw = Callable[[bytes, str], "bytes | None"]


@dataclass(slots=True)
class Lines:
    """A chunk of watch lines, read."""

    upserts: list[Event] = field(default_factory=list)
    deleted: list[Event] = field(default_factory=list)  # marked expired
    rv: str = ""  # the last resourceVersion of an event or bookmark ('' for none)
    bookmark_rv: str = ""  # the last bookmark's
    bookmarks: int = 0
    initial_end: bool = False  # a bookmark carried k8s.io/initial-events-end
    read: int = 0  # lines read: all, or up to the first bookmark with ``until_bookmark``
    gone: bool = False  # an ERROR event with code 410
    error: str | None = None  # the text of another ERROR event
    skipped: int = 0

    @property
    def events(self) -> int:
        """Events and bookmarks, as client-go counts them for its short-watch rule."""
        return len(self.upserts) + len(self.deleted) + self.bookmarks


def read_lines(
    lines: list[bytes], build: Build, raw: Raw, *, until_bookmark: bool = False
) -> Lines:
    """Read watch lines up to an ERROR event (which ends the stream) or, with
    ``until_bookmark``, the first bookmark (the rest is read by the caller, differently)."""
    out = Lines()
    upserts, deleted = out.upserts, out.deleted
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            message = _loads(line)
            kind = message["type"]
            obj = message["object"]
        except (ValueError, KeyError, TypeError):
            out.skipped += 1  # one odd line must not kill the stream
            continue
        if obj.__class__ is not dict:
            if kind == "ERROR":  # still the end of the stream, whatever it holds
                out.error, out.read = "watch error", index + 1
                return out
            out.skipped += 1
            continue
        if kind == "ADDED" or kind == "MODIFIED":
            event = build(obj, raw(line, kind))
            upserts.append(event)
            out.rv = event.resource_version or out.rv
        elif kind == "DELETED":
            event = build(obj, raw(line, kind)).as_expired()
            deleted.append(event)
            out.rv = event.resource_version or out.rv
        elif kind == "BOOKMARK":
            meta = obj.get("metadata")
            if meta.__class__ is not dict:
                out.skipped += 1
                continue
            rv = meta.get("resourceVersion")
            if rv:
                out.rv = out.bookmark_rv = str(rv)
            out.bookmarks += 1
            notes = meta.get("annotations")
            if notes.__class__ is dict and notes.get(INITIAL_EVENTS_END) == "true":
                out.initial_end = True
            if until_bookmark:
                out.read = index + 1
                return out
        elif kind == "ERROR":
            code = obj.get("code")
            if code == 410:
                out.gone = True
            else:
                text = obj.get("message")
                out.error = f"watch error {code}: {text if isinstance(text, str) else ''}"
            out.read = index + 1
            return out
        else:
            out.skipped += 1  # a type no API server sends
    out.read = len(lines)
    return out


class MalformedAnswer(ValueError):
    """A list answer that is not a list at all (its text says what it is)."""


@dataclass(slots=True)
class Page:
    """A list page, read: its metadata, its items that are objects (and, when asked
    for, each one's JSON text), and how many items were not."""

    meta: dict[str, Any]
    items: list[dict[str, Any]]
    raws: list[bytes] | None
    skipped: int

    @property
    def rv(self) -> str:
        rv = self.meta.get("resourceVersion")
        return str(rv) if rv else ""

    @property
    def continue_token(self) -> str | None:
        token = self.meta.get("continue")
        return token if isinstance(token, str) and token else None


def read_page(body: bytes, with_raw: bool) -> Page:
    """Parse one list page; raises :class:`MalformedAnswer` for a body that is not a
    JSON object with a list of items."""
    pairs = None
    if with_raw:
        try:  # each item with its own bytes: compressed as they came
            data, pairs = split_list(body)
        except ValueError:
            pass
    if pairs is None:
        try:
            data = _loads(body)
        except ValueError:
            raise MalformedAnswer("not JSON") from None
        if data.__class__ is not dict:
            raise MalformedAnswer("not a JSON object")
    items = data.get("items") if pairs is None else [item for item, _raw in pairs]
    meta = data.get("metadata")
    if items is None:
        items = []
    elif items.__class__ is not list:
        raise MalformedAnswer("a list whose items are not a list")
    if meta is None:
        meta = {}
    elif meta.__class__ is not dict:
        raise MalformedAnswer("a list whose metadata is not an object")
    kept = [item for item in items if item.__class__ is dict]
    skipped = len(items) - len(kept)
    raws = None
    if pairs is not None:
        raws = [raw for item, raw in pairs if item.__class__ is dict] if skipped else [
            raw for _item, raw in pairs]
    return Page(meta, kept, raws, skipped)
