"""The hot-path builder must give exactly the Event the model gives, for every shape."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from ktui.model.event import Event, from_core_v1, from_events_v1
from ktui.sim import SCENARIOS, SimCluster
from ktui.sim.convert import to_events_v1
from ktui.sources.kube_parse import build


def assert_same(fast: Event, model: Event) -> None:
    for f in dataclasses.fields(Event):
        if f.name == "raw_compressed":
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
    from ktui.cli.events_cmd import fields_line
    from ktui.model.event import to_json_record
    from ktui.sources.kube_parse import extract

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
            assert json.loads(line) == to_json_record(model(shaped, context="ctx", keep_raw=False))
    assert checked > 2 * len(OBJECTS)
