"""Events to archive rows and back, and the SQL that writes them.

Every statement here is an idempotent upsert: writing the same version twice (two
recorders of one cluster, a relist) changes nothing, and an older version arriving after
a newer one (a lagging recorder) does not replace it. "Newer" is the higher
resourceVersion when both are integers (what etcd-backed API servers hand out), else the
later time, then the higher count.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ktui.model.event import EMPTY_REF, Event, object_ref
from ktui.model.rawblock import BLOCK, RawBlock, seal_pieces

_intern = sys.intern

# The events columns written from an Event, in order (cluster and the bookkeeping
# columns around them are added by the statements).
EVENT_COLUMNS = (
    "cluster", "uid", "rv", "rv_num", "from_delete", "time", "first_seen", "count",
    "namespace", "name", "type", "reason", "message", "kind", "obj_name", "obj_namespace",
    "obj_uid", "obj_api_version", "obj_field_path", "source_component", "source_host",
    "reporting_controller", "reporting_instance", "action", "api", "seen_at", "expired_at",
)  # fmt: skip
_PLACEHOLDERS = ", ".join("?" * len(EVENT_COLUMNS))
_REPLACED = ", ".join(
    f"{name} = excluded.{name}"
    for name in EVENT_COLUMNS
    if name not in ("cluster", "uid", "expired_at")
)
_NEWER = (
    "events.from_delete = 1 OR CASE WHEN excluded.rv_num IS NOT NULL AND events.rv_num IS "
    "NOT NULL THEN excluded.rv_num > events.rv_num ELSE excluded.time > events.time OR "
    "(excluded.time = events.time AND excluded.count > events.count) END"
)
# An ADDED or MODIFIED version: the newest one wins; an expiry already recorded stays.
UPSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({_PLACEHOLDERS}) "
    f"ON CONFLICT (cluster, uid) DO UPDATE SET {_REPLACED} WHERE {_NEWER}"
)
# A DELETED notice: marks the event expired. Only when ktui never saw the event before
# (its ADDED was lost) is the notice's content kept, marked ``from_delete`` so that any
# real version arriving later replaces it.
DELETE_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({_PLACEHOLDERS}) "
    "ON CONFLICT (cluster, uid) DO UPDATE SET "
    "expired_at = coalesce(events.expired_at, excluded.expired_at)"
)
INSERT_VERSION = (
    "INSERT OR IGNORE INTO versions (cluster, uid, rv, time, count, seen_at, raw, block, idx) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The DELETED notice's content as a version, only for an event not archived before.
INSERT_NOTICE_VERSION = (
    "INSERT OR IGNORE INTO versions (cluster, uid, rv, time, count, seen_at, raw, block, idx) "
    "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
    "(SELECT 1 FROM events WHERE cluster = ? AND uid = ?)"
)
INSERT_BLOCK = "INSERT INTO blocks (data, ends) VALUES (?, ?)"
# Blocks of this transaction none of whose versions was new (a second recorder's).
DROP_UNUSED_BLOCKS = (
    "DELETE FROM blocks WHERE id BETWEEN ? AND ? AND NOT EXISTS "
    "(SELECT 1 FROM versions WHERE block = blocks.id)"
)
_KNOWN_UIDS = 500  # uids per "which of these are archived" query (SQLite allows 32766 ?s)
EXPIRE = "UPDATE events SET expired_at = ? WHERE cluster = ? AND uid = ? AND expired_at IS NULL"


def rv_number(rv: str) -> int | None:
    """The resourceVersion as an integer when it is one that SQLite holds exactly."""
    if rv.isdigit() and len(rv) < 19:
        return int(rv)
    return None


def event_row(
    cluster: int, e: Event, seen_at: float, *, deleted: bool = False
) -> tuple[Any, ...]:
    ref = e.object
    return (
        cluster, e.uid, e.resource_version, rv_number(e.resource_version), int(deleted),
        e.time, e.first_seen, e.count, e.namespace, e.name, e.type, e.reason, e.message,
        ref.kind, ref.name, ref.namespace, ref.uid, ref.api_version, ref.field_path,
        e.source_component, e.source_host, e.reporting_controller, e.reporting_instance,
        e.action, e.api, seen_at, seen_at if deleted else None,
    )  # fmt: skip


class RawTexts:
    """The events' JSON for one transaction: each of their raw blocks (32 events of a
    watch stream, see :mod:`ktui.model.rawblock`) is decompressed once, not once per
    event (``Event.raw_compressed`` per event cost ~36 µs: a whole block inflated, one
    event deflated on its own)."""

    __slots__ = ("_blocks",)

    def __init__(self) -> None:
        # id(block) -> (block, its texts): the block is held so that its id stays its own
        self._blocks: dict[int, tuple[RawBlock, list[bytes]]] = {}

    def get(self, block: RawBlock, index: int) -> bytes:
        hit = self._blocks.get(id(block))
        if hit is None or index >= len(hit[1]):  # new, or a block still being filled
            hit = self._blocks[id(block)] = (block, block.texts())
        return hit[1][index]


def version_rows(
    conn: sqlite3.Connection,
    cluster: int,
    events: Sequence[Event],
    seen_at: float,
    texts: RawTexts,
) -> tuple[list[tuple[Any, ...]], tuple[int, int] | None]:
    """The versions rows of ``events`` (in order) and the ids of the blocks written for
    their JSON (first, last), None if none was. An event that came with its JSON
    compressed on its own (read back from the archive or OpenSearch) keeps it in ``raw``;
    the others' JSON goes into new blocks of up to ``BLOCK``, compressed once each."""
    rows: list[tuple[Any, ...]] = []
    pending: list[tuple[Event, bytes]] = []
    for e in events:
        block = e.raw_block
        if block is None:
            rows.append((cluster, e.uid, e.resource_version, e.time, e.count, seen_at,
                         None, None, None))  # fmt: skip
        elif (alone := block.single_zlib) is not None:
            rows.append((cluster, e.uid, e.resource_version, e.time, e.count, seen_at,
                         alone, None, None))  # fmt: skip
        else:
            pending.append((e, texts.get(block, e.raw_index)))
    first = last = 0
    for start in range(0, len(pending), BLOCK):
        chunk = pending[start : start + BLOCK]
        data, ends = seal_pieces([text for _, text in chunk])
        last = conn.execute(INSERT_BLOCK, (data, ends)).lastrowid or 0
        first = first or last
        rows.extend(
            (cluster, e.uid, e.resource_version, e.time, e.count, seen_at, None, last, index)
            for index, (e, _) in enumerate(chunk)
        )
    return rows, (first, last) if pending else None


def write_versions(
    conn: sqlite3.Connection,
    cluster: int,
    events: Sequence[Event],
    seen_at: float,
    texts: RawTexts | None = None,
) -> int:
    """Store ADDED/MODIFIED versions; returns how many were new to the archive."""
    rows, blocks = version_rows(conn, cluster, events, seen_at, texts or RawTexts())
    before = conn.total_changes
    conn.executemany(INSERT_VERSION, rows)
    added = conn.total_changes - before
    if blocks is not None and added < len(rows):
        conn.execute(DROP_UNUSED_BLOCKS, blocks)
    conn.executemany(UPSERT_EVENT, [event_row(cluster, e, seen_at) for e in events])
    return added


def write_deletions(
    conn: sqlite3.Connection,
    cluster: int,
    events: Sequence[Event],
    seen_at: float,
    texts: RawTexts | None = None,
) -> None:
    """Mark events expired (DELETED notices). A notice's content is kept as a version
    only for an event the archive never had (its ADDED was lost): those are found first,
    so the others' JSON is never compressed."""
    archived: set[str] = set()
    for start in range(0, len(events), _KNOWN_UIDS):
        uids = [e.uid for e in events[start : start + _KNOWN_UIDS]]
        archived.update(
            uid
            for (uid,) in conn.execute(
                f"SELECT uid FROM events WHERE cluster = ? AND uid IN "
                f"({', '.join('?' * len(uids))})",
                (cluster, *uids),
            )
        )
    unknown = [e for e in events if e.uid not in archived]
    if unknown:
        rows, blocks = version_rows(conn, cluster, unknown, seen_at, texts or RawTexts())
        before = conn.total_changes
        conn.executemany(
            INSERT_NOTICE_VERSION, [(*row, row[0], row[1]) for row in rows]
        )
        if blocks is not None and conn.total_changes - before < len(rows):
            conn.execute(DROP_UNUSED_BLOCKS, blocks)
    conn.executemany(
        DELETE_EVENT, [event_row(cluster, e, seen_at, deleted=True) for e in events]
    )


def expire_uids(
    conn: sqlite3.Connection, cluster: int, uids: Iterable[str], when: float
) -> int:
    """Mark these events expired (gone from a relist); returns how many were live."""
    before = conn.total_changes
    conn.executemany(EXPIRE, [(when, cluster, uid) for uid in uids])
    return conn.total_changes - before


# -- reading ------------------------------------------------------------------------------

# The columns an Event is rebuilt from (``e`` is events, ``v`` versions for the raw JSON).
READ_COLUMNS = (
    "e.uid, e.namespace, e.type, e.reason, e.message, e.kind, e.obj_name, e.obj_namespace, "
    "e.obj_uid, e.obj_api_version, e.obj_field_path, e.name, e.source_component, "
    "e.source_host, e.reporting_controller, e.reporting_instance, e.action, e.count, "
    "e.first_seen, e.time, e.rv, e.api, e.expired_at"
)


def event_of(
    row: Sequence[Any], context: str, raw: RawBlock | None = None, index: int = 0
) -> Event:
    """The Event of a row of :data:`READ_COLUMNS` (``raw``: the block of the version's
    stored JSON, ``index`` its place there)."""
    (uid, namespace, type_, reason, message, kind, obj_name, obj_namespace, obj_uid,
     obj_api_version, obj_field_path, name, component, host, controller, instance, action,
     count, first_seen, time, rv, api, expired_at) = row[:23]  # fmt: skip
    ref = EMPTY_REF
    if kind or obj_name or obj_namespace or obj_uid or obj_api_version or obj_field_path:
        ref = object_ref(  # shared by the events of one object (see ktui.model.refs)
            _intern(kind),
            obj_name,
            _intern(obj_namespace),
            obj_uid,
            _intern(obj_api_version),
            obj_field_path,
            context=context,
        )
    return Event(
        uid=uid,
        namespace=_intern(namespace),
        type=_intern(type_),
        reason=_intern(reason),
        message=message,
        object=ref,
        name=name,
        context=context,
        source_component=_intern(component),
        source_host=host,
        reporting_controller=_intern(controller),
        reporting_instance=instance,
        action=_intern(action),
        count=count,
        first_seen=first_seen,
        time=time,
        resource_version=rv,
        api=api,
        expired=expired_at is not None,
        raw_block=raw,
        raw_index=index,
    )
