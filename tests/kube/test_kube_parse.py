"""The hot-path builder must give exactly the Event the model gives, for every shape."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from typing import Any

import pytest

from ktui.kube.decode import build, split_list
from ktui.model.event import Event, from_core_v1, from_events_v1
from ktui.model.record import to_record
from ktui.sim import SCENARIOS, SimCluster
from ktui.sim.apiserver.convert import to_events_v1


def assert_same(fast: Event, model: Event) -> None:
    for f in dataclasses.fields(Event):
        if f.name in ("raw_block", "raw_index"):
            assert fast.raw == model.raw
        else:
            assert getattr(fast, f.name) == getattr(model, f.name), f.name


def scenario_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for name in sorted(SCENARIOS):
        cluster = SimCluster(name="p", scenario=name, seed=3)
        objects.extend(cluster.events())
    cluster = SimCluster(name="p", scenario="empty", seed=3)
    cluster.load(300)
    objects.extend(cluster.events())
    return objects


OBJECTS = scenario_objects()


def odd_variants(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Shapes a hand-written or buggy object may have: each must still match the model."""
    out = []
    for key, value in [
        ("count", "7"),
        ("count", True),
        ("count", 0),
        ("count", -3),
        ("count", 2.5),
        ("lastTimestamp", 12),
        ("lastTimestamp", "garbage"),
        ("lastTimestamp", "0001-01-01T00:00:00Z"),
        ("message", 42),
        ("involvedObject", "pod/x"),
        ("involvedObject", {}),
        ("series", {"count": 4, "lastObservedTime": "2024-05-01T10:00:00.123456Z"}),
        ("series", {"count": "5"}),
        ("series", []),
        ("source", None),
        ("metadata", None),
        ("deprecatedCount", 9),
        ("type", None),
    ]:
        variant = copy.deepcopy(obj)
        variant[key] = value
        out.append(variant)
    variant = copy.deepcopy(obj)
    variant["metadata"].pop("uid", None)
    variant["metadata"]["resourceVersion"] = 17
    out.append(variant)
    return out


@pytest.mark.parametrize("keep_raw", [False, True])
def test_core_v1_equal_to_the_model(keep_raw: bool) -> None:
    assert len(OBJECTS) > 300
    for obj in OBJECTS:
        assert_same(
            build(obj, "v1", "ctx", keep_raw), from_core_v1(obj, context="ctx", keep_raw=keep_raw)
        )


@pytest.mark.parametrize("keep_raw", [False, True])
def test_events_v1_equal_to_the_model(keep_raw: bool) -> None:
    for obj in OBJECTS:
        new = to_events_v1(obj)
        assert_same(
            build(new, "events.k8s.io/v1", "ctx", keep_raw),
            from_events_v1(new, context="ctx", keep_raw=keep_raw),
        )


def test_odd_shapes_equal_to_the_model() -> None:
    base = OBJECTS[0]
    for variant in odd_variants(base):
        assert_same(build(variant, "v1", "c", True), from_core_v1(variant, context="c"))
        new = to_events_v1(base)
        new["deprecatedCount"] = variant.get("count")
        new["count"] = 3  # a core field on an events.k8s.io object
        assert_same(
            build(new, "events.k8s.io/v1", "c", False),
            from_events_v1(new, context="c", keep_raw=False),
        )


def test_raw_from_received_bytes() -> None:
    obj = OBJECTS[0]
    data = json.dumps(obj, ensure_ascii=False).encode()
    event = build(json.loads(data), "v1", "c", True, raw=data)
    assert event.raw == obj


def test_extracted_json_line_is_the_model_record() -> None:
    from ktui.cli.events_lines import fields_line
    from ktui.kube.decode import extract

    no_object = copy.deepcopy(OBJECTS[0])
    no_object["involvedObject"] = {}
    checked = 0
    for obj in [*OBJECTS, no_object, *odd_variants(OBJECTS[1])]:
        for api, model, shaped in (
            ("v1", from_core_v1, obj),
            ("events.k8s.io/v1", from_events_v1, to_events_v1(obj)),
        ):
            fields = extract(shaped, api)
            if fields is None:
                continue
            checked += 1
            line = fields_line(fields, "ctx")
            assert json.loads(line) == to_record(model(shaped, context="ctx", keep_raw=False))
    assert checked > 2 * len(OBJECTS)


def test_jsonl_rows_are_the_extracted_rows() -> None:
    """The fused fast path gives byte for byte the rows of extract + fields_line (or of the
    model, for what extract refuses), in order, for both APIs and every odd shape."""
    from ktui.cli.events_lines import Lines as _Lines
    from ktui.kube import jsonl as kube_parse
    from ktui.kube.jsonl import jsonl_rows

    slow_row = _Lines.slow_row
    objects: list[Any] = [*OBJECTS]
    no_object = copy.deepcopy(OBJECTS[0])
    no_object["involvedObject"] = {}
    objects.append(no_object)
    for base in OBJECTS[:3]:
        objects.extend(odd_variants(base))
        for key, value in [
            ("action", 5), ("action", []), ("reportingInstance", {"a": 1}),
            ("reportingComponent", 0), ("reportingComponent", ""), ("reportingComponent", 7),
            ("source", {"component": 3}), ("source", {"component": "", "host": False}),
            ("involvedObject", {"kind": "Pod", "apiVersion": 1, "fieldPath": [1]}),
            ("involvedObject", {"kind": 0, "name": "x"}),
            ("involvedObject", {"kind": "Pod", "namespace": 0}),
            ("involvedObject", {"kind": "Pod", "namespace": ""}),
            ("involvedObject", {"uid": 3}),
            ("involvedObject", None), ("source", []), ("series", "x"),
            ("type", 0), ("type", ""), ("reason", False), ("message", []),
            ("message", "caf\u00e9 \x1b[31m\"\\\u2028 \U0001f600"),
            ("count", 0), ("count", None),
            ("series", {"count": 0}), ("series", {"count": -1, "lastObservedTime": None}),
            ("series", {"count": 2, "lastObservedTime": 5}),
            ("series", {"lastObservedTime": "2024-05-01T10:00:00.000000Z"}),
            ("series", {"lastObservedTime": "2024-05-01T10:00:00.1Z"}),
            ("eventTime", "2024-05-01T10:00:00.999999Z"), ("eventTime", 3),
            ("lastTimestamp", None), ("lastTimestamp", ""), ("lastTimestamp", [1]),
            ("lastTimestamp", "1970-01-01T00:00:00Z"), ("lastTimestamp", "0999-05-01T10:00:00Z"),
            ("lastTimestamp", "2024-02-30T10:00:00Z"),
            ("lastTimestamp", "2024-05-01T10:00:00+02:00"),
            ("lastTimestamp", "9999-12-31T23:59:59Z"), ("lastTimestamp", " 2024-05-01T10:00:00Z"),
            ("lastTimestamp", "2024-05-01T10:00:00.123456789Z"), ("firstTimestamp", None),
            ("firstTimestamp", "garbage"), ("firstTimestamp", 1.5),
            ("deprecatedLastTimestamp", "2024-05-01T10:00:00Z"), ("lastTimestamp", "\u0661" * 4),
        ]:  # fmt: skip
            variant = copy.deepcopy(base)
            variant[key] = value
            objects.append(variant)
        for meta_key, value in [
            ("namespace", None), ("namespace", 0), ("namespace", ""), ("name", None),
            ("name", 5), ("uid", ""), ("uid", 0), ("uid", None), ("resourceVersion", None),
            ("creationTimestamp", None), ("creationTimestamp", 9), ("name", "ünï\x00"),
        ]:  # fmt: skip
            variant = copy.deepcopy(base)
            variant["metadata"][meta_key] = value
            objects.append(variant)
        bare = copy.deepcopy(base)  # no timestamp at all: time 0, printed as null
        for key in ("lastTimestamp", "firstTimestamp", "eventTime", "series"):
            bare.pop(key, None)
        bare["metadata"].pop("creationTimestamp", None)
        objects.append(bare)
    objects.extend(["not an object", None, {"metadata": []}])
    checked = 0
    for api in ("v1", "events.k8s.io/v1"):
        shaped = [
            to_events_v1(obj) if api != "v1" and isinstance(obj, dict) and "metadata" in obj
            and isinstance(obj["metadata"], dict) else obj
            for obj in objects
        ]  # fmt: skip
        shaped = [obj for obj in shaped if isinstance(obj, dict)]
        expected = [slow_row(obj, api, "ctx \u00e9") for obj in shaped]
        slow = functools.partial(slow_row, api=api, context="ctx \u00e9")
        for cold in (True, False):  # the timestamp cache empty, then full
            if cold:
                kube_parse._stamps.clear()
            fast = jsonl_rows(shaped, api, "ctx \u00e9", slow)
            assert fast == expected
            checked += len(fast)
    assert checked > 4 * len(OBJECTS)
    # A time that cannot be printed fails as it did (format_time's error), not otherwise.
    for key in ("lastTimestamp", "firstTimestamp"):
        unprintable = copy.deepcopy(OBJECTS[0])
        unprintable[key] = "9999-12-31T23:59:59.999999Z"
        kube_parse._stamps.clear()
        for _ in range(2):
            with pytest.raises(ValueError):
                slow_row(unprintable, "v1", "c")
            with pytest.raises(ValueError):
                jsonl_rows([unprintable], "v1", "c", lambda o: slow_row(o, "v1", "c"))


# -- split_list: one parse of a list page, each item with its own bytes ----------------


def _page(items: list[dict[str, Any]], **dumps: Any) -> bytes:
    body = {"kind": "EventList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "77", "continue": "abc"}, "items": items}
    return json.dumps(body, **dumps).encode()


@pytest.mark.parametrize("style", [
    {"separators": (",", ":")},                      # the API server's compact JSON
    {"indent": 2},                                   # blanks everywhere
    {"ensure_ascii": False},                         # raw UTF-8 (Korean, RTL, emoji)
], ids=["compact", "indented", "utf8"])
def test_split_list_equals_json_loads_item_by_item(style: dict[str, Any]) -> None:
    body = _page(OBJECTS, **style)
    head, pairs = split_list(body)
    whole = json.loads(body)
    assert head == {k: v for k, v in whole.items() if k != "items"}
    assert [obj for obj, _ in pairs] == whole["items"]
    assert all(json.loads(raw) == obj for obj, raw in pairs)
    assert all(raw in body for _obj, raw in pairs)  # the very bytes sent
    # The raw bytes are what the event keeps: its raw reads back as the object.
    event = build(pairs[0][0], "v1", "ctx", True, pairs[0][1])
    assert event.raw == whole["items"][0]


def test_split_list_of_no_items_and_of_items_first() -> None:
    assert split_list(b'{"items":[],"metadata":{}}') == ({"metadata": {}}, [])
    head, pairs = split_list(b' { "items" : [ {"a":1} , {"b":[2]} ] , "kind":"EventList" } \n')
    assert head == {"kind": "EventList"} and pairs == [({"a": 1}, b'{"a":1}'),
                                                       ({"b": [2]}, b'{"b":[2]}')]


@pytest.mark.parametrize("body", [
    b"", b"[]", b'{"items":[{"a":1}', b'{"items":[{"a":1}]', b'{"items":[1 2]}',
    b'{"items":[]} trailing', b'{"a" 1}', b"\xff\xfe", b'{"items":[{"a":nul}]}',
])
def test_split_list_refuses_what_is_not_a_list_body(body: bytes) -> None:
    with pytest.raises(ValueError):
        split_list(body)


def test_the_timestamp_cache_starts_over_when_full_and_gives_what_parse_time_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ktui.kube import decode
    from ktui.model.event import parse_time

    monkeypatch.setattr(decode, "TIME_CACHE_SIZE", 3)
    texts = [f"2026-12-03T12:00:0{i}Z" for i in range(6)] + ["nonsense", "", None]
    for _ in range(2):
        assert [decode.cached_time(text) for text in texts] == [parse_time(t) for t in texts]
        assert len(decode._times) <= 3 + 1 and decode._times[None] is None
    assert decode.cached_time(12) is None  # not text: parsed, never cached
