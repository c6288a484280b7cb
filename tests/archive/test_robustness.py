"""A damaged, foreign or locked archive never breaks ktui: it is said once, archiving
carries on without it (or resumes once the lock goes), and the file is never touched."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from ktui.archive import (
    ArchiveError,
    ArchiveHistory,
    ArchiveLocked,
    ArchiveUnreadable,
    ArchiveUnwritable,
    ArchiveWriter,
    WriterState,
)
from ktui.feeds.errors import SourceError
from ktui.model.query import Query
from ktui.model.timerange import TimeRange
from tests.conftest import wait_until as wait_for

from .conftest import NOW, SERVER, Clock, ev

SPAN = TimeRange.between(NOW - 3600, NOW + 3600)


def writer_for(
    path: Path, problems: list[ArchiveError], busy_timeout: float = 5.0
) -> ArchiveWriter:
    return ArchiveWriter(
        path,
        clock=Clock(),
        on_problem=problems.append,
        commit_interval=0.05,
        busy_timeout=busy_timeout,
    ).start()


def unreadable(path: Path, problems: list[ArchiveError]) -> None:
    """The writer refuses the file once, keeps accepting changes, touches nothing."""
    before = path.read_bytes()
    writer = writer_for(path, problems)
    recorder = writer.recorder(SERVER)
    wait_for(lambda: writer.status.state is WriterState.FAILED)
    for i in range(3):
        recorder.changes([ev(f"a{i}", i + 1, NOW)])  # never raises, never blocks
    assert writer.close()
    assert len(problems) == 1 and isinstance(problems[0], ArchiveUnreadable)
    assert str(path) in str(problems[0]) and "left as it is" in str(problems[0])
    assert "\n" not in str(problems[0])
    status = writer.status
    assert status.state is WriterState.FAILED and status.dropped == 3
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == [path.name]  # no -wal or -shm beside it
    history = ArchiveHistory(path, SERVER)
    with pytest.raises(SourceError, match=r"not a readable ktui archive|another program|newer"):
        history.search(Query(), SPAN)
    history.close()
    assert path.read_bytes() == before


def test_a_garbage_file_is_refused_and_left_alone(
    path: Path, problems: list[ArchiveError]
) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not SQLite at all\x00\xff" * 300)
    unreadable(path, problems)


def test_a_truncated_archive_is_refused_and_left_alone(
    path: Path, problems: list[ArchiveError]
) -> None:
    writer = writer_for(path, [])
    writer.recorder(SERVER).changes(
        [ev(f"a{i}", i + 1, NOW, message="x" * 2000) for i in range(200)]
    )
    assert writer.close()
    data = path.read_bytes()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(data[:100] + b"\x00" * 200 + data[300 : len(data) // 2])
    writer = writer_for(path, problems)
    writer.recorder(SERVER).changes([ev("b", 1, NOW)])
    assert writer.close()
    if writer.status.state is WriterState.FAILED:  # the header itself is damaged
        assert isinstance(problems[0], ArchiveUnreadable)
    else:  # pragma: no cover - SQLite found nothing wrong on the pages it touched
        pytest.fail(f"a damaged file was written to: {writer.status}")


def test_another_programs_database_is_refused(path: Path, problems: list[ArchiveError]) -> None:
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bookmarks (url TEXT)")
    conn.commit()
    conn.close()
    unreadable(path, problems)


def test_a_newer_ktuis_archive_is_refused(path: Path, problems: list[ArchiveError]) -> None:
    writer = writer_for(path, [])
    writer.recorder(SERVER).changes([ev("a", 1, NOW)])
    assert writer.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    unreadable(path, problems)
    assert "newer ktui" in str(problems[0])


def test_a_locked_archive_is_said_once_and_written_when_released(
    path: Path, problems: list[ArchiveError]
) -> None:
    writer = writer_for(path, [])
    writer.recorder(SERVER).changes([ev("first", 1, NOW)])
    assert writer.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    writer = writer_for(path, problems, busy_timeout=0.05)
    recorder = writer.recorder(SERVER)
    recorder.changes([ev("a", 2, NOW)])
    wait_for(lambda: writer.status.state is WriterState.RETRYING)
    recorder.changes([ev("b", 3, NOW)])
    wait_for(lambda: writer.status.pending == 2)
    assert len(problems) == 1 and isinstance(problems[0], ArchiveLocked)
    assert "locked" in writer.status.line()
    # Reading goes on meanwhile (WAL readers do not wait for writers).
    history = ArchiveHistory(path, SERVER)
    assert [e.uid for e in history.search(Query(), SPAN).events] == ["first"]
    holder.execute("COMMIT")
    holder.close()
    assert writer.flush(30)
    assert writer.status.state is WriterState.OK and writer.status.problem == ""
    assert sorted(e.uid for e in history.search(Query(), SPAN).events) == ["a", "b", "first"]
    assert len(problems) == 1
    history.close()
    assert writer.close()


def test_a_file_locked_before_it_became_an_archive(
    path: Path, problems: list[ArchiveError]
) -> None:
    path.parent.mkdir(parents=True)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    writer = writer_for(path, problems, busy_timeout=0.05)
    writer.recorder(SERVER).changes([ev("a", 1, NOW)])
    wait_for(lambda: bool(problems))
    assert isinstance(problems[0], ArchiveLocked)
    holder.execute("COMMIT")
    holder.close()
    assert writer.flush(30)
    assert writer.close() and writer.status.archived == 1


def test_a_place_that_cannot_hold_the_archive(
    tmp_path: Path, problems: list[ArchiveError]
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the directory should be")
    writer = writer_for(blocker / "archive.sqlite3", problems)
    writer.recorder(SERVER).changes([ev("a", 1, NOW)])
    wait_for(lambda: bool(problems))
    assert isinstance(problems[0], ArchiveUnwritable)
    assert "cannot create" in str(problems[0])
    assert writer.status.state is WriterState.RETRYING
    assert not writer.close(timeout=5)  # what it held could not be written
    assert writer.status.dropped == 1
    assert blocker.read_text() == "a file where the directory should be"


def test_history_without_an_archive_says_so(tmp_path: Path) -> None:
    history = ArchiveHistory(tmp_path / "none.sqlite3", SERVER)
    with pytest.raises(SourceError, match="no archive at"):
        history.search(Query(), SPAN)
    assert not (tmp_path / "none.sqlite3").exists()
