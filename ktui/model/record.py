"""The event record: the one field table behind every machine-readable writer.

``ktui events -o json`` and ``-o jsonl``, history's output and the detail pane all write
the record of :data:`FIELDS`. Its two writers are generated from the table when this
module loads: :func:`to_record` (a dict) and :func:`line_of` (the record as one compact
ASCII JSON line, from the values in table order, written as a single f-string because
``ktui events -A -o jsonl`` is on the path the performance bar measures; twice as fast as
a dict and ``json.dumps``). Adding a field is one row here; the fused list decoder
(:func:`ktui.kube.jsonl.jsonl_rows`) is held byte-equal to :func:`line_of` by its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from json import encoder
from typing import Any, Literal

from ktui.model.event import Event, format_time

Kind = Literal["str", "int", "bool", "time"]


@dataclass(frozen=True, slots=True)
class Field:
    """One key of the record: where it sits (``object.kind`` nests), how it is written,
    and the Event attribute path it comes from."""

    key: str
    kind: Kind
    attribute: str

    @property
    def argument(self) -> str:
        return self.key.replace(".", "_").replace("resourceVersion", "resource_version")


FIELDS: tuple[Field, ...] = (
    Field("uid", "str", "uid"),
    Field("resourceVersion", "str", "resource_version"),
    Field("context", "str", "context"),
    Field("namespace", "str", "namespace"),
    Field("name", "str", "name"),
    Field("type", "str", "type"),
    Field("reason", "str", "reason"),
    Field("message", "str", "message"),
    Field("object.kind", "str", "object.kind"),
    Field("object.name", "str", "object.name"),
    Field("object.namespace", "str", "object.namespace"),
    Field("object.uid", "str", "object.uid"),
    Field("count", "int", "count"),
    Field("count_is_lower_bound", "bool", "count_is_lower_bound"),
    Field("first_seen", "time", "first_seen"),
    Field("last_seen", "time", "time"),
    Field("source", "str", "source"),
    Field("api", "str", "api"),
    Field("expired", "bool", "expired"),
)

RECORD_KEYS = tuple(dict.fromkeys(field.key.split(".")[0] for field in FIELDS))

# Events of one burst share their timestamps: format each distinct second once.
time_text = lru_cache(maxsize=65536)(format_time)
esc = encoder.encode_basestring_ascii  # a JSON string literal, ASCII only (C)
_BOOL = {True: "true", False: "false"}


def _time_json(seconds: float) -> str:
    return esc(time_text(seconds)) if seconds else "null"


def _time_value(seconds: float) -> str | None:
    return time_text(seconds) if seconds else None


def _nested(fields: tuple[Field, ...], leaf: Callable[[Field], str],
            entry: Callable[[str, str], str], join: Callable[[list[str]], str]) -> str:
    """The record's source text: ``leaf`` per field, ``object.*`` keys nested once."""
    parts: list[str] = []
    done: set[str] = set()
    for field in fields:
        head, _, _ = field.key.partition(".")
        if "." not in field.key:
            parts.append(entry(head, leaf(field)))
        elif head not in done:
            done.add(head)
            inner = [entry(f.key.partition(".")[2], leaf(f)) for f in fields
                     if f.key.partition(".")[0] == head]
            parts.append(entry(head, join(inner)))
    return join(parts)


def _generate() -> dict[str, Any]:
    value = {"str": "{x}", "int": "{x}", "bool": "{x}", "time": "_time_value({x})"}
    record_src = _nested(
        FIELDS, lambda f: value[f.kind].format(x=f"e.{f.attribute}"),
        lambda key, text: f"{key!r}: {text}", lambda items: "{" + ", ".join(items) + "}",
    )
    json_value = {"str": "{{esc({x})}}", "int": "{{int({x})}}", "bool": "{{_BOOL[{x}]}}",
                  "time": "{{_time_json({x})}}"}

    def line_src(expression: Callable[[Field], str]) -> str:
        return _nested(
            FIELDS, lambda f: json_value[f.kind].format(x=expression(f)),
            lambda key, text: f'"{key}":{text}', lambda items: "{{" + ",".join(items) + "}}",
        )

    arguments = ", ".join(field.argument for field in FIELDS)
    source = (
        f"def to_record(e):\n    return {record_src}\n\n"
        f"def record_line(e):\n    return f'{line_src(lambda f: 'e.' + f.attribute)}'\n\n"
        f"def line_of({arguments}):\n    return f'{line_src(lambda f: f.argument)}'\n"
    )
    namespace: dict[str, Any] = {"esc": esc, "_BOOL": _BOOL, "_time_json": _time_json,
                                 "_time_value": _time_value}
    exec(compile(source, "<ktui.model.record>", "exec"), namespace)  # our own table, no input
    return namespace


_generated = _generate()

to_record: Callable[[Event], dict[str, Any]] = _generated["to_record"]
"""The stable machine-readable shape printed by ``ktui events -o json/jsonl``."""

record_line: Callable[[Event], str] = _generated["record_line"]
"""``to_record(event)`` as one compact ASCII JSON line."""

line_of: Callable[..., str] = _generated["line_of"]
"""The record of values given in :data:`FIELDS` order (times as epoch seconds, 0 for
none) as one compact ASCII JSON line: for writers that never build an Event."""

ORIGIN_KEY = "origin"
"""The merged timeline's extra key (:mod:`ktui.model.timeline`): where a record came from,
``live``, ``archive`` or ``opensearch``. Only that output has it: every other listing
stays exactly the table's."""


def record_with_origin(event: Event, origin: str) -> dict[str, Any]:
    """:func:`to_record` plus ``"origin"``, last."""
    record = to_record(event)
    record[ORIGIN_KEY] = origin
    return record


def line_with_origin(event: Event, origin: str) -> str:
    """:func:`record_line` plus ``"origin"``, last: the record's line with its closing
    brace moved after one more key (the origin is one of three fixed words)."""
    return f'{record_line(event)[:-1]},"{ORIGIN_KEY}":{esc(origin)}}}'
