"""Applying queued recorder calls to the archive, inside the writer's transaction.

Runs on the writer thread only, so the recorders' bookkeeping (``cluster``, ``known``)
needs no lock. Every change to that bookkeeping is journaled in :class:`Applied` so that a
transaction that fails (locked, disk full) can be undone and retried as a whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ktui.archive.recorder import DELETE, LISTED, RESET, UNKNOWN_SCOPE, UPSERT, Recorder, Scope
from ktui.archive.rows import RawTexts, expire_uids, write_deletions, write_versions
from ktui.archive.schema import cluster_id
from ktui.model.event import Event

Item = tuple[str, Recorder, Any, float, int]  # (operation, recorder, payload, put at, events)


_MISSING: Any = object()


@dataclass(slots=True)
class Applied:
    """What one transaction did."""

    events: int = 0  # changes handled (versions and notices), duplicates included
    new_versions: int = 0  # versions the archive did not hold yet
    expired: int = 0  # events newly marked expired by relists and sweeps
    undo: list[tuple[Recorder, str, Any]] = field(default_factory=list)
    new_clusters: list[Recorder] = field(default_factory=list)

    def set(self, recorder: Recorder, uid: str, value: tuple[str, str] | None) -> None:
        """Change ``recorder.known[uid]`` (None: remove it), journaled."""
        known = recorder.known
        self.undo.append((recorder, uid, known.get(uid, _MISSING)))
        if value is None:
            known.pop(uid, None)
        else:
            known[uid] = value

    def rollback(self) -> None:
        """Undo the bookkeeping of a transaction that did not commit."""
        for recorder, uid, old in reversed(self.undo):
            if old is _MISSING:
                recorder.known.pop(uid, None)
            else:
                recorder.known[uid] = old
        for recorder in self.new_clusters:
            recorder.cluster = None
        self.undo.clear()


def apply(conn: sqlite3.Connection, items: Sequence[Item], now: float, done: Applied) -> None:
    """Apply ``items`` in order into ``done``; the caller holds the transaction (and calls
    ``done.rollback()`` if it does not commit)."""
    texts = RawTexts()  # each raw block decompressed once in the transaction
    for op, recorder, payload, at, count in items:
        cluster = recorder.cluster
        if cluster is None:
            cluster = recorder.cluster = cluster_id(conn, recorder.server, recorder.context, now)
            done.new_clusters.append(recorder)
        if op == UPSERT:
            done.new_versions += _upserts(conn, done, recorder, cluster, payload, at, texts)
            done.events += count
        elif op == DELETE:
            for event in payload:
                done.set(recorder, event.uid, None)
            write_deletions(conn, cluster, payload, at, texts)
            done.events += count
        elif op == RESET:
            events, scope = payload
            done.new_versions += _upserts(conn, done, recorder, cluster, events, at, texts)
            done.events += len(events)
            done.expired += _vanished(conn, done, recorder, cluster, events, scope, at)
        elif op == LISTED:
            done.expired += _sweep(conn, recorder, cluster, payload, at)


def _upserts(
    conn: sqlite3.Connection,
    done: Applied,
    recorder: Recorder,
    cluster: int,
    events: Sequence[Event],
    at: float,
    texts: RawTexts,
) -> int:
    known = recorder.known
    fresh: list[Event] = []
    for event in events:
        seen = known.get(event.uid)
        if seen is None or seen[1] != event.resource_version:
            done.set(recorder, event.uid, (event.namespace, event.resource_version))
            fresh.append(event)
    # A relist brings back mostly what this feed already wrote: only the rest is written.
    return write_versions(conn, cluster, fresh, at, texts) if fresh else 0


def _vanished(
    conn: sqlite3.Connection,
    done: Applied,
    recorder: Recorder,
    cluster: int,
    events: Sequence[Event],
    scope: frozenset[str] | None,
    at: float,
) -> int:
    """A relist: what this feed saw in its scope and the relist did not bring back is
    gone (deleted while the watch was down, its DELETED never sent)."""
    listed = {event.uid for event in events}
    gone = [
        uid
        for uid, (namespace, _rv) in recorder.known.items()
        if uid not in listed and (scope is None or namespace in scope)
    ]
    for uid in gone:
        done.set(recorder, uid, None)
    return expire_uids(conn, cluster, gone, at) if gone else 0


def _sweep(
    conn: sqlite3.Connection, recorder: Recorder, cluster: int, scope: Scope, at: float
) -> int:
    """The initial list is complete: events archived before this feed started (by any
    process), still live in the archive, in the list's scope and not in the list were
    deleted while nobody watched. Only events last written before the feed started count:
    one written since may be newer than the list (another recorder's), and a feed that
    lost changes concludes nothing."""
    if scope is UNKNOWN_SCOPE or recorder.lost:
        return 0
    rows = conn.execute(
        "SELECT uid, namespace FROM events WHERE cluster = ? AND expired_at IS NULL "
        "AND seen_at < ?",
        (cluster, recorder.started_at),
    ).fetchall()
    known = recorder.known
    gone = [
        uid
        for uid, namespace in rows
        if uid not in known and (scope is None or namespace in scope)
    ]
    return expire_uids(conn, cluster, gone, at) if gone else 0
