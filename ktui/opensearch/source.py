"""History from OpenSearch: kubernetes-event-exporter documents, queried well.

One ``_msearch`` round trip gives the first view: a summary search (namespace counts,
the Normal/Warning sparkline, the exact total, all from aggregations) and one sorted
search per time-chain lane (see ``opensearch_paging``). Following pages top up the
lanes with ``search_after`` inside a point in time when the cluster allows it (reopened
when it expires, plain ``search_after`` when refused). Events are de-duplicated on uid,
keeping the newest version, so an index written without ``useEventID`` reads right.

Blocking by design: the UI calls it from a worker thread, the CLI directly. A newer
``search`` supersedes older ones: their results are dropped (:class:`Superseded`) and their
points in time closed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ktui.config.exporter_fields import FIELD_PATHS
from ktui.feeds.errors import Forbidden, SourceError, Unauthorized
from ktui.feeds.history import Histogram, HistoryPage, Superseded
from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.timerange import TimeRange
from ktui.opensearch.config import OpenSearchConfig
from ktui.opensearch.connection import Connection
from ktui.opensearch.errors import PitMissing, RetryPolicy, retrying, translate
from ktui.opensearch.mapping import FieldMap
from ktui.opensearch.paging import (
    Cursor,
    EventMaker,
    LaneState,
    PageToken,
    absorb,
    lane_body,
    merge,
    needs_refill,
    sort_tail,
)
from ktui.opensearch.query import lanes, query_clauses, to_millis
from ktui.opensearch.shape import hits_of, pit_id_of
from ktui.opensearch.summary import (
    Summary,
    format_total,
    hits_total,
    note_partial,
    read_summary,
    summary_request,
)

__all__ = [
    "Histogram",
    "HistoryPage",
    "HistorySource",
    "OpenSearchConfig",
    "Superseded",
    "format_total",
]

class HistorySource(Connection):
    """Kubernetes events from an OpenSearch index pattern."""

    def __init__(self, config: OpenSearchConfig, *, context_label: str = "",
                 retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(config, retry=retry, sleep=sleep)
        self.context_label = context_label
        self.name = f"opensearch {config.display_url} {config.index}"
        self._lock = threading.Lock()
        self._generation = 0
        self._open: dict[int, Cursor] = {}  # cursors holding a PIT, by id()
        self._pit_refused = not config.use_pit
        self._closed = False


    # -- generations ----------------------------------------------------------------------

    def _begin(self) -> int:
        with self._lock:
            self._generation += 1
            stale = [c for c in self._open.values() if c.generation is not None]
            for cursor in stale:
                self._open.pop(id(cursor), None)
        self._close_later(stale)
        return self._generation

    def _check(self, cursor: Cursor) -> None:
        if self._closed or (
            cursor.generation is not None and cursor.generation != self._generation
        ):
            self._close_pit(cursor)
            raise Superseded()

    def cancel(self) -> None:
        """Drop whatever query is running; its result will not be delivered."""
        self._begin()

    def close(self) -> None:
        """Close every point in time still open and the connection."""
        self._closed = True
        with self._lock:
            cursors = list(self._open.values())
            self._open.clear()
        for cursor in cursors:
            self._close_pit(cursor)
        if self._client is not None:
            try:
                self._client.close()
            except Exception:
                pass

    def _close_later(self, cursors: list[Cursor]) -> None:
        def close_all() -> None:
            for cursor in cursors:
                self._close_pit(cursor)

        if any(c.pit_id for c in cursors):
            # cancel() is called from the UI thread: never block it on a network call.
            threading.Thread(target=close_all, name="ktui-pit-close", daemon=True).start()

    def _close_pit(self, cursor: Cursor) -> None:
        pit_id, cursor.pit_id = cursor.pit_id, None
        with self._lock:
            self._open.pop(id(cursor), None)
        if pit_id and self._client is not None:
            try:
                self._client.delete_pit(body={"pit_id": [pit_id]}, request_timeout=5)
            except Exception:  # it expires by itself after keep_alive
                pass

    # -- the first view -------------------------------------------------------------------

    def search(
        self, query: Query, time_range: TimeRange, *, page_size: int = 500, buckets: int = 60
    ) -> HistoryPage:
        """First page (newest first) + sparkline + namespace counts, in one round trip.

        ``buckets=0`` skips the aggregations: no histogram or namespace counts, and the
        total is the hits total (``≥ 10,000`` past ten thousand).
        """
        started = time.monotonic()
        generation = self._begin()
        fields = self.fields()
        cursor, summary = self._start(query, time_range, page_size, buckets, fields, generation)
        lane_bodies = [
            lane_body(
                s,
                cursor.base,
                cursor.sort_tail,
                page_size,
                self._server_timeout_ms,
                track_total=10_000 if buckets <= 0 else False,
            )
            for s in cursor.lanes
        ]
        bodies = ([summary.body] if summary else []) + lane_bodies
        responses = self._msearch(bodies, None, cursor)
        self._check(cursor)
        page = HistoryPage(events=[], total=0, total_is_lower_bound=False)
        notes: list[str] = []
        if summary:
            read_summary(responses[0], summary, page, notes)
            responses = responses[1:]
        make = EventMaker(fields, self.context_label, bool(self.config.fields))
        total = 0
        for state, answer in zip(cursor.lanes, responses, strict=True):
            absorb(state, hits_of(answer), page_size, cursor.sort_tail)
            total += hits_total(answer["hits"], page)
            note_partial(answer, notes, page)
        if not summary:
            page.total = total
        cursor.total, cursor.total_is_lower_bound = page.total, page.total_is_lower_bound
        page.events = self._fill(cursor, make, open_pit=False)
        self._check(cursor)
        page.cursor = None if cursor.finished else PageToken(cursor, 0)
        page.warning = "; ".join(dict.fromkeys(notes))
        page.took_ms = (time.monotonic() - started) * 1000
        return page

    def _start(
        self,
        query: Query,
        time_range: TimeRange,
        page_size: int,
        buckets: int,
        fields: FieldMap,
        generation: int | None,
    ) -> tuple[Cursor, Summary | None]:
        if page_size <= 0:
            raise ValueError("page_size must be positive")
        if not fields.dates:
            chain = ", ".join(FIELD_PATHS[n] for n in ("last_timestamp", "event_time"))
            raise SourceError(
                f"no time field ({chain}, ...) is mapped as a date in {self.config.index}"
            )
        start, end = time_range.bounds()
        start_ms, end_ms = to_millis(start), to_millis(end)
        all_lanes = lanes(fields, start_ms, end_ms)
        base = query_clauses(query, fields, context_label=self.context_label)
        cursor = Cursor(
            generation=generation,
            base=base,
            lanes=[LaneState(lane) for lane in all_lanes],
            sort_tail=sort_tail(fields),
            page_size=page_size,
            pit_wanted=not self._pit_refused,
        )
        summary = None
        if buckets > 0:
            summary = summary_request(
                query,
                fields,
                all_lanes,
                start,
                end,
                buckets,
                context_label=self.context_label,
                namespace_limit=self.config.namespace_limit,
                timeout_ms=self._server_timeout_ms,
            )
        return cursor, summary

    # -- paging -----------------------------------------------------------------------

    def next_page(self, page: HistoryPage) -> HistoryPage:
        """The page after ``page`` (events only; totals carried over)."""
        token = page.cursor
        if not isinstance(token, PageToken):
            raise ValueError("this page has no following page")
        cursor = token.cursor
        if token.position != cursor.position:
            raise SourceError("this page was already followed; continue from the newest page")
        self._check(cursor)
        started = time.monotonic()
        make = EventMaker(self.fields(), self.context_label, bool(self.config.fields))
        events = self._fill(cursor, make, open_pit=True)
        self._check(cursor)
        cursor.position += 1
        if cursor.finished:
            self._close_pit(cursor)
        return HistoryPage(
            events=events,
            total=cursor.total,
            total_is_lower_bound=cursor.total_is_lower_bound,
            cursor=None if cursor.finished else PageToken(cursor, cursor.position),
            took_ms=(time.monotonic() - started) * 1000,
        )

    def iter_all(
        self, query: Query, time_range: TimeRange, *, page_size: int = 1000, keep_raw: bool = True
    ) -> Iterator[list[Event]]:
        """Every matching event (newest first, de-duplicated), a page at a time."""
        fields = self.fields()
        cursor, _ = self._start(query, time_range, page_size, 0, fields, None)
        make = EventMaker(fields, self.context_label, bool(self.config.fields), keep_raw)
        try:
            while not cursor.finished:
                if self._closed:
                    return
                events = self._fill(cursor, make, open_pit=True)
                if events:
                    yield events
        finally:
            self._close_pit(cursor)

    def _fill(self, cursor: Cursor, make: EventMaker, *, open_pit: bool) -> list[Event]:
        """Merge up to a page, topping up lanes as needed.

        A failed top-up changes nothing (buffers only gain hits on success), so the call
        can be retried; if some events were already merged, they are returned instead
        and the next page retries the top-up.
        """
        out: list[Event] = []
        while len(out) < cursor.page_size:
            want = cursor.page_size - len(out)
            refill = needs_refill(cursor, cursor.page_size)
            if refill:
                try:
                    self._refill(cursor, refill, open_pit)
                except SourceError:
                    if not out:
                        raise
                    break
            chunk, blocked = merge(cursor, want, make)
            out.extend(chunk)
            if not blocked:
                break
        # Within a millisecond the server orders by count and uid; show exact time order.
        out.sort(key=lambda e: e.time, reverse=True)
        return out

    def _refill(self, cursor: Cursor, refill: list[tuple[LaneState, int]], open_pit: bool) -> None:
        if open_pit and cursor.pit_wanted and cursor.pit_id is None and not self._pit_refused:
            self._open_pit(cursor)
        responses: list[Mapping[str, Any]] = []
        for attempt in range(3):
            bodies = [
                lane_body(state, cursor.base, cursor.sort_tail, size, self._server_timeout_ms)
                for state, size in refill
            ]
            try:
                responses = self._msearch(bodies, cursor, cursor)
                break
            except PitMissing:
                # Expired, deleted, or an index of it deleted (ISM dropping an old daily
                # index): search_after values are data, so a fresh PIT continues where the
                # old one stopped. Losing it twice, go on without.
                self._forget_pit(cursor, delete=False)
                if attempt == 0:
                    self._open_pit(cursor)
                else:
                    cursor.pit_wanted = False
            except SourceError as error:
                if (
                    not cursor.pit_id
                    or error.retryable
                    or isinstance(error, Forbidden | Unauthorized)
                ):
                    raise
                # A cluster that creates PITs but refuses them in _msearch: go without.
                self._forget_pit(cursor)
                self._pit_refused = True
                cursor.pit_wanted = False
        else:  # pragma: no cover - the third attempt runs without a PIT
            raise SourceError("OpenSearch kept losing the point in time", retryable=True)
        for (state, size), answer in zip(refill, responses, strict=True):
            absorb(state, hits_of(answer), size, cursor.sort_tail)

    def _forget_pit(self, cursor: Cursor, *, delete: bool = True) -> None:
        """Drop a PIT that no longer works (deleted, best effort, if it may still exist)."""
        if cursor.pit_id and delete:
            self._close_pit(cursor)
        cursor.pit_id = None
        with self._lock:
            self._open.pop(id(cursor), None)

    def _open_pit(self, cursor: Cursor) -> None:
        from opensearchpy import exceptions as ose

        try:
            answer = self.client.create_pit(
                index=self.config.index,
                keep_alive=self.config.pit_keep_alive,
                request_timeout=self.config.request_timeout,
            )
        except ose.TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 0
            if status in (400, 403, 404, 405, 501) and "index_not_found" not in str(exc.info):
                # No PIT API (before 2.4), or not allowed for this user: plain search_after.
                self._pit_refused = True
                cursor.pit_wanted = False
                return
            raise translate(
                exc,
                url=self.config.display_url,
                index=self.config.index,
                timeout=self.config.request_timeout,
            ) from None
        cursor.pit_id = pit_id_of(answer)
        if cursor.pit_id:
            with self._lock:
                self._open[id(cursor)] = cursor

    def _msearch(
        self, bodies: list[dict[str, Any]], cursor: Cursor | None, within: Cursor
    ) -> list[Mapping[str, Any]]:
        """One multi-search, retried while the cluster answers 429/5xx (the request or one
        of its searches); a query superseded meanwhile stops (``within``'s generation)."""
        return retrying(lambda: self._msearch_once(bodies, cursor), self.retry, self._sleep,
                        lambda: self._check(within))
