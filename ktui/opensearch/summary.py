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
from dataclasses import dataclass, field
from typing import Any

from ktui.model.event import Event
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


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts per time bucket; bucket ``i`` is ``[bucket_starts[i], + interval)`` seconds.

    The first and last buckets may extend past the queried range (buckets are aligned to
    multiples of the interval so they do not shift as a relative range slides).
    """

    bucket_starts: list[float]
    interval: float
    normal: list[int]
    warning: list[int]


@dataclass(slots=True)
class HistoryPage:
    """One page of history, newest first. Counts are documents (with ``useEventID`` one per
    event; without it a re-sent event counts each time), ``events`` are de-duplicated."""

    events: list[Event]
    total: int
    total_is_lower_bound: bool
    histogram: Histogram | None = None
    namespace_counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Namespace → (events, warnings) for the query *without* its namespace selection, so
    the sidebar keeps showing the other namespaces."""
    counts_approximate: bool = False
    cursor: object | None = None
    took_ms: float = 0.0
    warning: str = ""
    """A caveat about this answer (timed out, shard failures), or ""."""


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
    aggs = answer.get("aggregations", {})
    matched = aggs.get("matched", {})
    page.total = int(matched.get("doc_count", 0))
    step_ms, first_ms = summary.step_ms, summary.first_ms
    count = (summary.last_ms - first_ms) // step_ms + 1
    normal, warning = [0] * count, [0] * count
    for i in range(summary.lanes):
        for bucket in matched.get(f"lane{i}", {}).get("h", {}).get("buckets", []):
            slot = (int(bucket["key"]) - first_ms) // step_ms
            if 0 <= slot < count:
                warned = int(bucket.get("warning", {}).get("doc_count", 0))
                warning[slot] += warned
                normal[slot] += int(bucket["doc_count"]) - warned
    page.histogram = Histogram(
        bucket_starts=[(first_ms + i * step_ms) / 1000 for i in range(count)],
        interval=step_ms / 1000,
        normal=normal,
        warning=warning,
    )
    terms = aggs.get("namespaces")
    if terms:
        page.namespace_counts = {
            str(b["key"]): (int(b["doc_count"]), int(b.get("warning", {}).get("doc_count", 0)))
            for b in terms.get("buckets", [])
        }
        page.counts_approximate = page.counts_approximate or bool(
            terms.get("doc_count_error_upper_bound") or terms.get("sum_other_doc_count")
        )


def hits_total(hits: Mapping[str, Any], page: HistoryPage) -> int:
    total = hits.get("total")
    if isinstance(total, Mapping):
        if total.get("relation") == "gte":
            page.total_is_lower_bound = True
        return int(total.get("value", 0))
    return int(total) if isinstance(total, int) else 0


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
