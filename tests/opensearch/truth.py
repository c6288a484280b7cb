"""Comparing what the source returned with the ground truth from the documents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.timerange import TimeRange
from ktui.opensearch.source import HistoryPage, HistorySource

from .oracle import Expected, Prepared, expected, millis


def truth_for(
    stored: Sequence[Mapping[str, Any]] | Prepared,
    query: Query,
    time_range: TimeRange,
    page: HistoryPage | None = None,
    context_label: str = "",
) -> Expected:
    histogram = page.histogram if page is not None else None
    return expected(
        stored,
        query,
        time_range,
        context_label=context_label,
        bucket_starts=histogram.bucket_starts if histogram else (),
        interval=histogram.interval if histogram else 0.0,
    )


def version(event: Event) -> tuple[str, int, int, str, str, str]:
    """What must agree between the source and the truth for one event."""
    return (
        event.uid,
        millis(event.time),
        event.count,
        event.namespace,
        event.reason,
        event.context,
    )


def assert_newest_first(events: Sequence[Event]) -> None:
    times = [e.time for e in events]
    assert times == sorted(times, reverse=True), "events are not newest first"


def assert_same_events(got: Sequence[Event], want: Sequence[Event]) -> None:
    """Every expected event exactly once, in time order, each in its latest version."""
    uids = [e.uid for e in got]
    assert len(uids) == len(set(uids)), "an event was returned twice"
    assert_newest_first(got)
    missing = {e.uid for e in want} - set(uids)
    extra = set(uids) - {e.uid for e in want}
    assert not missing and not extra, f"{len(missing)} missing, {len(extra)} extra"
    assert sorted(map(version, got)) == sorted(map(version, want))
    # Same times in the same order (ties may come in any order).
    assert [millis(e.time) for e in got] == [millis(e.time) for e in want]


def assert_first_page(page: HistoryPage, truth: Expected, page_size: int) -> None:
    """A first page is the newest ``page_size`` events (ties at the cut in any order)."""
    assert page.total == truth.total
    assert not page.total_is_lower_bound
    assert len(page.events) == min(page_size, len(truth.events))
    assert_newest_first(page.events)
    want = {e.uid: version(e) for e in truth.events}
    assert all(version(e) == want.get(e.uid) for e in page.events)
    assert [millis(e.time) for e in page.events] == [
        millis(e.time) for e in truth.events[: len(page.events)]
    ]


def all_events(source: HistorySource, first: HistoryPage) -> list[Event]:
    events = list(first.events)
    page = first
    while page.cursor is not None:
        page = source.next_page(page)
        events.extend(page.events)
    return events


def flatten(batches: Iterable[list[Event]]) -> list[Event]:
    return [event for batch in batches for event in batch]
