"""The Event model: normalisation of both APIs and exporter documents, the time chain."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from ktui.model.event import (
    API_EVENTS,
    API_EXPORTER,
    Event,
    count_of,
    format_time,
    from_core_v1,
    from_events_v1,
    from_exporter,
    from_object,
    make_event,
    parse_time,
    time_of,
)
from ktui.model.record import to_record
from tests.fixtures.seed_events import (
    EXPORTER_FAILED_SCHEDULING,
    HOSTILE_MESSAGES,
    SCALING_REPLICASET,
    core_event,
)


def test_core_v1_seed_event_normalises() -> None:
    event = from_core_v1(SCALING_REPLICASET, context="eks")
    assert event.uid == "e56aa6b2-9808-45a8-8863-ec9112f23822"
    assert (event.namespace, event.type, event.reason) == ("test", "Normal", "ScalingReplicaSet")
    assert event.object.kind == "Deployment" and event.object.name == "scenario-c"
    assert event.object.display == "deployment/scenario-c"
    assert event.source == "deployment-controller"
    assert event.count == 1 and event.resource_version == "1485955"
    assert format_time(event.time) == "2023-10-19T21:49:44Z"
    assert event.context == "eks"
    assert event.raw == SCALING_REPLICASET


def test_exporter_document_uses_series_time_and_marks_count_lower_bound() -> None:
    event = from_exporter(EXPORTER_FAILED_SCHEDULING)
    assert event.api == API_EXPORTER
    assert event.count_is_lower_bound
    # lastTimestamp is null: the time comes from series.lastObservedTime, first seen from eventTime.
    assert format_time(event.time) == "2023-06-05T13:59:40.953742Z"
    assert format_time(event.first_seen) == "2023-06-05T13:59:40.912723Z"
    assert event.source == "default-scheduler"


def test_events_v1_fields_map_to_the_same_event() -> None:
    new_api = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "p.1", "namespace": "test", "uid": "u-1", "resourceVersion": "7"},
        "regarding": {"kind": "Pod", "name": "p", "namespace": "test"},
        "note": "Successfully assigned test/p to node-1",
        "reason": "Scheduled",
        "type": "Normal",
        "eventTime": "2024-05-01T10:00:00.000001Z",
        "reportingController": "default-scheduler",
        "deprecatedCount": 4,
        "deprecatedSource": {"component": "default-scheduler", "host": "h"},
    }
    event = from_events_v1(new_api)
    assert event.api == API_EVENTS
    assert event.message == "Successfully assigned test/p to node-1"
    assert event.object.display == "pod/p"
    assert event.count == 4
    assert event.source_host == "h"
    assert from_object(new_api).api == API_EVENTS


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"series": {"lastObservedTime": "2024-01-01T00:00:05Z"}}, "2024-01-01T00:00:05Z"),
        ({"lastTimestamp": "2024-01-01T00:00:04Z"}, "2024-01-01T00:00:04Z"),
        ({"eventTime": "2024-01-01T00:00:03.5Z"}, "2024-01-01T00:00:03.500000Z"),
        ({"firstTimestamp": "2024-01-01T00:00:02Z"}, "2024-01-01T00:00:02Z"),
        ({}, "2024-01-01T00:00:01Z"),
    ],
)
def test_time_chain_order(patch: dict[str, object], expected: str) -> None:
    base: dict[str, object] = {
        "metadata": {"uid": "x", "creationTimestamp": "2024-01-01T00:00:01Z"},
        "lastTimestamp": None,
        "firstTimestamp": None,
        "eventTime": None,
    }
    base.update(patch)
    assert format_time(time_of(base)) == expected


def test_time_chain_prefers_series_over_last_timestamp() -> None:
    obj = core_event("u", last="2024-01-01T00:00:00Z")
    obj["series"] = {"count": 9, "lastObservedTime": "2024-01-01T01:00:00Z"}
    event = from_core_v1(obj)
    assert format_time(event.time) == "2024-01-01T01:00:00Z"
    assert event.count == 9


def test_nothing_missing_or_null_raises() -> None:
    for obj in (
        {},
        {"metadata": None, "involvedObject": None, "source": None, "series": None},
        {"metadata": {"uid": "u"}, "count": None, "type": None, "message": None},
        {"metadata": {"uid": "u"}, "count": "7", "involvedObject": "not a dict"},
        {"metadata": {"uid": 5, "namespace": 3}, "lastTimestamp": "garbage", "count": True},
        {"metadata": {"uid": "u"}, "lastTimestamp": "0001-01-01T00:00:00Z"},
    ):
        event = from_object(obj)
        assert event.count >= 1
        assert isinstance(event.message, str)
    assert from_object({"metadata": {"uid": "u"}, "count": "7"}).count == 7
    zero_time = {"metadata": {"uid": "u"}, "lastTimestamp": "0001-01-01T00:00:00Z"}
    assert from_object(zero_time).time == 0


def test_missing_involved_namespace_falls_back_to_event_namespace() -> None:
    obj = core_event("u", namespace="payments")
    del obj["involvedObject"]["namespace"]
    assert from_core_v1(obj).object.namespace == "payments"


def test_unknown_type_is_kept_verbatim() -> None:
    obj = core_event("u", type_="Critical")
    event = from_core_v1(obj)
    assert event.type == "Critical" and not event.is_warning


def test_nanosecond_and_offset_timestamps_parse() -> None:
    assert parse_time("2024-01-01T00:00:00.123456789Z") == pytest.approx(1704067200.123456)
    assert parse_time("2024-01-01T02:00:00+02:00") == 1704067200.0
    assert parse_time("") is None and parse_time(None) is None and parse_time(12) is None


def test_count_chain() -> None:
    assert count_of({"series": {"count": 3}, "count": 9}) == 3
    assert count_of({"count": 9}) == 9
    assert count_of({"deprecatedCount": 2}) == 2
    assert count_of({"count": 0}) == 1


def test_hostile_text_is_kept_as_data() -> None:
    for index, message in enumerate(HOSTILE_MESSAGES):
        obj = core_event(f"h{index}", message=message, reason=message[:40], name=message[:60])
        event = from_core_v1(copy.deepcopy(obj))
        assert event.message == message  # the model keeps it verbatim; display escapes it
        assert event.raw["message"] == message


def test_json_record_has_the_documented_fields() -> None:
    record = to_record(from_core_v1(SCALING_REPLICASET, context="c"))
    for key in ("uid", "resourceVersion", "namespace", "type", "reason", "message", "object",
                "count", "first_seen", "last_seen", "source", "context"):
        assert key in record
    assert record["last_seen"] == "2023-10-19T21:49:44Z"
    assert record["object"] == {
        "kind": "Deployment",
        "name": "scenario-c",
        "namespace": "test",
        "uid": "7b12f29b-2c83-4b3b-8aa3-a4c8b22d8a38",
    }


def test_raw_can_be_dropped() -> None:
    event = from_core_v1(SCALING_REPLICASET, keep_raw=False)
    assert event.raw == {} and event.reason == "ScalingReplicaSet"


def test_make_event_is_the_dataclass_event_and_as_frozen() -> None:
    model = from_core_v1(SCALING_REPLICASET, context="ctx")
    values = [getattr(model, f.name) for f in dataclasses.fields(Event)]
    fast = make_event(*values)
    assert type(fast) is Event
    assert [getattr(fast, f.name) for f in dataclasses.fields(Event)] == values
    assert fast == model and hash(fast) == hash(model) and fast.raw == model.raw
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.reason = "changed"  # type: ignore[misc]
    assert dataclasses.replace(fast, expired=True).expired and not fast.expired
