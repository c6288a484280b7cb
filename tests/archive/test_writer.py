"""The archive writer: every version kept, expiry at the last version, idempotent upserts
(two writers), relists and sweeps, the overflow policies, and the channel tap."""

from __future__ import annotations

import json
import threading
import zlib
from dataclasses import replace
from pathlib import Path

from ktui.archive import UNKNOWN_SCOPE, ArchiveHistory, ArchiveTap, ArchiveWriter, WriterState
from ktui.model.query import Query
from ktui.model.timerange import TimeRange

from .conftest import NOW, SERVER, Clock, ev, event_of, obj, rows

RANGE = TimeRange.between(NOW - 86400, NOW + 86400)


def history(path: Path, server: str = SERVER) -> dict[str, tuple[str, int, bool]]:
    """uid -> (resourceVersion, count, expired) as history shows them."""
    source = ArchiveHistory(path, server, context_label="ctx")
    try:
        return {
            e.uid: (e.resource_version, e.count, e.expired)
            for batch in source.iter_all(Query(), RANGE)
            for e in batch
        }
    finally:
        source.close()


def test_every_version_is_kept_and_an_expired_event_shows_its_last_version(
    writer: ArchiveWriter, path: Path
) -> None:
    recorder = writer.recorder(SERVER, "ctx")
    first, second = obj("a", 10, NOW - 100), obj("a", 12, NOW - 40, count=2)
    recorder.changes([event_of(first), ev("b", 11, NOW - 50)])
    recorder.changes([event_of(second)])
    # The DELETED notice carries a newer resourceVersion than the last MODIFIED.
    recorder.changes(deleted=[ev("a", 13, NOW - 40, count=2).as_expired()])
    assert writer.flush(10)
    assert rows(path, "SELECT uid, rv FROM versions ORDER BY uid, rv") == [
        ("a", "10"), ("a", "12"), ("b", "11"),
    ]  # fmt: skip
    assert history(path) == {"a": ("12", 2, True), "b": ("11", 1, False)}
    source = ArchiveHistory(path, SERVER, context_label="ctx")
    (page,) = source.iter_all(Query().with_text("uid:a"), RANGE)
    # the JSON as received, byte for byte
    assert zlib.decompress(page[0].raw_compressed) == json.dumps(
        second, separators=(",", ":")
    ).encode()
    assert page[0].raw == second
    source.close()
    status = writer.status
    assert (status.archived, status.new_versions, status.dropped) == (4, 3, 0)


def test_the_newest_version_wins_whatever_the_order(writer: ArchiveWriter, path: Path) -> None:
    recorder = writer.recorder(SERVER)
    recorder.changes([ev("a", 30, NOW, count=3)])
    recorder.changes([ev("a", 20, NOW - 10, count=2)])  # a lagging recorder's older version
    assert writer.flush(10)
    assert history(path) == {"a": ("30", 3, False)}
    assert len(rows(path, "SELECT * FROM versions")) == 2


def test_without_integer_versions_the_later_time_then_the_higher_count_wins(
    writer: ArchiveWriter, path: Path
) -> None:
    recorder = writer.recorder(SERVER)
    late = ev("a", 1, NOW)
    recorder.changes([late])
    recorder.changes([replace(late, resource_version="x-later", count=5)])
    recorder.changes([replace(late, resource_version="x-earlier", time=NOW - 5, count=9)])
    assert writer.flush(10)
    assert history(path)["a"][:2] == ("x-later", 5)


def test_two_writers_of_one_file_store_each_version_once(path: Path) -> None:
    one = ArchiveWriter(path, clock=Clock(), commit_interval=0.05).start()
    two = ArchiveWriter(path, clock=Clock(), commit_interval=0.05).start()
    versions = [ev(f"e{i}", 100 + i, NOW - i) for i in range(300)]
    later = [ev(f"e{i}", 1000 + i, NOW - i + 0.5, count=2) for i in range(0, 300, 3)]
    a, b = one.recorder(SERVER, "ctx-a"), two.recorder(SERVER.upper() + "/", "ctx-b")
    a.changes(versions)
    a.changes(later)
    b.changes(versions[:150])
    assert one.flush(10)
    b.changes(versions[150:])
    b.changes(later)
    b.changes(deleted=[later[0].as_expired()])
    assert one.close() and two.close()
    assert rows(path, "SELECT count(*), count(DISTINCT uid || '/' || rv) FROM versions") == [
        (400, 400)
    ]
    assert rows(path, "SELECT count(*) FROM clusters") == [(1,)]  # one cluster, two spellings
    shown = history(path)
    assert len(shown) == 300
    assert shown["e0"] == ("1000", 2, True)
    assert shown["e1"] == ("101", 1, False)


def test_a_relist_expires_what_it_no_longer_holds_in_its_scope(
    writer: ArchiveWriter, path: Path
) -> None:
    recorder = writer.recorder(SERVER)
    recorder.changes([ev("a", 1, NOW), ev("b", 2, NOW), ev("c", 3, NOW, ns="other")])
    recorder.reset([ev("a", 1, NOW)], frozenset({"test"}))  # one namespace relisted
    assert writer.flush(10)
    assert history(path) == {
        "a": ("1", 1, False), "b": ("2", 1, True), "c": ("3", 1, False),
    }  # fmt: skip
    recorder.reset([ev("a", 4, NOW + 1, count=2)], None)  # everything relisted
    assert writer.flush(10)
    assert history(path) == {
        "a": ("4", 2, False), "b": ("2", 1, True), "c": ("3", 1, True),
    }  # fmt: skip
    assert writer.status.expired == 2


def test_the_first_list_expires_what_was_deleted_while_nobody_watched(path: Path) -> None:
    clock = Clock()
    before = ArchiveWriter(path, clock=clock, commit_interval=0.05).start()
    before.recorder(SERVER).changes(
        [ev("gone", 1, NOW), ev("kept", 2, NOW), ev("elsewhere", 3, NOW, ns="other")]
    )
    assert before.close()
    clock.advance(60)
    now = ArchiveWriter(path, clock=clock, commit_interval=0.05).start()
    other = ArchiveWriter(path, clock=clock, commit_interval=0.05).start()
    feed = now.recorder(SERVER)
    clock.advance(1)
    # Written by another live recorder after this feed started: newer than its list.
    other.recorder(SERVER).changes([ev("new", 4, NOW + 61)])
    assert other.close()
    feed.reset([ev("kept", 2, NOW)], None)
    feed.listed(frozenset({"test"}))
    assert now.flush(10)
    shown = history(path)
    assert shown["gone"][2] and not shown["kept"][2]
    assert not shown["elsewhere"][2]  # outside what the list covered
    assert not shown["new"][2]
    assert now.close()

    unknown = ArchiveWriter(path, clock=clock, commit_interval=0.05).start()
    clock.advance(1)
    feed = unknown.recorder(SERVER)
    clock.advance(1)
    feed.reset([], None)
    feed.listed(UNKNOWN_SCOPE)  # a list whose scope is not known proves nothing
    assert unknown.close()
    assert not history(path)["kept"][2]


def test_submitting_never_waits_and_a_full_queue_drops_counted(path: Path) -> None:
    writer = ArchiveWriter(path, clock=Clock(), capacity=10, commit_interval=0.05)  # not started
    recorder = writer.recorder(SERVER)
    recorder.changes([ev(f"a{i}", i + 1, NOW) for i in range(5)])
    recorder.changes([ev(f"b{i}", i + 10, NOW) for i in range(5)])
    recorder.changes([ev(f"c{i}", i + 20, NOW) for i in range(5)])  # no room: dropped
    status = writer.status
    assert (status.pending, status.dropped) == (10, 5)
    assert recorder.lost  # so its list will not be used to expire anything
    writer.start()
    assert writer.close()
    assert len(history(path)) == 10
    assert writer.status.archived == 10


def test_the_block_policy_waits_for_room_and_loses_nothing(path: Path) -> None:
    writer = ArchiveWriter(
        path, clock=Clock(), capacity=10, overflow="block", commit_interval=0.05
    )
    recorder = writer.recorder(SERVER)
    recorder.changes([ev(f"a{i}", i + 1, NOW) for i in range(10)])
    producer = threading.Thread(
        target=recorder.changes, args=([ev(f"b{i}", i + 20, NOW) for i in range(5)],)
    )
    producer.start()
    producer.join(0.2)
    assert producer.is_alive()  # waiting for room, not dropping
    writer.start()
    producer.join(10)
    assert not producer.is_alive()
    assert writer.close()
    assert writer.status.dropped == 0
    assert len(history(path)) == 15


def test_archiving_off_writes_nothing(path: Path) -> None:
    writer = ArchiveWriter(path, enabled=False).start()
    writer.recorder(SERVER).changes([ev("a", 1, NOW)])
    assert writer.close()
    assert writer.status.state is WriterState.OFF
    assert writer.status.line() == "archiving off"
    assert not path.exists() and not path.parent.exists()


def test_the_tap_records_every_version_the_channel_coalesces(
    writer: ArchiveWriter, path: Path
) -> None:
    channel = ArchiveTap(writer.recorder(SERVER), scope=lambda: None)
    channel.put([ev("a", 1, NOW)])
    channel.put([ev("a", 2, NOW + 1, count=2)])
    channel.put(deleted=[ev("a", 3, NOW + 1, count=2).as_expired()])
    batch = channel.drain()
    assert [e.resource_version for e in batch.deleted] == ["3"] and not batch.upserts
    assert batch.coalesced == 2
    assert writer.flush(10)
    assert rows(path, "SELECT rv FROM versions ORDER BY rv") == [("1",), ("2",)]
    assert history(path) == {"a": ("2", 2, True)}


def test_a_tap_that_does_not_forward_keeps_only_statuses(writer: ArchiveWriter) -> None:
    channel = ArchiveTap(writer.recorder(SERVER), forward=False)
    channel.put([ev("a", 1, NOW)])
    channel.reset([ev("b", 2, NOW)])
    channel.set_listed()
    assert not channel.drain()
    assert writer.flush(10)
    assert writer.status.archived == 2
