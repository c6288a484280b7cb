"""Paging past 10,000 hits: with a point in time, without one, when it is refused or lost;
and de-duplication of an index written without useEventID."""

from __future__ import annotations

import dataclasses

import pytest
from opensearchpy import NotFoundError

from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange
from ktui.opensearch.paging import PageToken
from ktui.opensearch.source import HistoryPage, HistorySource, Superseded

from .conftest import Backend, Dataset
from .proxy import FrontProxy
from .truth import all_events, assert_same_events, flatten, truth_for


def _everything(dataset: Dataset) -> TimeRange:
    return TimeRange.between(dataset.start - 86400, dataset.end + 86400)


def _pit_of(page: HistoryPage) -> str | None:
    token = page.cursor
    return token.cursor.pit_id if isinstance(token, PageToken) else None


def test_pages_past_ten_thousand_inside_a_pit(backend: Backend, dataset: Dataset) -> None:
    source = backend.source("eks-kubernetes-events*")
    try:
        time_range = _everything(dataset)
        first = source.search(Query(), time_range, page_size=2500, buckets=0)
        assert first.total_is_lower_bound and first.total >= 10_000
        assert _pit_of(first) is None  # the first view is one round trip, no PIT yet
        second = source.next_page(first)
        pit = _pit_of(second)
        assert pit, "the following pages should run inside a point in time"
        events = first.events + all_events(source, second)
        truth = truth_for(dataset.single, Query(), time_range)
        assert len(truth.events) > 10_000
        assert_same_events(events, truth.events)
        # The last page closed the PIT.
        with pytest.raises(NotFoundError):
            backend.client.search(body={"pit": {"id": pit}, "size": 1})
    finally:
        source.close()


def test_pages_past_ten_thousand_without_pit(backend: Backend, dataset: Dataset) -> None:
    source = backend.source("eks-kubernetes-events*", use_pit=False)
    try:
        time_range = _everything(dataset)
        batches = list(source.iter_all(Query(), time_range, page_size=3000))
        truth = truth_for(dataset.single, Query(), time_range)
        assert_same_events(flatten(batches), truth.events)
    finally:
        source.close()


def test_pit_refused_falls_back_to_search_after(backend: Backend, dataset: Dataset) -> None:
    query = parse_query("type:Warning")
    time_range = _everything(dataset)
    with FrontProxy(backend.url, refuse_pit=True) as proxy:
        config = backend.config("eks-kubernetes-events*")
        config = dataclasses.replace(config, url=proxy.url)
        source = HistorySource(config)
        try:
            first = source.search(query, time_range, page_size=400)
            events = all_events(source, first)
            assert any("point_in_time" in r for r in proxy.requests)
            truth = truth_for(dataset.single, query, time_range)
            assert len(truth.events) > 1200
            assert_same_events(events, truth.events)
            # Refused once: not asked again in this session.
            asked = sum("point_in_time" in r for r in proxy.requests)
            all_events(source, source.search(query, time_range, page_size=400))
            assert sum("point_in_time" in r for r in proxy.requests) == asked
        finally:
            source.close()


def test_pit_deleted_server_side_is_reopened(backend: Backend, dataset: Dataset) -> None:
    query = parse_query("-type:Warning ns:orders,catalog,ui")
    time_range = _everything(dataset)
    source = backend.source("eks-kubernetes-events*")
    try:
        first = source.search(query, time_range, page_size=300)
        second = source.next_page(first)
        old = _pit_of(second)
        assert old
        backend.client.delete_pit(body={"pit_id": [old]})
        events = first.events + all_events(source, second)
        truth = truth_for(dataset.single, query, time_range)
        assert len(truth.events) > 1000
        assert_same_events(events, truth.events)
    finally:
        source.close()


def test_duplicates_without_use_event_id(daily_source: HistorySource, dataset: Dataset) -> None:
    """Re-sent events are several documents; the source shows each event once, latest."""
    query = parse_query("ns:test,orders,kube-system")
    time_range = _everything(dataset)
    page = daily_source.search(query, time_range, page_size=700)
    truth = truth_for(dataset.daily, query, time_range, page)
    assert page.total == truth.total > len(truth.events)  # documents, not events
    assert_same_events(all_events(daily_source, page), truth.events)
    assert all(e.count_is_lower_bound for e in page.events)


def test_a_page_is_followed_once(single_source: HistorySource, dataset: Dataset) -> None:
    first = single_source.search(parse_query("type:Warning"), _everything(dataset), page_size=100)
    single_source.next_page(first)
    with pytest.raises(Exception, match="already followed"):
        single_source.next_page(first)


def test_newer_search_supersedes_and_closes_the_pit(backend: Backend, dataset: Dataset) -> None:
    source = backend.source("eks-kubernetes-events*")
    try:
        time_range = _everything(dataset)
        first = source.search(parse_query("type:Normal"), time_range, page_size=200)
        second = source.next_page(first)
        pit = _pit_of(second)
        assert pit
        source.search(parse_query("type:Warning"), time_range, page_size=10)
        with pytest.raises(Superseded):
            source.next_page(second)
        _wait_gone(backend, pit)
    finally:
        source.close()


def _wait_gone(backend: Backend, pit: str) -> None:
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            backend.client.search(body={"pit": {"id": pit}, "size": 1})
        except NotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError("the superseded query's PIT is still open")
