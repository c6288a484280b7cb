"""The first view's aggregations: sparkline, namespace counts and the exact total.

One search (size 0) answers them all, inside the first view's ``_msearch``. Scripts are
not available everywhere (osmem, locked-down clusters), so the time-chain histogram is
one ``date_histogram`` per lane (each on the lane's own field, see ``opensearch_query``)
summed client-side: every document is counted once, in the bucket of its displayed time.
Warnings are a ``filter`` sub-aggregation; Normal is the rest (any other type included).
The total is the aggregation's ``doc_count``: exact, unlike ``hits.total`` past 10,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ktui.feeds.history import Histogram, HistoryPage
from ktui.model.query import Query
from ktui.opensearch.mapping import FieldMap
from ktui.opensearch.query import (
    MATCH_ALL,
    Lane,
    _bool,
    choose_interval,
    histogram_agg,
    namespace_clause,
    query_clauses,
    time_clause,
    to_millis,
    warning_clause,
)
from ktui.opensearch.shape import arr, count, malformed, number, obj


def format_total(total: int, lower_bound: bool) -> str:
    """``12,345`` or ``≥ 10,000``."""
    return f"≥ {total:,}" if lower_bound else f"{total:,}"


@dataclass(frozen=True, slots=True)
class Summary:
    """The aggregation search of a first view and what reading its answer needs."""

    body: dict[str, Any]
    first_ms: int
    last_ms: int
    step_ms: int
    lanes: int


def summary_request(
    query: Query,
    fields: FieldMap,
    all_lanes: list[Lane],
    start: float,
    end: float,
    buckets: int,
    *,
    context_label: str,
    namespace_limit: int,
    timeout_ms: int,
) -> Summary:
    step_ms = choose_interval(end - start, buckets) * 1000
    first_ms = to_millis(start) // step_ms * step_ms
    last_ms = to_millis(end) // step_ms * step_ms
    # Namespace counts ignore the sidebar's selection: it must keep listing the others.
    facet = query_clauses(query, fields, context_label=context_label, namespaces=False)
    warning = warning_clause(fields)
    selected = namespace_clause(fields, sorted(query.namespaces)) if query.namespaces else MATCH_ALL
    lane_aggs = {
        f"lane{i}": {
            "filter": lane.member,
            "aggs": {"h": histogram_agg(lane, first_ms, last_ms, step_ms, warning)},
        }
        for i, lane in enumerate(all_lanes)
    }
    aggs: dict[str, Any] = {"matched": {"filter": selected, "aggs": lane_aggs}}
    namespace = fields["namespace"]
    if namespace.keyword:
        aggs["namespaces"] = {
            "terms": {"field": namespace.keyword, "size": namespace_limit, "missing": ""},
            "aggs": {"warning": {"filter": warning}},
        }
    body = {
        "size": 0,
        "track_total_hits": False,
        "timeout": f"{timeout_ms}ms",
        "query": _bool(filter=[facet, time_clause(all_lanes)]),
        "aggs": aggs,
    }
    return Summary(body, first_ms, last_ms, step_ms, len(all_lanes))


def read_summary(
    answer: Mapping[str, Any], summary: Summary, page: HistoryPage, notes: list[str]
) -> None:
    """Fill the page's total, histogram and namespace counts from the answer."""
    note_partial(answer, notes, page)
    aggs = obj(answer.get("aggregations"), "the summary's aggregations")
    matched = obj(aggs.get("matched"), "the summary's matched")
    page.total = count(matched.get("doc_count"), "the summary's total")
    step_ms, first_ms = summary.step_ms, summary.first_ms
    slots = (summary.last_ms - first_ms) // step_ms + 1
    normal, warning = [0] * slots, [0] * slots
    for i in range(summary.lanes):
        lane = obj(matched.get(f"lane{i}", {}), "a lane of the summary")
        histogram = obj(lane.get("h", {}), "a lane's histogram")
        for bucket in arr(histogram.get("buckets", []), "a histogram's buckets"):
            bucket = obj(bucket, "a histogram bucket")
            slot = (int(number(bucket.get("key"), "a bucket's key")) - first_ms) // step_ms
            documents = count(bucket.get("doc_count"), "a bucket's count")
            warned = _warnings(bucket)
            if warned > documents:
                raise malformed("a bucket has more warnings than events")
            if 0 <= slot < slots:
                warning[slot] += warned
                normal[slot] += documents - warned
    page.histogram = Histogram(
        bucket_starts=[(first_ms + i * step_ms) / 1000 for i in range(slots)],
        interval=step_ms / 1000,
        normal=normal,
        warning=warning,
    )
    terms = aggs.get("namespaces")
    if terms:
        terms = obj(terms, "the namespace counts")
        counts: dict[str, tuple[int, int]] = {}
        for bucket in arr(terms.get("buckets", []), "the namespace buckets"):
            bucket = obj(bucket, "a namespace bucket")
            key = bucket.get("key")
            if not isinstance(key, str):
                raise malformed(f"a namespace is {key!r:.40}, not a string")
            counts[key] = (count(bucket.get("doc_count"), "a namespace count"),
                           _warnings(bucket))
        page.namespace_counts = counts
        page.counts_approximate = page.counts_approximate or bool(
            terms.get("doc_count_error_upper_bound") or terms.get("sum_other_doc_count")
        )


def _warnings(bucket: Mapping[str, Any]) -> int:
    sub = obj(bucket.get("warning", {}), "a bucket's warnings")
    return count(sub.get("doc_count", 0), "a bucket's warning count")


def hits_total(hits: Mapping[str, Any], page: HistoryPage) -> int:
    total = hits.get("total")
    if total is None:
        return 0
    if isinstance(total, Mapping):
        if total.get("relation") == "gte":
            page.total_is_lower_bound = True
        return count(total.get("value", 0), "hits.total.value")
    return count(total, "hits.total")


def note_partial(answer: Mapping[str, Any], notes: list[str], page: HistoryPage) -> None:
    shards = answer.get("_shards", {})
    if answer.get("timed_out"):
        notes.append("OpenSearch timed out: results are partial")
    elif isinstance(shards, Mapping) and shards.get("failed"):
        notes.append(
            f"{shards['failed']} of {shards.get('total', '?')} shards failed: results are partial"
        )
    else:
        return
    page.total_is_lower_bound = True
    page.counts_approximate = True
