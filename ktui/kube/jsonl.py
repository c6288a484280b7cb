"""The fused JSON-lines path of ``ktui events -o jsonl``: list items straight to the
record's lines (:func:`ktui.model.record.line_of`'s bytes), one loop with no call per
field, for the objects of the plain shape; any other object goes to the general path
(:mod:`ktui.kube.decode`). ``tests/kube/test_kube_parse.py`` holds the rows equal to it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _esc
from typing import Any

# The timestamp parser the general path uses and the model's shapes: the same rules.
from ktui.kube.decode import TIME_CACHE_SIZE, cached_time
from ktui.model.event import API_CORE, API_EVENTS, format_time, shape_of

_EMPTY: dict[str, Any] = {}
_fromisoformat = datetime.fromisoformat
_fromtimestamp = datetime.fromtimestamp

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
        seconds = cached_time(value)
    if not seconds:
        text = "null"
    elif text is None:
        try:
            text = _esc(format_time(seconds))
        except (ValueError, OverflowError, OSError):
            text = None  # the general path raises what it raises
    if len(_stamps) >= TIME_CACHE_SIZE:
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
    (ref_key, source_key, message_key, controller_key, last_key, first_key, count_key,
     (foreign_a, foreign_b, foreign_c)) = shape_of(api)  # fmt: skip
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
