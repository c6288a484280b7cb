"""The archive keeps the events' JSON 32 to a block (schema 2), as a watch stream's
RawPacker does: read back byte for byte, no block left behind by duplicates or pruning,
and a schema 1 archive read as it is, then migrated in place by the first writer."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

from ktui.archive import ArchiveHistory, ArchiveWriter
from ktui.archive import prune as prune_steps
from ktui.archive.schema import connect
from ktui.kube.decode import build
from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.rawblock import RawPacker
from ktui.model.timerange import TimeRange

from .conftest import NOW, SERVER, Clock, ev, obj, rows

RANGE = TimeRange.between(NOW - 86400, NOW + 86400)


def packed(objs: list[dict[str, Any]], packer: RawPacker) -> list[Event]:
    """Events as a watch stream builds them: raw JSON in the stream's shared blocks."""
    return [
        build(o, "v1", "ctx", True, json.dumps(o, separators=(",", ":")).encode(), packer)
        for o in objs
    ]


def raw_of(o: dict[str, Any]) -> bytes:
    return json.dumps(o, separators=(",", ":")).encode()


def read_back(path: Path) -> dict[str, Event]:
    source = ArchiveHistory(path, SERVER, context_label="ctx")
    try:
        return {e.uid: e for batch in source.iter_all(Query(), RANGE) for e in batch}
    finally:
        source.close()


def write(path: Path, *batches: tuple[list[Event], list[Event]]) -> ArchiveWriter:
    writer = ArchiveWriter(path, clock=Clock(), retention=None, max_size=None).start()
    recorder = writer.recorder(SERVER, "ctx")
    for upserts, deleted in batches:
        recorder.changes(upserts, deleted)
    assert writer.close()
    return writer


def test_a_streams_json_is_kept_32_to_a_block_and_read_back_byte_for_byte(
    path: Path,
) -> None:
    packer = RawPacker()
    objs = [obj(f"e{i:03}", 100 + i, NOW - 1000 + i) for i in range(70)]
    # the DELETED notice of an event never seen (its ADDED lost): its content is kept
    lost = obj("lost", 500, NOW - 10)
    events = packed([*objs, lost], packer)
    write(path, (events[:40], []), (events[40:70], [events[70].as_expired()]))
    per_block = rows(path, "SELECT block, count(*) FROM versions GROUP BY block")
    assert all(block is not None and n <= 32 for block, n in per_block)
    assert sum(n for _, n in per_block) == 71
    assert rows(path, "SELECT count(*) FROM versions WHERE raw IS NOT NULL") == [(0,)]
    back = read_back(path)
    assert len(back) == 71 and back["lost"].expired
    for o in [*objs, lost]:
        event = back[o["metadata"]["uid"]]
        assert event.raw == o
        assert zlib.decompress(event.raw_compressed) == raw_of(o)  # as received


def test_a_second_recorder_of_the_same_changes_leaves_no_block_behind(path: Path) -> None:
    packer = RawPacker()
    events = packed([obj(f"e{i:03}", 100 + i, NOW - 100 + i) for i in range(50)], packer)
    write(path, (events, []))
    before = rows(path, "SELECT count(*) FROM blocks")
    write(path, (events, []))  # another process's recorder: every version a duplicate
    assert rows(path, "SELECT count(*) FROM blocks") == before == [(2,)]
    assert rows(path, "SELECT count(*) FROM versions") == [(50,)]


def test_a_block_goes_with_the_last_version_that_uses_it(path: Path) -> None:
    packer = RawPacker()
    old = packed([obj(f"old{i:02}", 100 + i, NOW - 9000 + i) for i in range(32)], packer)
    new = packed([obj(f"new{i:02}", 200 + i, NOW - 10 + i) for i in range(40)], packer)
    write(path, (old, []), (new, []))
    assert rows(path, "SELECT count(*) FROM blocks") == [(3,)]
    conn = connect(path)
    for _ in prune_steps.retention_steps(conn, NOW - 5000):
        pass
    conn.close()
    # the old events' block went, the new events' two (32 + 8) stay, none unused
    assert rows(path, "SELECT count(*) FROM blocks") == [(2,)]
    assert rows(path, "SELECT count(*) FROM blocks b WHERE NOT EXISTS "
                "(SELECT 1 FROM versions v WHERE v.block = b.id)") == [(0,)]  # fmt: skip
    assert {uid for uid in read_back(path)} == {f"new{i:02}" for i in range(40)}
    assert all(e.raw for e in read_back(path).values())


SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clusters (
    id INTEGER PRIMARY KEY,
    server TEXT NOT NULL UNIQUE,
    context TEXT NOT NULL DEFAULT '',
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    cluster INTEGER NOT NULL,
    uid TEXT NOT NULL,
    rv TEXT NOT NULL,
    time REAL NOT NULL,
    count INTEGER NOT NULL,
    seen_at REAL NOT NULL,
    raw BLOB,
    UNIQUE (cluster, uid, rv)
);
CREATE TABLE IF NOT EXISTS events (
    cluster INTEGER NOT NULL,
    uid TEXT NOT NULL,
    rv TEXT NOT NULL,
    rv_num INTEGER,
    from_delete INTEGER NOT NULL DEFAULT 0,
    time REAL NOT NULL,
    first_seen REAL NOT NULL,
    count INTEGER NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL COLLATE NOCASE,
    reason TEXT NOT NULL COLLATE NOCASE,
    message TEXT NOT NULL,
    kind TEXT NOT NULL,
    obj_name TEXT NOT NULL,
    obj_namespace TEXT NOT NULL,
    obj_uid TEXT NOT NULL,
    obj_api_version TEXT NOT NULL,
    obj_field_path TEXT NOT NULL,
    source_component TEXT NOT NULL,
    source_host TEXT NOT NULL,
    reporting_controller TEXT NOT NULL,
    reporting_instance TEXT NOT NULL,
    action TEXT NOT NULL,
    api TEXT NOT NULL,
    seen_at REAL NOT NULL,
    expired_at REAL,
    PRIMARY KEY (cluster, uid)
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (cluster, time, uid, type, namespace);
CREATE INDEX IF NOT EXISTS events_by_namespace ON events (cluster, namespace, time);
CREATE INDEX IF NOT EXISTS events_by_type ON events (cluster, type, time);
CREATE INDEX IF NOT EXISTS events_by_reason ON events (cluster, reason, time);
"""


def schema_1_archive(path: Path, objs: list[dict[str, Any]]) -> None:
    """An archive as ktui wrote it before blocks: each version's JSON compressed alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_1)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO clusters VALUES (1, ?, 'ctx', ?, ?)", (SERVER, NOW, NOW))
    for o in objs:
        e = ev(o["metadata"]["uid"], int(o["metadata"]["resourceVersion"]), NOW - 500)
        conn.execute(
            "INSERT INTO versions VALUES (1, ?, ?, ?, 1, ?, ?)",
            (e.uid, e.resource_version, e.time, NOW, zlib.compress(raw_of(o))),
        )
        conn.execute(
            "INSERT INTO events (cluster, uid, rv, rv_num, time, first_seen, count, "
            "namespace, name, type, reason, message, kind, obj_name, obj_namespace, "
            "obj_uid, obj_api_version, obj_field_path, source_component, source_host, "
            "reporting_controller, reporting_instance, action, api, seen_at) "
            "VALUES (1, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 'Pod', '', '', '', '', '', '', '', "
            "'', '', '', 'v1', ?)",
            (e.uid, e.resource_version, int(e.resource_version), e.time, e.first_seen,
             e.namespace, e.name, e.type, e.reason, e.message, NOW),
        )  # fmt: skip
    conn.commit()
    conn.close()


def test_a_schema_1_archive_is_read_as_it_is_then_migrated_by_the_first_writer(
    path: Path,
) -> None:
    old = [obj("old-a", 10, NOW - 500), obj("old-b", 11, NOW - 500)]
    schema_1_archive(path, old)
    back = read_back(path)  # a reader never changes the file
    assert {uid: e.raw for uid, e in back.items()} == {"old-a": old[0], "old-b": old[1]}
    assert rows(path, "PRAGMA user_version") == [(1,)]
    new = [obj("new", 12, NOW - 5)]
    write(path, (packed(new, RawPacker()), []))
    assert rows(path, "PRAGMA user_version") == [(2,)]
    back = read_back(path)
    assert {uid: e.raw for uid, e in back.items()} == {
        "old-a": old[0], "old-b": old[1], "new": new[0],
    }  # fmt: skip
    assert rows(path, "SELECT uid FROM versions WHERE block IS NOT NULL") == [("new",)]
