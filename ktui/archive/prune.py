"""Keeping the archive within its retention and its size, a small step at a time.

Each step deletes at most ``CHUNK`` rows in its own short transaction, so the writer
commits new events between steps and other ktui processes never wait long for the lock.
What to delete is found by reading (WAL readers block nobody), then deleted by key.

- Retention: events whose last-seen time is older than ``now - retention`` go with all
  their versions; older versions of events still kept go too.
- Size: when the pages in use pass ``max_size``, the oldest events (by last-seen time,
  across clusters) go until an estimated 10% margin is free; then the freed pages are
  handed back to the file system (``PRAGMA incremental_vacuum``).
- Blocks of JSON (schema 2) go once no version refers to them: after the deletions of
  either prune, a pass over the blocks finds those (an indexed probe each).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator

CHUNK = 2000
VACUUM_PAGES = 2000
SIZE_MARGIN = 0.9  # a size prune goes down to this fraction of max_size


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the pages in use (the file less its free pages; the WAL not counted)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def _delete_events(conn: sqlite3.Connection, rows: list[tuple[int, int, str]]) -> None:
    """Delete events (rowid, cluster, uid) and every version of them, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "DELETE FROM versions WHERE cluster = ? AND uid = ?", [(c, u) for _, c, u in rows]
        )
        conn.executemany("DELETE FROM events WHERE rowid = ?", [(r,) for r, _, _ in rows])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _clusters(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM clusters")]


def retention_steps(conn: sqlite3.Connection, cutoff: float) -> Iterator[int]:
    """Delete what is older than ``cutoff``; yields the rows deleted by each step."""
    for cluster in _clusters(conn):
        while True:
            rows = conn.execute(
                "SELECT rowid, cluster, uid FROM events WHERE cluster = ? AND time < ? "
                "LIMIT ?",
                (cluster, cutoff, CHUNK),
            ).fetchall()
            if not rows:
                break
            _delete_events(conn, rows)
            yield len(rows)
    # Older versions of events that are still kept (a repeating event's history).
    after = 0
    while True:
        rows = conn.execute(
            "SELECT v.rowid, v.time < ? AND v.rv != e.rv FROM versions v JOIN events e "
            "ON e.cluster = v.cluster AND e.uid = v.uid WHERE v.rowid > ? "
            "ORDER BY v.rowid LIMIT ?",
            (cutoff, after, CHUNK * 10),
        ).fetchall()
        if not rows:
            break
        after = rows[-1][0]
        old = [(rowid,) for rowid, stale in rows if stale]
        if old:
            _delete(conn, "DELETE FROM versions WHERE rowid = ?", old)
        yield len(old)
    yield from unused_block_steps(conn)


def _delete(conn: sqlite3.Connection, statement: str, keys: list[tuple[int]]) -> None:
    """``statement`` once for each of ``keys``, in one write transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(statement, keys)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def unused_block_steps(conn: sqlite3.Connection) -> Iterator[int]:
    """Delete the blocks no version refers to any more; yields the blocks deleted by each
    step (a file of schema 1 has none)."""
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blocks'"
    ).fetchone():
        return
    after = 0
    while True:
        rows = conn.execute(
            "SELECT id, EXISTS (SELECT 1 FROM versions v WHERE v.block = b.id) FROM blocks b "
            "WHERE b.id > ? ORDER BY b.id LIMIT ?",
            (after, CHUNK * 10),
        ).fetchall()
        if not rows:
            break
        after = rows[-1][0]
        unused = [(block,) for block, used in rows if not used]
        if unused:
            _delete(conn, "DELETE FROM blocks WHERE id = ?", unused)
        yield len(unused)


def size_steps(conn: sqlite3.Connection, max_size: int) -> Iterator[int]:
    """Delete the oldest events while the archive is over ``max_size``; yields the rows
    deleted by each step, then hands free pages back to the file system."""
    used = used_bytes(conn)
    if used <= max_size:
        return
    total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    if total:
        # Pages in use shrink less than rows are deleted (index pages thin out rather
        # than empty), so the count to delete is estimated from the mean size of an event.
        goal = math.ceil(total * (used - max_size * SIZE_MARGIN) / used)
        clusters = _clusters(conn)
        while goal > 0:
            oldest: tuple[float, int] | None = None
            for cluster in clusters:
                first = conn.execute(
                    "SELECT min(time) FROM events WHERE cluster = ?", (cluster,)
                ).fetchone()[0]
                if first is not None and (oldest is None or first < oldest[0]):
                    oldest = (first, cluster)
            if oldest is None:
                break
            rows = conn.execute(
                "SELECT rowid, cluster, uid FROM events WHERE cluster = ? "
                "ORDER BY time LIMIT ?",
                (oldest[1], min(CHUNK, goal)),
            ).fetchall()
            if not rows:
                break
            _delete_events(conn, rows)
            goal -= len(rows)
            yield len(rows)
        yield from unused_block_steps(conn)
    yield from vacuum_steps(conn)


def vacuum_steps(conn: sqlite3.Connection) -> Iterator[int]:
    """Give free pages back to the file system (the file shrinks)."""
    while conn.execute("PRAGMA freelist_count").fetchone()[0] > 0:
        before = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA incremental_vacuum({VACUUM_PAGES})").fetchall()
        if conn.execute("PRAGMA page_count").fetchone()[0] >= before:
            break  # not an incremental-vacuum file (made by other means): nothing to do
        yield 0
