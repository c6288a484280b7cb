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
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _esc
from typing import Any, NamedTuple, cast

from ktui.model.event import (
    API_CORE,
    API_EVENTS,
    EMPTY_REF,
    Event,
    format_time,
    from_core_v1,
    from_events_v1,
    object_ref,
    parse_time,
    raw_json,
)
from ktui.model.rawblock import RawBlock, RawPacker
from ktui.model.sharing import shared_message

_intern = sys.intern
_times: dict[str, float | None] = {}
_TIME_CACHE = 100_000


def _t(value: Any) -> float | None:
    if value is None:
        return None
    if value.__class__ is str:
        try:
            return _times[value]
        except KeyError:
            parsed = parse_time(value)
            if len(_times) >= _TIME_CACHE:
                _times.clear()
            _times[value] = parsed
            return parsed
    return parse_time(value)


_TEXT = frozenset({str, type(None)})
_CORE_KEYS = (
    "involvedObject",
    "source",
    "message",
    "reportingComponent",
    "lastTimestamp",
    "firstTimestamp",
)
_NEW_KEYS = (
    "regarding",
    "deprecatedSource",
    "note",
    "reportingController",
    "deprecatedLastTimestamp",
    "deprecatedFirstTimestamp",
)
# Keys the model reads whatever the API: present on the other API's object, the model
# decides (never on what a real server sends).
_CORE_FOREIGN = ("deprecatedLastTimestamp", "deprecatedFirstTimestamp", "deprecatedCount")
_NEW_FOREIGN = ("lastTimestamp", "firstTimestamp", "count")
_EMPTY: dict[str, Any] = {}
_new_tuple = tuple.__new__
_fromisoformat = datetime.fromisoformat
_fromtimestamp = datetime.fromtimestamp


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
    head: dict[str, Any] = {}
    items: list[tuple[Any, bytes]] = []
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
                    items.append((obj, text[at:end].encode("utf-8")))
                    at = _skip(text, end)
                    if text[at] == ",":
                        at = _skip(text, at + 1)
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
    namespace = _intern(f.namespace)
    ref = EMPTY_REF
    if f.has_object:
        ref = object_ref(  # shared by the events of one object
            _intern(f.object_kind),
            f.object_name,
            _intern(f.object_namespace),
            f.object_uid,
            _intern(f.object_api_version),
            f.object_field_path,
            context=context,
        )
    return Event(
        uid=f.uid,
        namespace=namespace,
        type=_intern(f.type),
        reason=_intern(f.reason),
        message=shared_message(f.message),
        object=ref,
        name=f.name,
        context=_intern(context),
        source_component=_intern(f.source_component),
        source_host=_intern(f.source_host),
        reporting_controller=_intern(f.reporting_controller),
        reporting_instance=_intern(f.reporting_instance),
        action=_intern(f.action),
        count=f.repeats,
        first_seen=f.first_seen,
        time=f.time,
        resource_version=f.resource_version,
        api=f.api,
        raw_block=block,
        raw_index=index,
    )


def extract(obj: Mapping[str, Any], api: str) -> Fields | None:
    """The normalised values, or None when ``obj`` is not plain JSON of the expected types
    (then only the model's functions know what to make of it)."""
    if obj.__class__ is not dict:
        return None
    core = api == API_CORE
    get = obj.get
    ref_key, source_key, message_key, controller_key, last_key, first_key = (
        _CORE_KEYS if core else _NEW_KEYS
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
    for key in _CORE_FOREIGN if core else _NEW_FOREIGN:
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
    if not {value.__class__ for value in texts} <= _TEXT:
        return None
    (namespace, name, uid, rv, created, kind, reason, action, instance, message, controller,
     last, event_time, first, observed, component, host, r_kind, r_name, r_namespace, r_uid,
     r_api, r_path) = texts  # fmt: skip

    count = 1
    for candidate in (series.get("count"), get("count" if core else "deprecatedCount")):
        if candidate is None:
            continue
        if candidate.__class__ is not int:
            return None  # strings, floats, bools: the model's rules
        if candidate > 0:
            count = candidate
            break

    # The time chain of ktui.model.event.time_of / first_seen_of.
    t_observed, t_last, t_event, t_first, t_created = (
        _t(observed), _t(last), _t(event_time), _t(first), _t(created)
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

Row = tuple[float, float, str, str]  # (time, first_seen, name, JSON line): sorted, printed


class _Slow(Exception):
    """This object is not of the plain shape: the row comes from the general path."""


# A timestamp as received -> (POSIX seconds or None, the JSON text of its formatted value:
# "null" for 0, None when it cannot be formatted).
_stamps: dict[str, tuple[float | None, str | None]] = {}


_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z")


def _stamp(value: Any) -> tuple[float | None, str | None]:
    if value.__class__ is not str:
        raise _Slow
    seconds: float | None = None
    text: str | None = None
    if _CANONICAL.fullmatch(value):
        # What the API server sends: parse_time and format_time take ~8 us (strftime is
        # slow); this is ~1 us. A canonical UTC stamp whose instant survives the float is
        # printed as received: format_time would write exactly these characters.
        try:
            moment: datetime | None = _fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.year > 1:
            seconds = moment.timestamp()
            try:
                same = _fromtimestamp(seconds, UTC) == moment
            except (ValueError, OverflowError, OSError):  # year 10000 once rounded
                same = False
            if same and moment.year >= 1000 and (moment.microsecond or len(value) == 20):
                text = f'"{value}"'
    else:
        seconds = _t(value)
    if not seconds:
        text = "null"
    elif text is None:
        try:
            text = _esc(format_time(seconds))
        except (ValueError, OverflowError, OSError):
            text = None  # the general path raises what it raises
    if len(_stamps) >= _TIME_CACHE:
        _stamps.clear()
    _stamps[value] = result = (seconds, text)
    return result


_NO_STAMP: tuple[None, None] = (None, None)


def jsonl_rows(items: list[Any], api: str, context: str, slow: Callable[[Any], Row]) -> list[Row]:
    """``(time, first_seen, name, line)`` of each object, the line byte for byte
    ``fields_line(extract(obj, api), context)`` (``ktui.cli.events_cmd``): :func:`extract`
    and :func:`ktui.model.record.line_of` fused into one loop with no call per field.

    An object of any other shape, or whose timestamp cannot be printed, gets ``slow(obj)``
    (extract, or the model). The five values the line does not show (action,
    reportingInstance, source host, the object's apiVersion and fieldPath) are not checked:
    whatever they hold, the model's record is the same. ``tests/kube/test_kube_parse.py``
    holds the rows equal to that path's for every scenario and odd shape.
    """
    core = api == API_CORE
    ref_key, source_key, message_key, controller_key, last_key, first_key = (
        _CORE_KEYS if core else _NEW_KEYS
    )
    foreign_a, foreign_b, foreign_c = _CORE_FOREIGN if core else _NEW_FOREIGN
    count_key = "count" if core else "deprecatedCount"
    tail = f',"api":{_esc(API_CORE if core else API_EVENTS)},"expired":false}}'
    ctx = _esc(context)
    stamp = _stamps.get
    q = '""'
    rows: list[Row] = []
    append = rows.append
    for obj in items:
        try:
            if obj.__class__ is not dict:
                raise _Slow
            get = obj.get
            meta = get("metadata")
            if meta.__class__ is not dict:
                raise _Slow
            ref = get(ref_key)
            source = get(source_key)
            series = get("series")
            if ref is None:
                ref = _EMPTY
            elif ref.__class__ is not dict:
                raise _Slow
            if source is None:
                source = _EMPTY
            elif source.__class__ is not dict:
                raise _Slow
            if series is None:
                series = _EMPTY
            elif series.__class__ is not dict:
                raise _Slow
            if foreign_a in obj or foreign_b in obj or foreign_c in obj:
                raise _Slow
            mget = meta.get
            rget = ref.get
            namespace = mget("namespace")
            name = mget("name")
            uid = mget("uid")
            if namespace is None:
                namespace = ""
            if name is None:
                name = ""
            # _esc raises TypeError for anything but a str: those objects take the slow path
            ns_text = _esc(namespace)
            name_text = _esc(name)
            if not uid:
                if uid is not None and uid.__class__ is not str:
                    raise _Slow
                uid = f"{namespace}/{name}"
            controller = get(controller_key)
            component = source.get("component")
            if component is not None and component.__class__ is not str:
                raise _Slow
            if not controller:
                if controller is not None and controller.__class__ is not str:
                    raise _Slow
                controller = component or ""
            if ref:
                r_ns = rget("namespace")
                if not r_ns:
                    if r_ns is not None and r_ns.__class__ is not str:
                        raise _Slow
                    r_ns = namespace
                r_kind = rget("kind")
                r_name = rget("name")
                r_uid = rget("uid")
                obj_text = (
                    f'"object":{{"kind":{q if r_kind is None else _esc(r_kind)},'
                    f'"name":{q if r_name is None else _esc(r_name)},'
                    f'"namespace":{_esc(r_ns)},'
                    f'"uid":{q if r_uid is None else _esc(r_uid)}}}'
                )
            else:
                obj_text = '"object":{"kind":"","name":"","namespace":"","uid":""}'

            count = 1
            candidate = series.get("count")
            if candidate is not None:
                if candidate.__class__ is not int:
                    raise _Slow
                if candidate > 0:
                    count = candidate
                    candidate = None
                else:
                    candidate = get(count_key)
            else:
                candidate = get(count_key)
            if candidate is not None:
                if candidate.__class__ is not int:
                    raise _Slow
                if candidate > 0:
                    count = candidate

            # The time chain of extract (every timestamp is checked, as extract does).
            observed = series.get("lastObservedTime")
            last = get(last_key)
            event_time = get("eventTime")
            first = get(first_key)
            created = mget("creationTimestamp")
            s_observed = _NO_STAMP if observed is None else stamp(observed) or _stamp(observed)
            s_last = _NO_STAMP if last is None else stamp(last) or _stamp(last)
            s_event = _NO_STAMP if event_time is None else stamp(event_time) or _stamp(event_time)
            s_first = _NO_STAMP if first is None else stamp(first) or _stamp(first)
            s_created = _NO_STAMP if created is None else stamp(created) or _stamp(created)
            time, time_text = s_observed
            if time is None:
                time, time_text = s_last
                if time is None:
                    time, time_text = s_event
                    if time is None:
                        time, time_text = s_first
                        if time is None:
                            time, time_text = s_created
                            if time is None:
                                time, time_text = 0.0, "null"
            first_seen, first_text = s_first
            if first_seen is None:
                first_seen, first_text = s_event
                if first_seen is None:
                    first_seen, first_text = s_created
                    if first_seen is None:
                        first_seen, first_text = time, time_text
            if time_text is None or first_text is None:
                raise _Slow

            type_ = get("type")
            reason = get("reason")
            message = get(message_key)
            rv = mget("resourceVersion")
            line = (
                f'{{"uid":{_esc(uid)},"resourceVersion":{q if rv is None else _esc(rv)},'
                f'"context":{ctx},"namespace":{ns_text},"name":{name_text},'
                f'"type":{q if type_ is None else _esc(type_)},'
                f'"reason":{q if reason is None else _esc(reason)},'
                f'"message":{q if message is None else _esc(message)},{obj_text},'
                f'"count":{count},"count_is_lower_bound":false,'
                f'"first_seen":{first_text},"last_seen":{time_text},'
                f'"source":{_esc(controller)}{tail}'
            )
        except (_Slow, TypeError):
            append(slow(obj))
            continue
        append((time, first_seen, name, line))
    return rows
