"""History from the local archive: the same pages, sparkline and counts as OpenSearch.

:class:`ArchiveHistory` keeps the :class:`~ktui.feeds.history.HistoryBackend` contract of
``ktui.opensearch.source.HistorySource``: ``search`` answers the first view (newest page,
the Normal/Warning histogram, namespace counts without the namespace selection, the exact
total) from one read transaction, so all of it describes the same moment even while
recorders write; ``next_page`` continues by key (time, uid), which stays right however
much is written meanwhile; ``cancel`` interrupts the running statement.

Events are shown at their newest ADDED/MODIFIED version; ``expired`` is set for those the
cluster has deleted. Blocking: run it in a worker thread. It never writes to the file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktui.archive.rows import READ_COLUMNS, event_of
from ktui.archive.schema import (
    ArchiveError,
    classify,
    cluster_key,
    connect,
    find_cluster,
    has_blocks,
)
from ktui.archive.sql_query import Condition, compile_query, install
from ktui.feeds.errors import SourceError
from ktui.feeds.history import (
    Histogram,
    HistoryBackend,
    HistoryPage,
    Superseded,
    choose_interval,
)
from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.rawblock import RawBlock
from ktui.model.timerange import TimeRange

__all__ = ["ArchiveHistory", "ArchivePageToken"]

_SELECT_V1 = f"SELECT {READ_COLUMNS}, v.raw FROM events e LEFT JOIN versions v " \
    "ON v.cluster = e.cluster AND v.uid = e.uid AND v.rv = e.rv"
# Schema 2: the JSON is in ``raw`` (older rows) or piece ``idx`` of a block.
_SELECT = f"SELECT {READ_COLUMNS}, v.raw, v.idx, b.id, b.data, b.ends FROM events e " \
    "LEFT JOIN versions v ON v.cluster = e.cluster AND v.uid = e.uid AND v.rv = e.rv " \
    "LEFT JOIN blocks b ON b.id = v.block"
_SELECT_LEAN = f"SELECT {READ_COLUMNS} FROM events e"


@dataclass(eq=False)
class ArchivePageToken:
    """``HistoryPage.cursor`` of the archive: where the next page starts."""

    generation: int | None
    condition: Condition
    start: float
    end: float
    after: tuple[float, str]  # (time, uid) of the last event handed out
    page_size: int
    total: int
    position: int = 0
    followed: list[bool] = field(default_factory=lambda: [False])


class ArchiveHistory:
    """The archived events of one cluster (its API server URL), for history mode."""

    def __init__(
        self, path: Path, server: str, *, context_label: str = "", busy_timeout: float = 5.0
    ) -> None:
        self.path = path
        self.server = cluster_key(server)
        self.context_label = context_label
        self.busy_timeout = busy_timeout
        self.name = f"archive {self.server}"
        self._conn: sqlite3.Connection | None = None
        self._cluster: int | None = None
        self._lock = threading.Lock()  # one statement at a time on the connection
        self._generation = 0
        self._closed = False

    @property
    def warning(self) -> str:
        return ""

    # -- connection -----------------------------------------------------------------

    def _connection(self) -> tuple[sqlite3.Connection, int | None]:
        if self._conn is None:
            try:
                self._conn = connect(self.path, busy_timeout=self.busy_timeout, create=False)
            except ArchiveError as error:
                raise SourceError(str(error)) from None
        if self._cluster is None:  # looked up until a recorder has written the cluster
            self._cluster = find_cluster(self._conn, self.server)
        return self._conn, self._cluster

    def known(self) -> bool:
        """Whether the archive holds anything of this cluster (the file must exist)."""
        with self._lock:
            try:
                return self._connection()[1] is not None
            except sqlite3.Error as error:
                raise SourceError(str(classify(error, self.path))) from None

    # -- generations -----------------------------------------------------------------

    def cancel(self) -> None:
        """Drop whatever query is running; its result will not be delivered."""
        self._generation += 1
        conn = self._conn
        if conn is not None:
            conn.interrupt()  # safe from any thread; the running statement stops

    def close(self) -> None:
        self._closed = True
        self.cancel()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _check(self, generation: int | None) -> None:
        if self._closed or (generation is not None and generation != self._generation):
            raise Superseded()

    # -- queries ---------------------------------------------------------------------

    def search(
        self, query: Query, time_range: TimeRange, *, page_size: int = 500, buckets: int = 60
    ) -> HistoryPage:
        """First page (newest first) + sparkline + namespace counts + total, one snapshot."""
        if page_size <= 0:
            raise ValueError("page_size must be positive")
        started = time.monotonic()
        self._generation += 1
        generation = self._generation
        condition = compile_query(query, self.context_label)
        start, end = time_range.bounds()
        with self._lock:
            self._check(generation)
            conn, cluster = self._run_guarded(generation, self._connection)
            if cluster is None:
                return HistoryPage(
                    events=[], total=0, total_is_lower_bound=False,
                    histogram=_empty_histogram(start, end, buckets) if buckets > 0 else None,
                    took_ms=(time.monotonic() - started) * 1000,
                )  # fmt: skip
            install(conn, condition, self.context_label)

            def first_view() -> HistoryPage:
                conn.execute("BEGIN")  # one snapshot for the page and every count
                try:
                    events = self._page(conn, cluster, condition, start, end, None, page_size)
                    page = HistoryPage(events=events, total=0, total_is_lower_bound=False)
                    if buckets > 0:
                        self._summary(conn, cluster, condition, start, end, buckets, page)
                    else:
                        page.total = _count(conn, cluster, condition, start, end)
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
                return page

            page = self._run_guarded(generation, first_view)
        self._check(generation)
        if len(page.events) == page_size:
            last = page.events[-1]
            page.cursor = ArchivePageToken(
                generation, condition, start, end, (last.time, last.uid), page_size, page.total
            )
        page.took_ms = (time.monotonic() - started) * 1000
        return page

    def next_page(self, page: HistoryPage) -> HistoryPage:
        """The page after ``page`` (events only; the total carried over)."""
        token = page.cursor
        if not isinstance(token, ArchivePageToken):
            raise ValueError("this page has no following page")
        if token.followed[0]:
            raise SourceError("this page was already followed; continue from the newest page")
        started = time.monotonic()
        with self._lock:
            self._check(token.generation)
            conn, cluster = self._run_guarded(token.generation, self._connection)
            assert cluster is not None
            install(conn, token.condition, self.context_label)
            events = self._run_guarded(
                token.generation,
                lambda: self._page(
                    conn, cluster, token.condition, token.start, token.end, token.after,
                    token.page_size,
                ),
            )  # fmt: skip
        self._check(token.generation)
        token.followed[0] = True
        following = None
        if len(events) == token.page_size:
            last = events[-1]
            following = ArchivePageToken(
                token.generation, token.condition, token.start, token.end, (last.time, last.uid),
                token.page_size, token.total, token.position + 1,
            )  # fmt: skip
        return HistoryPage(
            events=events,
            total=token.total,
            total_is_lower_bound=False,
            cursor=following,
            took_ms=(time.monotonic() - started) * 1000,
        )

    def iter_all(
        self, query: Query, time_range: TimeRange, *, page_size: int = 1000, keep_raw: bool = True
    ) -> Iterator[list[Event]]:
        """Every matching event, newest first, a page at a time."""
        condition = compile_query(query, self.context_label)
        start, end = time_range.bounds()
        after: tuple[float, str] | None = None
        while not self._closed:
            with self._lock:
                conn, cluster = self._run_guarded(None, self._connection)
                if cluster is None:
                    return
                install(conn, condition, self.context_label)
                events = self._run_guarded(
                    None,
                    partial(
                        self._page, conn, cluster, condition, start, end, after, page_size,
                        keep_raw,
                    ),
                )  # fmt: skip
            if events:
                yield events
            if len(events) < page_size:
                return
            after = (events[-1].time, events[-1].uid)

    # -- the statements --------------------------------------------------------------

    def _run_guarded(self, generation: int | None, action: Any) -> Any:
        """Run ``action``; an interrupt (cancel) becomes Superseded, any other failure
        one SourceError line."""
        try:
            return action()
        except sqlite3.OperationalError as error:
            if "interrupt" in str(error).lower():
                raise Superseded() from None
            raise SourceError(str(classify(error, self.path))) from None
        except sqlite3.Error as error:
            raise SourceError(str(classify(error, self.path))) from None
        finally:
            if generation is not None and generation != self._generation:
                raise Superseded()

    def _page(
        self,
        conn: sqlite3.Connection,
        cluster: int,
        condition: Condition,
        start: float,
        end: float,
        after: tuple[float, str] | None,
        size: int,
        keep_raw: bool = True,
    ) -> list[Event]:
        keyset = "" if after is None else " AND (e.time, e.uid) < (?, ?)"
        blocks = keep_raw and has_blocks(conn)  # a schema 1 file not migrated yet: no blocks
        select = (_SELECT if blocks else _SELECT_V1) if keep_raw else _SELECT_LEAN
        sql = (
            f"{select} WHERE e.cluster = ? AND e.time >= ? "
            f"AND e.time <= ?{keyset} AND {condition.sql} ORDER BY e.time DESC, e.uid DESC "
            "LIMIT ?"
        )
        params = (cluster, start, end, *(after or ()), *condition.params, size)
        label = self.context_label
        if not keep_raw:
            return [event_of(row, label) for row in conn.execute(sql, params)]
        if not blocks:
            return [event_of(row, label, _alone(row[23])) for row in conn.execute(sql, params)]
        shared: dict[int, RawBlock] = {}  # a page's events of one block share it
        events = []
        for row in conn.execute(sql, params):
            raw, index, block_id, data, ends = row[23:28]
            if block_id is not None:
                block = shared.get(block_id)
                if block is None:
                    block = shared[block_id] = RawBlock.stored(data, ends)
                events.append(event_of(row, label, block, index))
            else:
                events.append(event_of(row, label, _alone(raw)))
        return events

    def _summary(
        self,
        conn: sqlite3.Connection,
        cluster: int,
        condition: Condition,
        start: float,
        end: float,
        buckets: int,
        page: HistoryPage,
    ) -> None:
        """Total, histogram (aligned as OpenSearch's) and namespace counts."""
        step = float(choose_interval(end - start, buckets))
        first = (start // step) * step
        count = int((end // step) * step - first) // int(step) + 1
        normal, warning = [0] * count, [0] * count
        where = "e.cluster = ? AND e.time >= ? AND e.time <= ?"
        rows = conn.execute(
            f"SELECT CAST((e.time - ?) / ? AS INTEGER) AS slot, count(*), "
            f"sum(e.type = 'Warning' COLLATE BINARY) FROM events e WHERE {where} "
            f"AND {condition.sql} GROUP BY slot",
            (first, step, cluster, start, end, *condition.params),
        )
        total = 0
        for slot, events, warned in rows:
            total += events
            if 0 <= slot < count:
                warning[slot] += warned
                normal[slot] += events - warned
        page.total = total
        page.histogram = Histogram(
            bucket_starts=[first + i * step for i in range(count)],
            interval=step,
            normal=normal,
            warning=warning,
        )
        page.namespace_counts = {
            namespace: (events, warned)
            for namespace, events, warned in conn.execute(
                f"SELECT e.namespace, count(*), sum(e.type = 'Warning' COLLATE BINARY) "
                f"FROM events e WHERE {where} AND {condition.facet_sql} GROUP BY e.namespace",
                (cluster, start, end, *condition.facet_params),
            )
        }


def _alone(raw: bytes | None) -> RawBlock | None:
    """The block of one version's JSON kept zlib-compressed on its own (schema 1)."""
    return RawBlock.compressed(raw) if raw else None


def _count(
    conn: sqlite3.Connection, cluster: int, condition: Condition, start: float, end: float
) -> int:
    row = conn.execute(
        f"SELECT count(*) FROM events e WHERE e.cluster = ? AND e.time >= ? AND e.time <= ? "
        f"AND {condition.sql}",
        (cluster, start, end, *condition.params),
    ).fetchone()
    return int(row[0])


def _empty_histogram(start: float, end: float, buckets: int) -> Histogram:
    step = float(choose_interval(end - start, buckets))
    first = (start // step) * step
    count = int((end // step) * step - first) // int(step) + 1
    return Histogram([first + i * step for i in range(count)], step, [0] * count, [0] * count)


if TYPE_CHECKING:

    def _keeps_the_contract(history: ArchiveHistory) -> HistoryBackend:
        return history  # mypy holds the archive to the history contract
