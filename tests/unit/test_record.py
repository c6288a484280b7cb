"""The record's one field table: every writer generated from it agrees with it."""

from __future__ import annotations

import json

from ktui.model.event import Event, ObjectRef
from ktui.model.record import FIELDS, RECORD_KEYS, line_of, record_line, to_record


def _event() -> Event:
    return Event(
        uid="u-1", resource_version="7", context="ctx", namespace="ns", name="e.1",
        type="Warning", reason="BackOff", message='quote " backslash \\ newline \n é \x1b[31m',
        object=ObjectRef(kind="Pod", name="web-1", namespace="ns", uid="p-1"),
        count=3, count_is_lower_bound=True, first_seen=1_700_000_000.0,
        time=1_700_000_060.5, reporting_controller="kubelet", api="v1", expired=True,
    )


def test_the_record_has_the_keys_of_the_table_in_order() -> None:
    record = to_record(_event())
    assert tuple(record) == RECORD_KEYS
    assert set(record["object"]) == {"kind", "name", "namespace", "uid"}
    assert record["last_seen"] == "2023-11-14T22:14:20.500000Z" and record["expired"] is True


def test_the_line_is_the_record_as_ascii_json() -> None:
    event = _event()
    line = record_line(event)
    assert line.isascii() and "\n" not in line
    assert json.loads(line) == to_record(event)


def test_line_of_takes_the_values_in_table_order() -> None:
    event = _event()
    values = []
    for field in FIELDS:
        value: object = event
        for part in field.attribute.split("."):
            value = getattr(value, part)
        values.append(value)
    assert line_of(*values) == record_line(event)


def test_no_time_is_null() -> None:
    record = to_record(Event(uid="x"))
    assert record["first_seen"] is None and record["last_seen"] is None
    assert json.loads(record_line(Event(uid="x"))) == record
