"""The merged timeline's rules (ktui.model.timeline) and its records' origin."""

from __future__ import annotations

import json

from ktui.model.event import Event
from ktui.model.query import parse_query
from ktui.model.record import line_with_origin, record_line, record_with_origin, to_record
from ktui.model.timeline import LIVE, OPENSEARCH, merge, newer, reaches_now
from ktui.model.timerange import TimeRange

T = 1_800_000_000.0


def ev(uid: str, t: float, count: int = 1, ns: str = "a", **kw: object) -> Event:
    return Event(uid=uid, time=t, first_seen=t - 10, count=count, namespace=ns,
                 name=f"{uid}.{count}", **kw)  # type: ignore[arg-type]


def shown(entries: list) -> list[tuple[str, int, str, bool]]:  # type: ignore[type-arg]
    return [(e.event.uid, e.event.count, e.origin, e.event.expired) for e in entries]


def test_the_live_version_wins_even_over_a_bigger_stored_one() -> None:
    stored = [ev("x", T + 50, count=9)]
    live = [ev("x", T + 10, count=2)]
    assert shown(merge(stored, live, origin=OPENSEARCH)) == [("x", 2, LIVE, False)]


def test_stored_versions_the_later_then_the_bigger_count() -> None:
    stored = [ev("a", T, 1), ev("a", T + 5, 2), ev("a", T + 1, 7),
              ev("b", T, 3), ev("b", T, 4), ev("b", T, 2)]
    got = merge(stored, None, origin=OPENSEARCH)
    assert shown(got) == [("b", 4, OPENSEARCH, False), ("a", 2, OPENSEARCH, False)]
    assert newer(ev("c", T, 2), ev("c", T, 1)) and not newer(ev("c", T, 1), ev("c", T, 1))


def test_stored_only_events_in_the_live_scope_are_expired() -> None:
    stored = [ev("gone", T, ns="a"), ev("elsewhere", T + 1, ns="b"), ev("was", T + 2, ns="a",
                                                                        expired=True)]
    got = merge(stored, [ev("here", T + 3)], origin=OPENSEARCH, live_scope=frozenset({"a"}))
    assert shown(got) == [("gone", 1, OPENSEARCH, True), ("elsewhere", 1, OPENSEARCH, False),
                          ("was", 1, OPENSEARCH, True), ("here", 1, LIVE, False)]
    # without a live list nothing can be concluded
    assert not any(e.event.expired for e in merge(stored[:2], None, origin=OPENSEARCH))


def test_oldest_first_by_parsed_time_microseconds_among_seconds() -> None:
    stored = [ev("s2", T + 2.0), ev("m", T + 1.000001)]
    live = [ev("s1", T + 1.0), ev("l", T + 1.5)]
    got = merge(stored, live, origin=OPENSEARCH)
    assert [e.event.uid for e in got] == ["s1", "m", "l", "s2"]


def test_since_and_the_filter_apply_to_live_versions() -> None:
    stored = [ev("x", T, reason="BackOff"), ev("y", T, reason="BackOff")]
    live = [ev("x", T + 5, reason="Pulled"), ev("old", T - 999, reason="BackOff"),
            ev("z", T + 6, reason="BackOff")]
    query = parse_query("reason:BackOff")
    got = merge(stored, live, origin=OPENSEARCH, since=T - 100, matches=query.matches)
    # x's live version no longer matches: it hides the stored one; "old" is before since
    assert shown(got) == [("y", 1, OPENSEARCH, True), ("z", 1, LIVE, False)]


def test_reaches_now() -> None:
    now = T
    assert reaches_now(TimeRange.last("1h"), now)
    assert reaches_now(TimeRange.between(now - 3600, now - 30), now)
    assert not reaches_now(TimeRange.between(now - 7200, now - 3600), now)
    assert reaches_now(TimeRange.between(now - 7200, now + 3600), now)


def test_origin_is_one_more_key_at_the_end_of_the_record() -> None:
    event = ev("u", T + 0.25, message='q " \x1b é')
    line = line_with_origin(event, "archive")
    assert line.isascii()
    assert json.loads(line) == {**to_record(event), "origin": "archive"}
    assert list(json.loads(line))[-1] == "origin"
    assert record_with_origin(event, LIVE) == {**to_record(event), "origin": "live"}
    assert "origin" not in record_line(event)
