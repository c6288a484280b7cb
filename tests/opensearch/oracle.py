"""The ground truth for history queries over exporter documents (ktui.sim.exporter).

:func:`expected` computes, from the documents alone and with the model's own
``Query.matches`` and ``time_of``, what a history query must return. Tests compare the
OpenSearch source against it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ktui.model.event import Event, from_exporter
from ktui.model.query import Query
from ktui.model.timerange import TimeRange


def stored_documents(
    docs: Sequence[Mapping[str, Any]], use_event_id: bool
) -> list[Mapping[str, Any]]:
    """What the index holds: with useEventID the last send of each uid, else every send."""
    if not use_event_id:
        return list(docs)
    last: dict[str, Mapping[str, Any]] = {}
    for doc in docs:
        last[str(doc["metadata"]["uid"])] = doc
    return list(last.values())


def millis(seconds: float) -> int:
    """OpenSearch keeps dates in milliseconds (truncated): compare times at that precision."""
    return math.floor(round(seconds * 1_000_000) / 1000)


@dataclass
class Expected:
    """What a history query must return for a set of stored documents."""

    docs: list[Mapping[str, Any]]  # matching documents (a uid may repeat)
    events: list[Event]  # one per uid, the latest version, newest first
    normal: list[int] = field(default_factory=list)
    warning: list[int] = field(default_factory=list)
    namespace_counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.docs)


@dataclass(frozen=True)
class Prepared:
    """Stored documents with their Events built once (tests ask many queries of them)."""

    pairs: list[tuple[Mapping[str, Any], Event]]
    context_label: str = ""


def prepare(stored: Sequence[Mapping[str, Any]], context_label: str = "") -> Prepared:
    return Prepared(
        [
            (doc, from_exporter(doc, context=_context(doc, context_label), keep_raw=False))
            for doc in stored
        ],
        context_label,
    )


def expected(
    stored: Sequence[Mapping[str, Any]] | Prepared,
    query: Query,
    time_range: TimeRange,
    *,
    context_label: str = "",
    bucket_starts: Sequence[float] = (),
    interval: float = 0.0,
    now: float | None = None,
) -> Expected:
    """Evaluate ``query`` over ``time_range`` on ``stored`` with the model's own matching.

    An event's context is its ``clusterName``, else ``context_label``. Namespace counts
    ignore the query's namespace selection (they feed the namespace sidebar). Histogram
    buckets are ``[start, start + interval)`` for the given starts.
    """
    start, end = time_range.bounds(now)
    low, high = millis(start), millis(end)
    facet = query.with_namespaces(())
    matched: list[tuple[Mapping[str, Any], Event]] = []
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if isinstance(stored, Prepared) and stored.context_label != context_label:
        stored = [doc for doc, _ in stored.pairs]
    if not isinstance(stored, Prepared):
        stored = prepare(stored, context_label)
    for doc, event in stored.pairs:
        if not event.time or not low <= millis(event.time) <= high or not facet.matches(event):
            continue
        pair = counts[event.namespace]
        pair[0] += 1
        pair[1] += event.is_warning
        if query.matches(event):
            matched.append((doc, event))
    normal = [0] * len(bucket_starts)
    warning = [0] * len(bucket_starts)
    if bucket_starts and interval:
        first = millis(bucket_starts[0])
        step = millis(interval)
        for _, event in matched:
            slot = (millis(event.time) - first) // step
            if 0 <= slot < len(normal):
                (warning if event.is_warning else normal)[slot] += 1
    latest: dict[str, Event] = {}
    for _, event in matched:
        seen = latest.get(event.uid)
        if seen is None or (millis(event.time), event.count) > (millis(seen.time), seen.count):
            latest[event.uid] = event
    events = sorted(latest.values(), key=lambda e: e.time, reverse=True)
    return Expected(
        docs=[doc for doc, _ in matched],
        events=events,
        normal=normal,
        warning=warning,
        namespace_counts={k: (v[0], v[1]) for k, v in counts.items()},
    )


def _context(doc: Mapping[str, Any], label: str) -> str:
    cluster = doc.get("clusterName")
    return cluster if isinstance(cluster, str) and cluster else label
