"""Newest-first paging by the time chain without scripts: one sorted stream per lane, merged.

OpenSearch cannot sort by "the first set field of series.lastObservedTime, lastTimestamp,
eventTime, firstTimestamp, creationTimestamp" without a script (osmem and locked-down
clusters have none), and sorting by lastTimestamp with eventTime as a secondary key puts
every eventTime-only event after all the others. But within one *lane* (the documents
whose time is a given field, see ``opensearch_query.lanes``) the displayed time *is* that
field, so each lane can be sorted by it server-side. Merging the lanes client-side gives
the exact order; each lane pages with its own ``search_after``.

Sort keys per lane: the lane's date (desc), ``count`` (desc), ``metadata.uid`` and
``metadata.name`` (asc) as tie-breakers; data values, not ``_doc``/``_shard_doc``, so
``search_after`` survives a reopened point in time or none at all. The merge key is the
same tuple, so the merge agrees with every lane's server order.

A page may only emit an item while every unfinished lane has a buffered head (otherwise
that lane's next item could be newer). Each lane is topped up to ``page_size`` before a
page is merged, so that always holds for ``page_size`` items; de-duplication can skip
items, in which case the lanes are topped up again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ktui.model.event import Event, from_exporter, pack_raw
from ktui.opensearch.mapping import FieldMap, to_exporter_shape
from ktui.opensearch.query import Clause, Lane, _bool
from ktui.opensearch.shape import malformed, sort_values

SortKey = tuple[tuple[int, Any], ...]


@dataclass(slots=True)
class LaneState:
    lane: Lane
    after: list[Any] | None = None
    # Raw hits: only the ones a page shows are made into Events (most buffered hits of
    # the first view wait for later pages, or are never looked at).
    buffer: deque[tuple[SortKey, Mapping[str, Any]]] = field(default_factory=deque)
    exhausted: bool = False


@dataclass(eq=False)
class Cursor:
    """Where a history query stands: per-lane positions and buffers, the PIT, seen uids.

    Pages hand out :class:`PageToken`s; a token is good for one ``next_page``. A failed
    ``next_page`` leaves the cursor where it was, so the same token can be retried.
    """

    generation: int | None
    base: Clause
    lanes: list[LaneState]
    sort_tail: list[dict[str, Any]]
    page_size: int
    total: int = 0
    total_is_lower_bound: bool = False
    seen: set[str] = field(default_factory=set)
    pit_id: str | None = None
    pit_wanted: bool = True
    position: int = 0

    @property
    def finished(self) -> bool:
        return all(state.exhausted and not state.buffer for state in self.lanes)


@dataclass(frozen=True, slots=True)
class PageToken:
    """``HistoryPage.cursor``: the query's cursor and which page it follows."""

    cursor: Cursor
    position: int


def sort_of(lane: Lane, tail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{lane.field.path: {"order": "desc", "unmapped_type": "date"}}, *tail]


def sort_tail(fields: FieldMap) -> list[dict[str, Any]]:
    """Tie-breakers mapped the same way in every index (else they would error or mislead)."""
    tail: list[dict[str, Any]] = []
    count = fields["count"]
    if count.sortable and not count.keywords and not count.text:
        tail.append(
            {count.sortable: {"order": "desc", "missing": "_last", "unmapped_type": "long"}}
        )
    for name in ("uid", "event_name"):
        info = fields[name]
        if info.sortable and info.sortable in info.keywords:
            tail.append(
                {info.sortable: {"order": "asc", "missing": "_last", "unmapped_type": "keyword"}}
            )
    return tail


def lane_body(
    state: LaneState,
    base: Clause,
    tail: list[dict[str, Any]],
    size: int,
    timeout_ms: int,
    track_total: bool | int = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "size": size,
        "query": _bool(filter=[base, state.lane.in_range]),
        "sort": sort_of(state.lane, tail),
        "track_total_hits": track_total,
        "timeout": f"{timeout_ms}ms",
    }
    if state.after is not None:
        body["search_after"] = state.after
    return body


def key_of(values: list[Any], tail: list[dict[str, Any]]) -> SortKey:
    """The merge key for a hit's ``sort`` values: ascending tuple order = page order."""
    directions = ["desc"] + [next(iter(spec.values()))["order"] for spec in tail]
    parts: list[tuple[int, Any]] = []
    for value, direction in zip(values, directions, strict=False):
        if value is None:
            parts.append((1, 0))  # missing sorts last, as "missing": "_last"
        elif direction == "desc" and isinstance(value, int | float):
            parts.append((0, -value))
        else:
            parts.append((0, value))
    return tuple(parts)


class EventMaker:
    """Hits → Events: layout documents reshaped, context = clusterName or the label, a
    stable uid even for documents without one. Never raises on odd documents."""

    def __init__(
        self, fields: FieldMap, context_label: str, overridden: bool, keep_raw: bool = True
    ) -> None:
        self.paths = fields.paths
        self.label = context_label
        self.overridden = overridden
        self.keep_raw = keep_raw

    def __call__(self, hit: Mapping[str, Any]) -> Event | None:
        source = hit.get("_source")
        if not isinstance(source, Mapping):
            return None
        try:
            doc = to_exporter_shape(source, self.paths) if self.overridden else source
            cluster = doc.get("clusterName")
            context = cluster if isinstance(cluster, str) and cluster else self.label
            event = from_exporter(
                doc, context=context, keep_raw=self.keep_raw and not self.overridden
            )
            metadata = doc.get("metadata")
            uid = metadata.get("uid") if isinstance(metadata, Mapping) else None
            if not isinstance(uid, str) or not uid:
                event = replace(event, uid=f"{hit.get('_index', '')}/{hit.get('_id', '')}")
            if self.overridden and self.keep_raw:
                event = replace(event, raw_block=pack_raw(source), raw_index=0)
            return event
        except Exception:  # an odd document must never take the page down
            return None


def sort_kinds(tail: list[dict[str, Any]]) -> list[str]:
    """What each sort value is: the lane's date, then the tail's counts and keywords."""
    return ["number"] + [
        "number" if next(iter(spec.values())).get("unmapped_type") == "long" else "text"
        for spec in tail
    ]


def absorb(
    state: LaneState, hits: list[Mapping[str, Any]], requested: int, tail: list[dict[str, Any]]
) -> None:
    """Buffer a lane's answer (hits already checked to be objects by ``hits_of``).

    Every hit must carry sort values of the right kinds, and the page must continue
    after the previous one: paging goes on from these values, and a server that ignored
    ``search_after`` would otherwise hand out its first page forever.
    """
    kinds = sort_kinds(tail)
    keyed = [(key_of(sort_values(hit, kinds), tail), hit) for hit in hits]
    if keyed and state.after is not None and keyed[0][0] <= key_of(state.after, tail):
        raise malformed("a page did not continue after the previous one")
    for key, hit in keyed:
        state.after = hit["sort"]
        state.buffer.append((key, hit))
    if len(hits) < requested:
        state.exhausted = True


def merge(cursor: Cursor, want: int, make: EventMaker) -> tuple[list[Event], bool]:
    """Take up to ``want`` new events in order; ``blocked`` when an unfinished lane ran dry."""
    out: list[Event] = []
    lanes = cursor.lanes
    while len(out) < want:
        best: LaneState | None = None
        for state in lanes:
            if not state.buffer:
                if not state.exhausted:
                    return out, True
                continue
            if best is None or state.buffer[0][0] < best.buffer[0][0]:
                best = state
        if best is None:
            return out, False
        _, hit = best.buffer.popleft()
        event = make(hit)
        # Newest version first, so the first copy of a uid is the one to keep.
        if event is None or event.uid in cursor.seen:
            continue
        cursor.seen.add(event.uid)
        out.append(event)
    return out, False


def needs_refill(cursor: Cursor, want: int) -> list[tuple[LaneState, int]]:
    return [
        (state, want - len(state.buffer))
        for state in cursor.lanes
        if not state.exhausted and len(state.buffer) < want
    ]
