"""Every filter-language feature, in both index layouts, against the ground truth."""

from __future__ import annotations

import pytest

from ktui.model.event import parse_time
from ktui.model.query import Query, Term, parse_query
from ktui.model.timerange import TimeRange
from ktui.opensearch.source import HistorySource
from ktui.sim.exporter import SCENARIO_B

from .conftest import Backend, Dataset
from .oracle import Prepared, millis
from .truth import all_events, assert_first_page, assert_same_events, flatten, truth_for

HOUR = 3600.0

QUERIES = [
    "type:warning",
    "reason:backoff,FAILEDMOUNT",
    "-reason:Pulled kind:Pod -type:Normal",
    "reason~^back",
    "reason~off$",
    "reason~Fail(?:ed)?Mount|^OOM",
    "name~scenario-a|^scenario-b",
    r"reason~^(fail|back)\w+$",
    "kind~^(pod|node)$",
    'msg~"pull access denied"',
    'msg:"Error: ImagePullBackOff"',
    "misspelt",
    "Insufficient cpu",
    "wrong-image",
    "source:kubelet type:Warning",
    "source:default-scheduler",
    "-source:kubelet -source:replicaset-controller",
    "source~sched",
    "host:ip-10-42-179-183.us-west-2.compute.internal",
    "ctx:eks-workshop ns:test",
    "action:scheduling",
    "kind:node",
    "ns~^(test|kube-)",
    "-ns:default,kube-system reason~e",
]


def _range(dataset: Dataset) -> TimeRange:
    # Not aligned to anything: the edges cut through buckets and seconds.
    return TimeRange.between(dataset.start + 7 * HOUR + 12.345, dataset.start + 50 * HOUR)


def _check(source: HistorySource, stored: Prepared, query: Query, time_range: TimeRange) -> None:
    page = source.search(query, time_range, page_size=300)
    truth = truth_for(stored, query, time_range, page)
    assert truth.total > 0, "the query should match something in the generated data"
    assert_first_page(page, truth, 300)
    assert page.histogram is not None
    assert (page.histogram.normal, page.histogram.warning) == (truth.normal, truth.warning)
    assert page.namespace_counts == truth.namespace_counts
    assert not page.counts_approximate
    if truth.total <= 5000:
        batches = source.iter_all(query, time_range, page_size=2500)
        assert_same_events(flatten(batches), truth.events)


@pytest.mark.parametrize("text", QUERIES)
def test_query_single_index(single_source: HistorySource, dataset: Dataset, text: str) -> None:
    _check(single_source, dataset.single, parse_query(text), _range(dataset))


@pytest.mark.parametrize("text", QUERIES[::3])
def test_query_daily_keyword_indices(
    daily_source: HistorySource, dataset: Dataset, text: str
) -> None:
    _check(daily_source, dataset.daily, parse_query(text), _range(dataset))


def test_types_and_namespaces_sidebar(single_source: HistorySource, dataset: Dataset) -> None:
    query = Query().with_types({"Warning"}).with_namespaces({"test", "orders"})
    time_range = _range(dataset)
    page = single_source.search(query, time_range, page_size=200)
    truth = truth_for(dataset.single, query, time_range, page)
    assert_first_page(page, truth, 200)
    # Counts ignore the namespace selection: the sidebar still lists every namespace.
    assert set(page.namespace_counts) > {"test", "orders"}
    assert page.namespace_counts == truth.namespace_counts
    assert all(total == warnings for total, warnings in page.namespace_counts.values())


def test_uid_terms(single_source: HistorySource, dataset: Dataset) -> None:
    doc = dataset.single_docs[1234]
    text = f"uid:{doc['metadata']['uid']} objuid:{doc['involvedObject']['uid'].upper()}"
    time_range = TimeRange.between(dataset.start - 86400, dataset.end + 86400)
    page = single_source.search(parse_query(text), time_range)
    assert [e.uid for e in page.events] == [doc["metadata"]["uid"]]


def test_exact_long_message_over_ignore_above(
    single_source: HistorySource, dataset: Dataset
) -> None:
    # 330 characters: not in message.keyword (ignore_above 256); the text field answers.
    assert len(SCENARIO_B) > 256
    query = Query(terms=(Term("message", ":", (SCENARIO_B.upper(),)),))
    time_range = TimeRange.between(dataset.start - 86400, dataset.end + 86400)
    page = single_source.search(query, time_range)
    truth = truth_for(dataset.single, query, time_range, page)
    assert truth.total > 0
    assert_same_events(all_events(single_source, page), truth.events)


def test_event_time_only_documents_found_by_range(
    single_source: HistorySource, dataset: Dataset
) -> None:
    """New-API events have lastTimestamp null; a lastTimestamp-only range loses them."""
    time_range = TimeRange.between(dataset.start + 30 * HOUR, dataset.start + 33 * HOUR)
    page = single_source.search(Query(), time_range, page_size=5000)
    truth = truth_for(dataset.single, Query(), time_range, page)
    event_time_only = [
        d
        for d in truth.docs
        if d.get("lastTimestamp") is None and d.get("eventTime") and not d.get("series")
    ]
    assert len(event_time_only) > 20
    assert_same_events(all_events(single_source, page), truth.events)
    times = {e.uid: e.time for e in page.events}
    for doc in event_time_only:
        assert millis(times[doc["metadata"]["uid"]]) == millis(parse_time(doc["eventTime"]) or 0)


def test_total_relation_without_aggregations(
    single_source: HistorySource, dataset: Dataset
) -> None:
    everything = TimeRange.between(dataset.start - 86400, dataset.end + 86400)
    page = single_source.search(Query(), everything, page_size=50, buckets=0)
    assert page.histogram is None and page.namespace_counts == {}
    assert page.total_is_lower_bound and page.total >= 10_000
    exact = single_source.search(Query(), everything, page_size=50)
    assert exact.total == len(dataset.single_docs) and not exact.total_is_lower_bound


def test_histogram_shape(single_source: HistorySource, dataset: Dataset) -> None:
    time_range = TimeRange.between(dataset.start, dataset.start + 6 * HOUR)
    page = single_source.search(Query(), time_range, buckets=60)
    histogram = page.histogram
    assert histogram is not None
    assert histogram.interval == 360.0
    assert 60 <= len(histogram.bucket_starts) <= 61
    assert histogram.bucket_starts[0] <= dataset.start < histogram.bucket_starts[1]
    assert sum(histogram.normal) + sum(histogram.warning) == page.total


def test_context_label(backend: Backend, dataset: Dataset) -> None:
    """ctx: matches clusterName, else the label given to the source (here, odd docs)."""
    source = HistorySource(backend.config("odd-events-*"), context_label="workshop")
    try:
        time_range = TimeRange.between(dataset.start, dataset.end)
        labelled = source.search(parse_query("ctx:workshop"), time_range)
        assert labelled.total == 6
        assert {e.context for e in labelled.events} == {"workshop"}
        assert source.search(parse_query("ctx:eks-workshop"), time_range).total == 0
    finally:
        source.close()
