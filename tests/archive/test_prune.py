"""Retention and size limits, pruned in the background; the [archive] settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.archive import ArchiveOptions, ArchiveWriter
from ktui.archive import prune as prune_steps
from ktui.archive.schema import connect
from ktui.config import ArchiveSettings
from tests.conftest import wait_until as wait_for

from .conftest import NOW, SERVER, Clock, ev, rows

DAY = 86400.0


def test_retention_prunes_old_events_and_old_versions_in_the_background(path: Path) -> None:
    clock = Clock()
    writer = ArchiveWriter(path, clock=clock, retention=7 * DAY, commit_interval=0.05)
    recorder = writer.recorder(SERVER)
    recorder.changes([ev("old", 1, NOW - 8 * DAY), ev("recent", 2, NOW - DAY)])
    # A repeating event: first seen 9 days ago, last seen now; its old version goes.
    recorder.changes([ev("repeating", 3, NOW - 9 * DAY), ev("repeating", 4, NOW, count=9)])
    writer.start()
    assert writer.flush(10)
    wait_for(lambda: rows(path, "SELECT count(*) FROM versions") == [(2,)])
    assert rows(path, "SELECT uid FROM events ORDER BY uid") == [("recent",), ("repeating",)]
    assert rows(path, "SELECT uid, rv FROM versions ORDER BY uid") == [
        ("recent", "2"), ("repeating", "4"),
    ]  # fmt: skip
    assert writer.close()


def test_retention_steps_delete_an_event_with_all_its_versions(path: Path) -> None:
    writer = ArchiveWriter(path, clock=Clock(), retention=None, max_size=None).start()
    recorder = writer.recorder(SERVER)
    recorder.changes([ev("a", 1, NOW - 10), ev("a", 2, NOW - 5, count=2), ev("b", 3, NOW)])
    assert writer.close()
    conn = connect(path)
    deleted = sum(prune_steps.retention_steps(conn, NOW - 1))
    conn.close()
    assert deleted == 1
    assert rows(path, "SELECT uid, rv FROM versions") == [("b", "3")]


def test_past_its_size_the_oldest_events_go_first_and_the_file_shrinks(path: Path) -> None:
    writer = ArchiveWriter(path, clock=Clock(), retention=None, max_size=None).start()
    recorder = writer.recorder(SERVER)
    big = "x" * 3000
    recorder.changes([ev(f"e{i:05}", i + 1, NOW - 5000 + i, message=big) for i in range(3000)])
    assert writer.close()
    conn = connect(path)
    used = prune_steps.used_bytes(conn)
    limit = used // 3
    file_before = path.stat().st_size
    for _ in prune_steps.size_steps(conn, limit):
        pass
    assert prune_steps.used_bytes(conn) <= limit
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert path.stat().st_size < file_before / 2
    kept = rows(path, "SELECT min(time), count(*) FROM events")[0]
    gone = 3000 - kept[1]
    assert gone > 1500
    assert kept[0] == pytest.approx(NOW - 5000 + gone)  # exactly the oldest went
    assert rows(path, "SELECT count(*) FROM versions") == [(kept[1],)]


def test_the_writer_keeps_the_archive_within_its_size(path: Path) -> None:
    writer = ArchiveWriter(
        path,
        clock=Clock(),
        retention=None,
        max_size=2_000_000,
        commit_interval=0.05,
        size_check_interval=0.05,
    ).start()
    recorder = writer.recorder(SERVER)
    big = "y" * 2000
    for start in range(0, 4000, 500):
        recorder.changes(
            [ev(f"e{i:05}", i + 1, NOW - 5000 + i, message=big) for i in range(start, start + 500)]
        )
    assert writer.flush(30)
    conn = connect(path)
    wait_for(lambda: prune_steps.used_bytes(conn) <= 2_000_000, timeout=30)
    conn.close()
    assert rows(path, "SELECT max(time) FROM events") == [(NOW - 5000 + 3999,)]
    assert writer.close()


@pytest.mark.parametrize(
    ("text", "size"),
    [("1GB", 10**9), ("500 MB", 5 * 10**8), ("512MiB", 512 * 2**20), ("2gib", 2 * 2**30),
     ("4096", 4096), ("1.5KB", 1500)],
)  # fmt: skip
def test_sizes(text: str, size: int) -> None:
    assert ArchiveOptions.from_settings(ArchiveSettings(max_size=text)).max_size == size


@pytest.mark.parametrize("text", ["", "big", "-1GB", "0", "1XB"])
def test_bad_sizes_fall_back_to_the_default(text: str) -> None:
    assert ArchiveOptions.from_settings(ArchiveSettings(max_size=text)).max_size == 10**9


def test_the_archive_settings_as_options() -> None:
    options = ArchiveOptions.from_settings(ArchiveSettings())
    assert (options.enabled, options.retention, options.max_size) == (True, 7 * DAY, 10**9)
    options = ArchiveOptions.from_settings(ArchiveSettings(False, "2w", "200MB"))
    assert (options.enabled, options.retention, options.max_size) == (False, 14 * DAY, 2 * 10**8)
