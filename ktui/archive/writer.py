"""The archive's background writer: one thread, batched transactions, a bounded queue.

Producers (watch threads, never the UI thread's hot path) call a :class:`Recorder`, which
calls :meth:`ArchiveWriter.submit`: one append to a deque under a lock, whatever the size
of the batch, so a 5,000 events/s storm costs its producer next to nothing. The writer
thread wakes every ``commit_interval`` (or sooner when a large batch is waiting), takes
everything queued and writes it in one transaction; a backlog is cut into transactions
of ``max_batch`` events so a commit lands at least every second. A process killed at any
moment loses only what was queued since the last commit.

When the queue holds ``capacity`` events (the archive cannot keep up, or it is locked),
the ``overflow`` policy applies:

- ``"drop"`` (the TUI): the new changes are dropped and counted. A UI that waits on its
  archive is worse than an archive with a counted gap; the live view keeps every event.
- ``"block"`` (``ktui record``): the producer waits for room while the writer is healthy,
  which slows the watch until the server's stream backs up, and loses nothing. While the
  archive is locked or failed it drops instead, so a stuck archive never stalls the
  watch forever.

Errors are reported once per episode through ``on_problem`` (and :attr:`status`):
a locked or unwritable archive is retried with back-off, the batch kept; a file that is
not a readable archive turns archiving off for this process and is never touched.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ktui.archive import prune
from ktui.archive.ops import Applied, Item, apply
from ktui.archive.recorder import UNKNOWN_SCOPE, ArchiveTap, Recorder, Scope
from ktui.archive.schema import (
    ArchiveError,
    ArchiveLocked,
    ArchiveUnreadable,
    classify,
    cluster_key,
    connect,
)
from ktui.archive.status import WriterState, WriterStatus

DEFAULT_RETENTION = 7 * 86400.0
DEFAULT_MAX_SIZE = 1_000_000_000
SIZE_CHECK_S = 10.0


class _Backoff:
    """Waits between retries of a locked or unwritable archive: 0.5 s doubling to 10 s."""

    def __init__(self) -> None:
        self.wait = 0.5

    def next(self) -> float:
        wait, self.wait = self.wait, min(self.wait * 2, 10.0)
        return wait

    def reset(self) -> None:
        self.wait = 0.5


class ArchiveWriter:
    """Writes what its recorders see into the archive at ``path`` (see the module doc)."""

    def __init__(
        self,
        path: Path,
        *,
        enabled: bool = True,
        retention: float | None = DEFAULT_RETENTION,
        max_size: int | None = DEFAULT_MAX_SIZE,
        capacity: int = 200_000,
        overflow: str = "drop",
        commit_interval: float = 0.25,
        max_batch: int = 10_000,
        busy_timeout: float = 5.0,
        prune_interval: float = 300.0,
        size_check_interval: float = SIZE_CHECK_S,
        clock: Callable[[], float] = time.time,
        on_problem: Callable[[ArchiveError], None] | None = None,
    ) -> None:
        if overflow not in ("drop", "block"):
            raise ValueError("overflow must be 'drop' or 'block'")
        self.path = path
        self.enabled = enabled
        self.retention = retention
        self.max_size = max_size
        self.capacity = capacity
        self.overflow = overflow
        self.commit_interval = commit_interval
        self.max_batch = max_batch
        self.busy_timeout = busy_timeout
        self.prune_interval = prune_interval
        self.size_check_interval = size_check_interval
        self.clock = clock
        self.on_problem = on_problem
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # producers waiting (block policy)
        self._committed = threading.Condition(self._lock)  # flush() waiting
        self._wake = threading.Event()
        self._queue: deque[Item] = deque()
        self._pending = 0
        self._put_seq = 0  # items submitted
        self._done_seq = 0  # items committed or given up
        self._archived = self._new_versions = self._expired = self._dropped = 0
        self._state = WriterState.STARTING if enabled else WriterState.OFF
        self._problem: ArchiveError | None = None
        self._closing = False
        self._abandoned = 0  # changes given up when closing (the archive was unusable)
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None

    # -- producers (any thread) ------------------------------------------------------

    def recorder(self, server: str, context: str = "") -> Recorder:
        """A recorder for one feed of the cluster whose API server is ``server``."""
        return Recorder(self, cluster_key(server), context, self.clock())

    def tap(
        self,
        server: str,
        context: str = "",
        *,
        scope: Callable[[], Scope] = lambda: UNKNOWN_SCOPE,
        forward: bool = True,
    ) -> ArchiveTap:
        """A channel for one run of a live source that also archives what it carries
        (``scope``: what the source's initial list covered, e.g. ``KubeSource.watched``)."""
        return ArchiveTap(self.recorder(server, context), scope=scope, forward=forward)

    def submit(
        self, op: str, recorder: Recorder, payload: Any, count: int, at: float | None = None
    ) -> None:
        """Queue one recorder call: O(1), returns at once (unless ``overflow="block"`` and
        the queue is full while the writer is healthy). ``at``: when it was seen (now)."""
        state = self._state
        if state is WriterState.OFF:
            return
        with self._lock:
            if state in (WriterState.FAILED, WriterState.CLOSED) or self._closing:
                self._dropped += count
                recorder.lost = recorder.lost or count > 0
                return
            if count and self._pending + count > self.capacity and self._pending:
                while (
                    self.overflow == "block"
                    and self._state in (WriterState.OK, WriterState.STARTING)
                    and self._pending + count > self.capacity
                    and self._pending
                    and not self._closing
                ):
                    self._wake.set()
                    self._room.wait(0.1)
                if self._pending + count > self.capacity and self._pending:
                    self._dropped += count
                    recorder.lost = True
                    return
            self._queue.append((op, recorder, payload, self.clock() if at is None else at, count))
            self._pending += count
            self._put_seq += 1
            if self._pending >= self.max_batch:
                self._wake.set()

    # -- control ---------------------------------------------------------------------

    def start(self) -> ArchiveWriter:
        """Start the writer thread (nothing happens when archiving is off)."""
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ktui-archive", daemon=True)
            self._thread.start()
        return self

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is committed (or given up); False on
        timeout."""
        if self._thread is None:
            return not self._queue
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            target = self._put_seq
            self._wake.set()
            while self._done_seq < target and self._thread.is_alive():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._committed.wait(0.1 if remaining is None else min(remaining, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Write what is queued, stop the thread and close the file; True if all of it
        was written within ``timeout`` seconds."""
        with self._lock:
            self._closing = True
            self._room.notify_all()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive() and not self._abandoned

    @property
    def status(self) -> WriterStatus:
        with self._lock:
            problem = self._problem
            return WriterStatus(
                state=self._state,
                archived=self._archived,
                new_versions=self._new_versions,
                expired=self._expired,
                dropped=self._dropped,
                pending=self._pending,
                problem=str(problem) if problem is not None else "",
            )

    # -- the writer thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as error:  # a bug: stop archiving and say so; the caller lives on
            self._fail(ArchiveError(f"archive writer stopped: {error!r}"), fatal=True)
        finally:
            self._finish()

    def _loop(self) -> None:
        retry = _Backoff()
        next_prune = next_size_check = 0.0
        pruning: Iterator[int] | None = None
        held: list[Item] = []  # a batch whose transaction failed, retried first
        while True:
            closing = self._closing
            if self._conn is None and not self._open():
                if self._state is WriterState.FAILED or closing:
                    break
                self._pause(retry.next())
                continue
            batch = held or self._take()
            held = []
            if batch:
                if not self._write(batch):
                    if self._state is WriterState.FAILED:
                        break
                    if closing:
                        self._give_up(batch)
                        break
                    held = batch
                    self._pause(retry.next())
                    continue
                retry.reset()
                if self._queue:
                    continue  # a backlog: the next transaction at once
            if closing:
                break
            now = time.monotonic()
            if pruning is None and now >= next_prune:
                pruning, next_prune = self._prune_plan(full=True), now + self.prune_interval
            elif pruning is None and now >= next_size_check:
                # A storm can fill the archive between two full prunes: its size (three
                # cheap pragmas) is looked at more often.
                pruning = self._prune_plan(full=False)
                next_size_check = now + self.size_check_interval
            if pruning is not None:
                pruning = self._prune_step(pruning)
                if pruning is not None:
                    continue  # one small step at a time, new events between steps
            self._pause(self.commit_interval)

    def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when woken (a large batch queued, flush, close)."""
        self._wake.wait(seconds)
        if not self._closing:
            self._wake.clear()

    def _open(self) -> bool:
        try:
            self._conn = connect(self.path, busy_timeout=self.busy_timeout)
        except ArchiveError as error:
            self._fail(error)
            return False
        self._recover()
        return True

    def _take(self) -> list[Item]:
        batch: list[Item] = []
        events = 0
        with self._lock:
            queue = self._queue
            while queue and events < self.max_batch:
                item = queue.popleft()
                batch.append(item)
                events += item[4]
        return batch

    def _write(self, batch: list[Item]) -> bool:
        conn = self._conn
        assert conn is not None
        done = Applied()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                apply(conn, batch, self.clock(), done)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            done.rollback()
            self._fail(classify(error, self.path))
            return False
        except Exception as error:  # a bug: stop archiving, say so, never kill the caller
            done.rollback()
            self._fail(ArchiveError(f"archive writer stopped: {error!r}"), fatal=True)
            return False
        events = sum(item[4] for item in batch)
        with self._lock:
            self._pending -= events
            self._done_seq += len(batch)
            self._archived += done.events
            self._new_versions += done.new_versions
            self._expired += done.expired
            self._room.notify_all()
            self._committed.notify_all()
        self._recover()
        return True

    def _prune_plan(self, *, full: bool) -> Iterator[int] | None:
        """The steps of a prune: retention and size (``full``), or size only."""
        conn = self._conn
        assert conn is not None
        retention = self.retention if full else None
        max_size = self.max_size
        if retention is None and max_size is None:
            return None

        def steps() -> Iterator[int]:
            if retention is not None:
                yield from prune.retention_steps(conn, self.clock() - retention)
            if max_size is not None:
                yield from prune.size_steps(conn, max_size)

        return steps()

    def _prune_step(self, steps: Iterator[int]) -> Iterator[int] | None:
        try:
            next(steps)
        except StopIteration:
            return None
        except sqlite3.Error as error:
            if self._conn is not None and self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            # A prune that cannot run now (locked by another process's prune) waits for
            # the next round; it is not worth a message unless the writes fail too.
            if not isinstance(classify(error, self.path), ArchiveLocked):
                self._fail(classify(error, self.path))
            return None
        return steps

    def _fail(self, error: ArchiveError, *, fatal: bool = False) -> None:
        fatal = fatal or isinstance(error, ArchiveUnreadable)
        with self._lock:
            first = self._problem is None
            self._problem = error
            self._state = WriterState.FAILED if fatal else WriterState.RETRYING
            if fatal:
                self._dropped += self._pending
                self._pending = 0
                self._queue.clear()
            self._room.notify_all()
            self._committed.notify_all()
        if fatal and self._conn is not None:
            self._conn.close()
            self._conn = None
        if first and self.on_problem is not None:
            self.on_problem(error)  # said once per episode: again only after a recovery

    def _recover(self) -> None:
        with self._lock:
            if self._state in (WriterState.STARTING, WriterState.RETRYING):
                self._state = WriterState.OK
                self._problem = None

    def _give_up(self, batch: list[Item]) -> None:
        events = sum(item[4] for item in batch)
        with self._lock:
            self._pending -= events
            self._dropped += events
            self._abandoned += events
            self._done_seq += len(batch)
            for item in batch:
                item[1].lost = True

    def _finish(self) -> None:
        with self._lock:
            rest = list(self._queue)
            self._queue.clear()
        if rest:
            self._give_up(rest)
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None
        with self._lock:
            if self._state is not WriterState.FAILED:
                self._state = WriterState.CLOSED
            self._room.notify_all()
            self._committed.notify_all()
