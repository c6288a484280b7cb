"""Building Events from API objects on the hot path, equal to the model's functions.

``ktui.model.event.from_core_v1`` / ``from_events_v1`` are written for any input (39
dict lookups and 31 isinstance checks per event); on a 20,000-event list they cost more
than fetching and ``json.loads`` together, which alone breaks the ``ktui events`` bar.
Objects that come from ``json.loads`` have a known shape, so this module builds the same
Event with a third of the work, and parses each distinct timestamp once (a burst shares
its seconds). ``tests/kube/test_kube_parse.py`` holds every field equal to the model's
result on the simulator's scenarios, hostile objects included; on any input that is not
plain JSON of the expected types it simply calls the model.

``extract`` gives the normalised values without an Event, for ``ktui events -o jsonl``,
which prints them and keeps nothing.

For list items and watch lines the raw object is kept as the bytes the server sent instead
of re-serialising the parsed dict (which costs as much as parsing it), in the blocks of the
stream's :class:`ktui.model.rawblock.RawPacker`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, NamedTuple, cast

from ktui.model.event import (
    API_CORE,
    API_EVENTS,
    CORE_SHAPE,
    EMPTY_REF,
    EVENTS_SHAPE,
    Event,
    from_core_v1,
    from_events_v1,
    make_event,
    object_ref,
    parse_time,
    raw_json,
)
from ktui.model.rawblock import RawBlock, RawPacker
from ktui.model.sharing import shared_message

_intern = sys.intern
TIME_CACHE_SIZE = 100_000
"""Distinct timestamps a cache keeps before it starts over (a burst shares its seconds)."""


class _Times(dict[str | None, float | None]):
    """Timestamp texts (and None) to their seconds: a hit is one lookup in C, the first
    sight of a text parses it (``__missing__``)."""

    def __missing__(self, value: str) -> float | None:
        parsed = parse_time(value)
        if len(self) >= TIME_CACHE_SIZE:
            self.clear()
            self[None] = None
        self[value] = parsed
        return parsed


_times = _Times({None: None})


def cached_time(value: Any) -> float | None:
    """``parse_time(value)``, each distinct timestamp text parsed once."""
    if value is None or value.__class__ is str:
        return _times[value]
    return parse_time(value)


_TEXT = frozenset({str, type(None)})
_all_text = _TEXT.issuperset  # over map(type, values): the check runs in C
_EMPTY: dict[str, Any] = {}
_new_tuple = tuple.__new__


class Fields(NamedTuple):
    """An event's normalised values, as the model would compute them (not interned)."""

    uid: str
    namespace: str
    name: str
    type: str
    reason: str
    message: str
    action: str
    reporting_instance: str
    reporting_controller: str
    source_component: str
    source_host: str
    object_kind: str
    object_name: str
    object_namespace: str
    object_uid: str
    object_api_version: str
    object_field_path: str
    has_object: bool
    repeats: int
    first_seen: float
    time: float
    resource_version: str
    api: str


# The C scanner json.loads uses; typeshed does not declare the attribute.
_SCAN: Callable[[str, int], tuple[Any, int]] = cast(Any, json.JSONDecoder()).scan_once
_SPACE = re.compile(r"[ \t\n\r]*")
_BLANKS = " \t\n\r"


def _skip(text: str, at: int) -> int:
    """The index of the next non-blank character (JSON's four blanks)."""
    match = _SPACE.match(text, at)
    return match.end() if match else at


def split_list(body: bytes) -> tuple[dict[str, Any], list[tuple[Any, bytes]]]:
    """A list response as (its top level without ``items``, each item with its own JSON
    text), parsed once by the C scanner. Keeping an event's raw object then compresses
    the bytes the server sent instead of serialising the parsed object again (a third of
    the cost of a listed event). Anything that is not a JSON object raises ValueError;
    callers fall back to ``json.loads``."""
    text = body.decode("utf-8")
    # ASCII (what an API server sends: json escapes the rest): a character's index is its
    # byte's, so an item's bytes are a slice of the body, not a slice encoded again.
    ascii_body = body if len(text) == len(body) else None
    head: dict[str, Any] = {}
    items: list[tuple[Any, bytes]] = []
    append = items.append
    at = _skip(text, 0)
    try:
        if text[at] != "{":
            raise ValueError("not a JSON object")
        at = _skip(text, at + 1)
        while text[at] != "}":
            key, at = _SCAN(text, at)
            at = _skip(text, at)
            if text[at] != ":":
                raise ValueError("expected ':'")
            at = _skip(text, at + 1)
            if key == "items" and text[at] == "[":
                at = _skip(text, at + 1)
                while text[at] != "]":
                    obj, end = _SCAN(text, at)
                    append((obj, ascii_body[at:end] if ascii_body is not None
                            else text[at:end].encode("utf-8")))
                    # compact JSON (the API server's) needs no look for blanks
                    at = end if text[end] in ",]" else _skip(text, end)
                    if text[at] == ",":
                        at += 1
                        if text[at] in _BLANKS:
                            at = _skip(text, at)
                    elif text[at] != "]":
                        raise ValueError("expected ',' or ']'")
                at += 1
            else:
                head[key], at = _SCAN(text, at)
            at = _skip(text, at)
            if text[at] == ",":
                at = _skip(text, at + 1)
            elif text[at] != "}":
                raise ValueError("expected ',' or '}'")
    except (StopIteration, IndexError) as error:
        raise ValueError(f"malformed list near character {at}") from error
    if text[at + 1 :].strip():
        raise ValueError("data after the list")
    return head, items


def build(
    obj: Mapping[str, Any],
    api: str,
    context: str,
    keep_raw: bool,
    raw: bytes | None = None,
    packer: RawPacker | None = None,
) -> Event:
    """The Event of a core/v1 (``api == "v1"``) or events.k8s.io/v1 object.

    ``raw``: the object's JSON as received, kept instead of re-serialising ``obj``.
    ``packer``: the stream's, which keeps it in a block with its neighbours (without one,
    in a block of its own).
    """
    block: RawBlock | None = None
    index = 0
    if keep_raw:
        text = raw if raw is not None else raw_json(obj)
        if packer is not None:
            block, index = packer.pack(text)
        else:
            block = RawBlock.single(text)
    f = extract(obj, api)
    if f is None:
        slow = from_core_v1 if api == API_CORE else from_events_v1
        event = slow(obj, context=context, keep_raw=False)
        return event if block is None else replace(event, raw_block=block, raw_index=index)
    # one unpacking, not 23 attribute reads
    (uid, namespace, name, kind, reason, message, action, instance, controller, component,
     host, r_kind, r_name, r_namespace, r_uid, r_api, r_path, has_object, repeats, first_seen,
     time, rv, api) = f  # fmt: skip
    intern = _intern
    ref = EMPTY_REF
    if has_object:
        ref = object_ref(  # shared by the events of one object
            intern(r_kind), r_name, intern(r_namespace), r_uid, intern(r_api), r_path,
            None, context,
        )
    # positional, in the order of Event's fields: make_event skips the frozen dataclass's
    # 23 object.__setattr__ calls
    return make_event(
        uid, intern(namespace), intern(kind), intern(reason), shared_message(message), ref,
        name, intern(context), "", intern(component), intern(host), intern(controller),
        intern(instance), intern(action), repeats, first_seen, time, rv, api, False, False,
        block, index,
    )


def extract(obj: Mapping[str, Any], api: str) -> Fields | None:
    """The normalised values, or None when ``obj`` is not plain JSON of the expected types
    (then only the model's functions know what to make of it)."""
    if obj.__class__ is not dict:
        return None
    core = api == API_CORE
    get = obj.get
    ref_key, source_key, message_key, controller_key, last_key, first_key, count_key, foreign = (
        CORE_SHAPE if core else EVENTS_SHAPE
    )
    meta = get("metadata")
    ref_value = get(ref_key)
    source = get(source_key)
    series = get("series")
    if meta.__class__ is not dict:
        return None
    for value in (ref_value, source, series):
        if value is not None and value.__class__ is not dict:
            return None
    for key in foreign:
        if key in obj:
            return None
    ref_value = ref_value or _EMPTY
    source = source or _EMPTY
    series = series or _EMPTY
    mget, rget = meta.get, ref_value.get
    texts = (
        mget("namespace"), mget("name"), mget("uid"), mget("resourceVersion"),
        mget("creationTimestamp"), get("type"), get("reason"), get("action"),
        get("reportingInstance"), get(message_key), get(controller_key), get(last_key),
        get("eventTime"), get(first_key), series.get("lastObservedTime"),
        source.get("component"), source.get("host"), rget("kind"), rget("name"),
        rget("namespace"), rget("uid"), rget("apiVersion"), rget("fieldPath"),
    )  # fmt: skip
    if not _all_text(map(type, texts)):
        return None
    (namespace, name, uid, rv, created, kind, reason, action, instance, message, controller,
     last, event_time, first, observed, component, host, r_kind, r_name, r_namespace, r_uid,
     r_api, r_path) = texts  # fmt: skip

    count = 1
    for candidate in (series.get("count"), get(count_key)):
        if candidate is None:
            continue
        if candidate.__class__ is not int:
            return None  # strings, floats, bools: the model's rules
        if candidate > 0:
            count = candidate
            break

    # The time chain of ktui.model.event.time_of / first_seen_of (texts or None, here).
    times = _times
    t_observed, t_last, t_event, t_first, t_created = (
        times[observed], times[last], times[event_time], times[first], times[created]
    )  # fmt: skip
    time = t_observed
    if time is None:
        time = t_last if t_last is not None else t_event
        if time is None:
            time = t_first if t_first is not None else t_created
            if time is None:
                time = 0.0
    first_seen = t_first if t_first is not None else t_event
    if first_seen is None:
        first_seen = t_created if t_created is not None else time

    namespace = namespace or ""
    name = name or ""
    # tuple.__new__ skips the NamedTuple's Python-level __new__ (a third of a microsecond).
    return _new_tuple(Fields, (
        uid or f"{namespace}/{name}", namespace, name, kind or "", reason or "",
        message or "", action or "", instance or "", controller or "", component or "",
        host or "", r_kind or "", r_name or "", r_namespace or namespace, r_uid or "",
        r_api or "", r_path or "", bool(ref_value), count, first_seen, time, rv or "",
        API_CORE if core else API_EVENTS,
    ))  # fmt: skip


# -- JSON lines straight from the objects (``ktui events -A -o jsonl``) -------------------

