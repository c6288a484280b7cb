"""ktui.cli.output: JSON lines equal to the model's records, inert and aligned tables."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ktui.cli.output import (
    TableWriter,
    clip,
    display_width,
    render_table,
    sorted_events,
    write_json,
)
from ktui.model.event import Event, ObjectRef, from_core_v1
from ktui.model.record import record_line, to_record
from ktui.model.timefmt import human_duration
from ktui.sim import SimCluster


@pytest.fixture(scope="module")
def hostile() -> list[Event]:
    cluster = SimCluster(name="h", scenario="hostile+demo", seed=2)
    return [from_core_v1(o, context="h", keep_raw=False) for o in cluster.events()]


def test_jsonl_line_is_the_model_record(hostile: list[Event]) -> None:
    odd = replace(hostile[0], expired=True, count_is_lower_bound=True, first_seen=0.0, time=0.0)
    for event in [*hostile, odd]:
        line = record_line(event)
        assert json.loads(line) == to_record(event)
        assert line.isascii() and "\n" not in line


def test_write_json_array_and_stream(hostile: list[Event]) -> None:
    class Out:
        text = ""

        def write(self, s: str) -> None:
            self.text += s

    out = Out()
    write_json(hostile[:3], out)  # type: ignore[arg-type]
    assert json.loads(out.text) == [to_record(e) for e in hostile[:3]]
    out.text = ""
    write_json([], out)  # type: ignore[arg-type]
    assert out.text == "[]\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (10799, "179m"),
        (10800, "3h"),
        (3 * 3600 + 1800, "3h30m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (800 * 86400, "2y70d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_age_is_kubernetes_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_width_counts_wide_and_combining_characters() -> None:
    assert display_width("abc") == 3
    assert display_width("파드") == 4
    assert display_width("e\u0301") == 1
    assert clip("x" * 100, 10) == "x" * 9 + "…"
    assert display_width(clip("파" * 50, 11)) <= 11
    assert clip("a\x1b[2Jb") == "a\\x1b[2Jb"


def make(name: str, reason: str, message: str, t: float, count: int = 1) -> Event:
    return Event(
        uid=name,
        name=name,
        namespace="ns",
        type="Warning",
        reason=reason,
        message=message,
        object=ObjectRef(kind="Pod", name=name),
        time=t,
        first_seen=t,
        count=count,
    )


def test_table_columns_align_by_display_width() -> None:
    now = 10_000.0
    events = [
        make("파드-1", "실패", "msg one", now - 300),
        make("web", "BackOff", "msg\ttwo\nthree", now - 7200, count=4),
    ]
    events[1] = replace(events[1], first_seen=now - 9000)
    text = render_table(events, namespace_column=True, now=now)
    lines = text.splitlines()
    widths = [display_width(line[: line.index("msg")]) for line in lines[1:]]
    assert len(set(widths)) == 1
    assert display_width(lines[0][: lines[0].index("MESSAGE")]) == widths[0]
    assert "120m (x4 over 150m)" in lines[2]
    assert "msg two\\nthree" in lines[2]


def test_table_writer_keeps_columns_for_later_rows() -> None:
    writer = TableWriter(namespace_column=False)
    first = writer.render([make("a", "Reason", "m1", 100.0)], header=True, now=200.0)
    later = writer.render([make("b", "R", "m2", 150.0)], header=False, now=200.0)
    assert first.splitlines()[1].index("m1") == later.index("m2")


def test_sorted_oldest_first_with_ties_by_first_seen_then_name() -> None:
    a = replace(make("b", "R", "", 5.0), first_seen=1.0)
    b = replace(make("a", "R", "", 5.0), first_seen=2.0)
    c = replace(make("a", "R", "", 5.0), first_seen=1.0, uid="c")
    d = make("z", "R", "", 1.0)
    assert [e.uid for e in sorted_events([a, b, c, d])] == ["z", "c", "b", "a"]
