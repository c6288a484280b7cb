"""The TUI's archive writer in a child process (ktui.archive.process): what it is given
reaches the file, flush and close wait for the commit, a killed TUI loses only what it had
not sent, and a killed writer, a locked or an unreadable file is said once while ktui
carries on."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ktui.archive import (
    ArchiveError,
    ArchiveHistory,
    ArchiveLocked,
    ArchiveUnreadable,
    WriterState,
)
from ktui.archive.process import FRAME_EVENTS, ProcessWriter
from ktui.kube.decode import build
from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.rawblock import RawPacker
from ktui.model.timerange import TimeRange
from tests.conftest import wait_until

from .conftest import NOW, SERVER, ev, obj, rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def problems() -> list[ArchiveError]:
    return []


@pytest.fixture
def make(path: Path, problems: list[ArchiveError]) -> Iterator[Callable[..., ProcessWriter]]:
    made: list[ProcessWriter] = []

    def factory(busy_timeout: float = 5.0) -> ProcessWriter:
        writer = ProcessWriter(path, on_problem=problems.append, retention=None,
                               max_size=None, busy_timeout=busy_timeout,
                               child_options={"commit_interval": 0.05}).start()  # fmt: skip
        made.append(writer)
        return writer

    yield factory
    for writer in made:
        writer.close(10)


RANGE = TimeRange.between(NOW - 86400, NOW + 86400)


def fields(e: Event) -> tuple[object, ...]:
    ref = e.object
    return (e.uid, e.resource_version, e.namespace, e.name, e.type, e.reason, e.message,
            e.source_component, e.source_host, e.reporting_controller, e.reporting_instance,
            e.action, e.api, e.count, e.first_seen, e.time, ref.kind, ref.name,
            ref.namespace, ref.uid, ref.api_version, ref.field_path)  # fmt: skip


def stream(n: int, start: int = 0) -> list[Event]:
    """Events as a watch stream builds them (raw JSON in the stream's shared blocks)."""
    packer = RawPacker()
    out = []
    for i in range(start, start + n):
        o = obj(f"e{i:05}", 100 + i, NOW - 5000 + i)
        out.append(build(o, "v1", "ctx", True, json.dumps(o, separators=(",", ":")).encode(),
                         packer))  # fmt: skip
    return out


def test_changes_reach_the_file_through_the_child_and_close_writes_the_rest(
    make: Callable[..., ProcessWriter], path: Path, problems: list[ArchiveError]
) -> None:
    writer = make()
    recorder = writer.recorder(SERVER, "ctx")
    listed = stream(FRAME_EVENTS * 3 + 5)  # a relist larger than a frame: sent in parts
    recorder.reset(listed, None)
    recorder.changes(stream(10, start=5000), deleted=[listed[0].as_expired()])
    assert writer.flush(30)
    assert rows(path, "SELECT count(*) FROM versions") == [(len(listed) + 10,)]
    assert rows(path, "SELECT uid FROM events WHERE expired_at IS NOT NULL") == [("e00000",)]
    recorder.changes([ev("last", 99_999, NOW)])
    assert writer.close(30)  # what was still queued is written before the child exits
    assert rows(path, "SELECT count(*) FROM events WHERE uid = 'last'") == [(1,)]
    raw = rows(path, "SELECT count(*) FROM versions WHERE block IS NOT NULL")[0][0]
    assert raw == len(listed) + 10  # the stream's JSON went into blocks, as in process
    status = writer.status
    assert status.state is WriterState.CLOSED and status.archived == len(listed) + 12
    history = ArchiveHistory(path, SERVER, context_label="ctx")
    back = {e.uid: e for batch in history.iter_all(Query(), RANGE) for e in batch}
    history.close()
    for sent in listed[1:40:7]:  # every field the archive keeps, as the TUI had it
        got = back[sent.uid]
        assert fields(got) == fields(sent) and got.raw == sent.raw
    assert (status.dropped, status.pending, problems) == (0, 0, [])


def test_a_killed_tui_loses_only_what_it_had_not_sent(tmp_path: Path, path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from ktui.archive.process import ProcessWriter
        from tests.archive.conftest import NOW, SERVER, ev
        writer = ProcessWriter(Path({str(path)!r}), retention=None, max_size=None).start()
        recorder = writer.recorder(SERVER, "ctx")
        recorder.changes([ev(f"e{{i}}", 10 + i, NOW) for i in range(3000)])
        while writer._pending or writer._queue:  # sent to the child, maybe not committed
            writer._wake.wait(0.01)
        print("sent", flush=True)
        sys.stdin.read()  # until the test kills this process
    """)
    tui = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert tui.stdout is not None and tui.stdout.readline() == "sent\n"
        os.kill(tui.pid, signal.SIGKILL)
    finally:
        tui.wait(10)
    # the child read to the end of the pipe, committed it and exited
    wait_until(lambda: path.exists() and rows(path, "SELECT count(*) FROM events") == [(3000,)],
               timeout=30)  # fmt: skip


def test_a_killed_writer_is_said_once_and_the_tui_carries_on(
    make: Callable[..., ProcessWriter], path: Path, problems: list[ArchiveError]
) -> None:
    writer = make()
    recorder = writer.recorder(SERVER, "ctx")
    recorder.changes([ev("a", 1, NOW)])
    assert writer.flush(30)
    assert writer._proc is not None
    writer._proc.kill()
    wait_until(lambda: writer.status.state is WriterState.FAILED, timeout=30)
    recorder.changes([ev("b", 2, NOW)])  # dropped and counted, nothing raised
    recorder.changes([ev("c", 3, NOW)])
    assert writer.status.dropped == 2
    assert len(problems) == 1 and "killed by signal" in str(problems[0])
    assert writer.flush(5)  # nothing to wait for
    assert not writer.close(5)
    assert rows(path, "SELECT uid FROM events") == [("a",)]


def test_a_locked_archive_is_said_once_and_written_when_released(
    make: Callable[..., ProcessWriter], path: Path, problems: list[ArchiveError]
) -> None:
    first = make()
    first.recorder(SERVER).changes([ev("first", 1, NOW)])
    assert first.close(30)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    writer = make(busy_timeout=0.05)
    recorder = writer.recorder(SERVER)
    recorder.changes([ev("a", 2, NOW)])
    wait_until(lambda: writer.status.state is WriterState.RETRYING, timeout=30)
    recorder.changes([ev("b", 3, NOW)])
    assert len(problems) == 1 and isinstance(problems[0], ArchiveLocked)
    holder.execute("COMMIT")
    holder.close()
    assert writer.flush(30)
    assert writer.status.state is WriterState.OK and writer.status.problem == ""
    assert rows(path, "SELECT uid FROM events ORDER BY uid") == [("a",), ("b",), ("first",)]
    assert len(problems) == 1


def test_an_unreadable_file_is_said_once_and_left_as_it_is(
    make: Callable[..., ProcessWriter], path: Path, problems: list[ArchiveError]
) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an archive\n" * 100)
    writer = make()
    writer.recorder(SERVER).changes([ev("a", 1, NOW)])
    wait_until(lambda: writer.status.state is WriterState.FAILED, timeout=30)
    writer.recorder(SERVER).changes([ev("b", 2, NOW)])
    assert len(problems) == 1 and isinstance(problems[0], ArchiveUnreadable)
    assert path.read_bytes() == b"not an archive\n" * 100
    writer.close(10)
    assert len(problems) == 1
