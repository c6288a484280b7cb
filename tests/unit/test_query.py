"""The filter language."""

from __future__ import annotations

import pytest

from ktui.model.event import from_core_v1
from ktui.model.query import Query, QueryError, parse_query
from tests.fixtures.seed_events import SCENARIO_A, SCENARIO_B, SCENARIO_C, core_event

EVENTS = [
    from_core_v1(core_event("a", reason="FailedMount", message=SCENARIO_A, type_="Warning",
                            name="scenario-a-1")),
    from_core_v1(core_event("b", reason="Failed", message=SCENARIO_B, type_="Warning",
                            name="scenario-b-1")),
    from_core_v1(core_event("c", reason="FailedScheduling", message=SCENARIO_C, type_="Warning",
                            name="scenario-c-1")),
    from_core_v1(core_event("d", reason="Pulled", message='Successfully pulled image "nginx"',
                            namespace="payments", name="web-1")),
    from_core_v1(core_event("e", reason="BackOff", message="Back-off restarting failed container",
                            type_="Warning", namespace="payments", name="web-1")),
    from_core_v1(core_event("f", reason="ScalingReplicaSet", kind="Deployment", name="web",
                            message="Scaled up replica set web-5cd5dcf7d7 to 3",
                            namespace="payments")),
]


def uids(text: str) -> list[str]:
    query = parse_query(text)
    return [event.uid for event in EVENTS if query.matches(event)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["a", "b", "c", "d", "e", "f"]),
        ("type:Warning", ["a", "b", "c", "e"]),
        ("type:warning ns:payments", ["e"]),
        ("ns:payments,test -type:warning", ["d", "f"]),
        ("reason~BackOff", ["e"]),
        ("reason~^failed", ["a", "b", "c"]),
        ("-reason:Pulled ns:payments", ["e", "f"]),
        ("kind:Deployment", ["f"]),
        ("name:web-1", ["d", "e"]),
        ("insufficient", ["b", "c"]),
        ("\"insufficient cpu\"", ["c"]),
        ("wrong-image pull", ["b"]),
        ('msg~"secret \\"misspelt"', ["a"]),
        ('"no preemption victims"', ["c"]),
        ("type:Warning ns:payments reason~BackOff -reason:Pulled kind:Pod name:web-1", ["e"]),
    ],
)
def test_queries_select_the_right_events(text: str, expected: list[str]) -> None:
    assert uids(text) == expected


def test_types_and_namespaces_from_toggles_combine_with_text() -> None:
    query = parse_query("reason~fail").with_types({"Warning"}).with_namespaces({"test"})
    assert [e.uid for e in query.filter(EVENTS)] == ["a", "b", "c"]
    assert Query().with_types({"Normal"}).filter(EVENTS)[0].uid == "d"


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("colour:red", "unknown field 'colour'", 0),
        ("type:Warning reason~(", "bad pattern", 13),
        ('msg~"open', "unclosed quote", 4),
        ("ns:", "needs a value", 0),
        ("-oops", "negate a field term", 0),
    ],
)
def test_bad_queries_say_what_and_where(text: str, fragment: str, position: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert fragment in str(caught.value)
    assert caught.value.position == position


def test_field_selector_never_narrows_more_than_the_client_filter() -> None:
    assert parse_query("type:warning ns:payments").field_selector() == (
        "type=Warning,metadata.namespace=payments"
    )
    # Case-sensitive on the server, so positive reason/kind terms stay client-side.
    assert parse_query("reason:backoff kind:pod").field_selector() == ""
    assert parse_query("-reason:Pulled").field_selector() == "reason!=Pulled"
    assert parse_query("ns:a,b reason~x").field_selector() == ""
    assert Query().with_types({"Warning"}).field_selector() == "type=Warning"


def test_describe_and_is_empty() -> None:
    assert Query().is_empty and Query().describe() == "all events"
    query = parse_query("reason~BackOff").with_types({"Warning"})
    assert not query.is_empty
    assert query.describe() == "type:Warning reason~BackOff"
