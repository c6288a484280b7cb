"""The TUI's archive writer in a child process: the UI's interpreter lock stays the UI's.

Why: an :class:`~ktui.archive.writer.ArchiveWriter` thread in the TUI's process releases
and retakes the GIL around every SQLite step and zlib call (thousands of times a second in
a 5,000 events/s storm). Each time it wants the lock back while the UI thread is busy, the
UI thread is made to give it up within the 5 ms switch interval, and on a loaded machine
getting it back costs a wait for a core: bench_archive's ``archive_storm_ui_work_lost``
measured the in-process writer taking a large share of the main thread's Python work.

So the TUI hands its changes to ``python -m ktui.archive.child`` (the same ArchiveWriter,
in its own process) over a pipe. In this process: :meth:`submit` is one append under a
lock (as the in-process writer's), and a sender thread wakes every ``SEND_S``, pickles
what was queued (a watch stream's events carry their raw block once per frame,
compressed as the stream sealed it: ~300 bytes an event) in frames of at most
``FRAME_EVENTS`` events (each ``dumps`` holds the GIL well under a switch interval), and
writes them (the write waits without the GIL). A reader thread takes the child's status,
problems and flush answers.

The guarantees are the in-process writer's, and one more:

- A killed TUI loses only what its queue held (at most ``SEND_S``): the child reads to the
  end of the pipe, commits it and exits.
- A killed or failing child: said once through ``on_problem``; ktui carries on without
  archiving (what was queued is counted as dropped).
- A locked, damaged or foreign file: the child's writer says so once (relayed here) and
  retries or stops, as ``ktui record`` does; it never deletes a file it cannot read.
- Several processes writing at once: the child is one more SQLite writer (idempotent
  upserts, WAL).
- Overflow: when ``capacity`` changes are queued here (the child cannot keep up, the pipe
  is full), new ones are dropped and counted ("drop", the TUI's policy); the child
  learns which recorders lost changes (their relists then conclude nothing).

``ktui record`` keeps the in-process writer: it has no UI thread to protect.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ktui.archive import wire
from ktui.archive.recorder import DELETE, RESET, UNKNOWN_SCOPE, UPSERT, ArchiveTap, Recorder, Scope
from ktui.archive.schema import (
    ArchiveError,
    ArchiveLocked,
    ArchiveUnreadable,
    ArchiveUnwritable,
    cluster_key,
)
from ktui.archive.status import WriterState, WriterStatus
from ktui.archive.writer import DEFAULT_MAX_SIZE, DEFAULT_RETENTION

SEND_S = 0.1  # the sender's pace: what a killed TUI can lose
FRAME_EVENTS = 256  # events pickled per frame (~1 ms of the GIL at most)
_KINDS: dict[str, type[ArchiveError]] = {
    cls.__name__: cls for cls in (ArchiveError, ArchiveLocked, ArchiveUnreadable,
                                  ArchiveUnwritable)
}  # fmt: skip


class ProcessWriter:
    """Archives what its recorders see through a child process (see the module doc);
    the same calls as :class:`~ktui.archive.writer.ArchiveWriter` offers the TUI."""

    def __init__(
        self,
        path: Path,
        *,
        enabled: bool = True,
        retention: float | None = DEFAULT_RETENTION,
        max_size: int | None = DEFAULT_MAX_SIZE,
        capacity: int = 200_000,
        busy_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        on_problem: Callable[[ArchiveError], None] | None = None,
        child_options: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.enabled = enabled
        self.capacity = capacity
        self.clock = clock
        self.on_problem = on_problem
        # What the child's ArchiveWriter is made with (tests add commit_interval, ...).
        self.options = {"retention": retention, "max_size": max_size,
                        "busy_timeout": busy_timeout, **(child_options or {})}  # fmt: skip
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # flush() and close() wait on it
        self._wake = threading.Event()
        self._queue: deque[tuple[Any, ...]] = deque()  # messages, in order
        self._pending = 0  # changes queued here
        self._dropped = 0  # changes dropped here
        self._rids: dict[Recorder, int] = {}
        self._child: dict[str, Any] = {}  # the child's last status
        self._state = WriterState.STARTING if enabled else WriterState.OFF
        self._problem: ArchiveError | None = None  # this side's: the child is gone
        self._errors: IO[bytes] | None = None  # the child's stderr
        self._closing = False
        self._asked = self._answered = 0  # flushes
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- producers (any thread) ------------------------------------------------------

    def recorder(self, server: str, context: str = "") -> Recorder:
        """A recorder for one feed of the cluster whose API server is ``server``."""
        recorder = Recorder(self, cluster_key(server), context, self.clock())
        with self._lock:
            rid = self._rids[recorder] = len(self._rids) + 1
            self._queue.append(("recorder", rid, recorder.server, context, recorder.started_at))
        return recorder

    def tap(
        self,
        server: str,
        context: str = "",
        *,
        scope: Callable[[], Scope] = lambda: UNKNOWN_SCOPE,
        forward: bool = True,
    ) -> ArchiveTap:
        return ArchiveTap(self.recorder(server, context), scope=scope, forward=forward)

    def submit(self, op: str, recorder: Recorder, payload: Any, count: int) -> None:
        """Queue one recorder call: O(1), never waits."""
        if self._state is WriterState.OFF:
            return
        with self._lock:
            failed = self._state in (WriterState.FAILED, WriterState.CLOSED) or self._closing
            if failed or (count and self._pending + count > self.capacity and self._pending):
                self._dropped += count
                if count and not recorder.lost and not failed:
                    self._queue.append(("lost", self._rids[recorder]))
                recorder.lost = recorder.lost or count > 0
                return
            self._queue.append(("item", (op, self._rids[recorder], payload, self.clock(), count)))
            self._pending += count
            if self._pending >= FRAME_EVENTS * 8:
                self._wake.set()

    # -- control ---------------------------------------------------------------------

    def start(self) -> ProcessWriter:
        """Start the sender thread, which starts the child (nothing when archiving is off)."""
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ktui-archive", daemon=True)
            self._thread.start()
        return self

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the child committed everything submitted so far (or gave it up);
        False on timeout."""
        if self._thread is None:
            return not self._queue
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._asked += 1
            asked = self._asked
            self._queue.append(("flush", asked))
            self._wake.set()
            while self._answered < asked and self._state not in (WriterState.FAILED,
                                                                 WriterState.CLOSED):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(0.1 if remaining is None else min(remaining, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Send what is queued, end the child's input and wait for it to write it all and
        exit; True if it did within ``timeout`` seconds. (A child still writing after
        that finishes on its own.)"""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closing = True
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        proc = self._proc
        if proc is None or self._thread.is_alive():
            return False  # the child never started (said), or the pipe is stuck
        try:
            code = proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        with self._lock:
            while self._state not in (WriterState.CLOSED, WriterState.FAILED):
                if not self._changed.wait(max(0.0, deadline - time.monotonic())):
                    break
            return code == 0 and self._state is WriterState.CLOSED

    @property
    def status(self) -> WriterStatus:
        with self._lock:
            child = self._child
            problem = self._problem
            return WriterStatus(
                state=self._state,
                archived=child.get("archived", 0),
                new_versions=child.get("new_versions", 0),
                expired=child.get("expired", 0),
                dropped=self._dropped + child.get("dropped", 0),
                pending=self._pending + child.get("pending", 0),
                problem=str(problem) if problem is not None else child.get("problem", ""),
            )

    # -- the sender thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            proc = self._spawn()
        except OSError as error:
            self._fail(ArchiveUnwritable(f"cannot start the archive writer ({error})"))
            return
        reader = threading.Thread(target=self._read, args=(proc,), name="ktui-archive-status",
                                  daemon=True)  # fmt: skip
        reader.start()
        stdin = proc.stdin
        assert stdin is not None
        try:
            self._write(stdin, ("open", self.path, self.options))
            while True:
                self._wake.wait(SEND_S)
                closing = self._closing
                if not closing:
                    self._wake.clear()
                self._send(stdin)
                if closing and not self._queue:
                    break
            stdin.close()  # the child writes what it has and exits
        except (OSError, ValueError):  # the child is gone: the reader says so
            with self._lock:
                self._dropped += self._pending
                self._pending = 0
                self._queue.clear()

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        # The child imports this very ktui, wherever it was imported from.
        env["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
        # a traceback never reaches the terminal (kept open for the child's lifetime)
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ktui.archive.child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, env=env,
            start_new_session=True,  # no SIGINT/SIGHUP of the terminal's process group
        )  # fmt: skip
        return self._proc

    def _send(self, stdin: IO[bytes]) -> None:
        with self._lock:
            messages = list(self._queue)
            self._queue.clear()
        items: list[tuple[Any, ...]] = []
        events = 0
        stash = 0
        for message in messages:
            if message[0] != "item":
                if items:
                    self._write(stdin, ("items", items), events)
                    items, events = [], 0
                self._write(stdin, message)
                continue
            op, rid, payload, at, count = message[1]
            if op in (UPSERT, DELETE, RESET):
                listed = payload[0] if op == RESET else payload
                if len(listed) > FRAME_EVENTS:
                    # A relist's 20,000 events: a frame at a time, gathered by the child.
                    stash += 1
                    for start in range(0, len(listed), FRAME_EVENTS):
                        chunk = wire.pack_events(listed[start : start + FRAME_EVENTS])
                        self._write(stdin, ("stash", stash, chunk))
                    packed: Any = ("stash", stash)
                else:
                    packed = wire.pack_events(listed)
                payload = (packed, payload[1]) if op == RESET else packed
            items.append((op, rid, payload, at, count))
            events += count
            if events >= FRAME_EVENTS:
                self._write(stdin, ("items", items), events)
                items, events = [], 0
        if items:
            self._write(stdin, ("items", items), events)

    def _write(self, stdin: IO[bytes], message: tuple[Any, ...], events: int = 0) -> None:
        stdin.write(wire.encode(message))
        stdin.flush()
        if events:
            with self._lock:
                self._pending -= events

    # -- the reader thread -----------------------------------------------------------

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        stdout = proc.stdout
        assert stdout is not None
        while (message := wire.read(stdout)) is not None:
            kind = message[0]
            if kind == "status":
                with self._lock:
                    self._child = message[1]
                    if self._state not in (WriterState.FAILED, WriterState.CLOSED):
                        self._state = WriterState(message[1]["state"])
                    self._changed.notify_all()
            elif kind == "problem":
                _, name, text, state = message
                error = _KINDS.get(name, ArchiveError)(text)
                with self._lock:  # the child's writer says each episode once
                    if self._state is not WriterState.FAILED:
                        self._state = WriterState(state)
                    self._child = {**self._child, "problem": text}
                    self._changed.notify_all()
                if self.on_problem is not None:
                    self.on_problem(error)
            elif kind == "flushed":
                with self._lock:
                    self._answered = max(self._answered, message[1])
                    self._changed.notify_all()
        code = proc.wait()
        if self._closing and code in (0, 1):
            with self._lock:
                if self._state is not WriterState.FAILED:
                    self._state = WriterState.CLOSED
                self._changed.notify_all()
            return
        self._fail(ArchiveError(f"the archive writer stopped ({self._why(code)})"))

    def _why(self, code: int) -> str:
        if code < 0:
            return f"killed by signal {-code}"
        lines: list[str] = []
        if self._errors is not None:
            try:
                self._errors.seek(0)
                lines = self._errors.read().decode(errors="replace").strip().splitlines()
            except OSError:
                pass
        return f"exit code {code}" + (f": {lines[-1]}" if lines else "")

    def _fail(self, error: ArchiveError) -> None:
        """The child cannot be used: archiving stops for this process, said once."""
        with self._lock:
            first = self._state is not WriterState.FAILED
            self._state = WriterState.FAILED
            self._problem = error
            self._dropped += self._pending
            self._pending = 0
            self._queue.clear()
            self._changed.notify_all()
        if first and self.on_problem is not None:
            self.on_problem(error)
