"""``ktui events --watch`` tells its reader about gaps: a line on stderr when the watch goes
down and when it is back, the events that vanished meanwhile printed as expired, and exit
3 when ``--timeout`` ends with the watch down. Against the simulator, as a user runs it."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from ktui.sim import SimCluster, write_kubeconfig


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="gaps", scenario="empty", seed=9)
    sim.load(40, namespaces=["test"])
    sim.start()
    yield sim
    sim.stop()


class Lines:
    """The lines of a pipe, read in a thread: a test waits for one with a timeout."""

    def __init__(self, pipe: IO[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._queue.put(line.rstrip("\n"))

    def next(self, timeout: float = 20.0) -> str:
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line in {timeout} s; had {self.seen[-5:]}") from None
        self.seen.append(line)
        return line

    def until(self, prefix: str, timeout: float = 20.0) -> str:
        while not (line := self.next(timeout)).startswith(prefix):
            pass
        return line


def watch(kubeconfig: Path, timeout: float) -> tuple[subprocess.Popen[str], Lines, Lines]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(kubeconfig),
         "-n", "test", "-o", "jsonl", "--watch", "--timeout", str(timeout)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "KUBECONFIG": "/nonexistent"},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    return proc, Lines(proc.stdout), Lines(proc.stderr)


def test_a_gap_is_said_and_what_vanished_in_it_is_printed_expired(
    cluster: SimCluster, tmp_path: Path
) -> None:
    """Before: nothing on stderr, and the relist after the gap dropped the vanished events
    without a word."""
    proc, out, err = watch(write_kubeconfig(tmp_path / "kc", [cluster]), 60)
    try:
        listed = [json.loads(out.next()) for _ in range(40)]
        cluster.stop()
        assert err.next().startswith("ktui: watch down: reconnecting (")
        vanished = [record["uid"] for record in listed[:3]]
        for uid in vanished:
            cluster.expire(uid)  # a DELETED the watch never sees
        cluster.faults.compact()  # and the history gone: the watch must relist
        cluster.start()
        assert err.until("ktui: watching again").startswith("ktui: watching again (down ")
        assert all(line.startswith("ktui: watch down: ") for line in err.seen[:-1])
        printed = [json.loads(out.next()) for _ in vanished]
        assert sorted(r["uid"] for r in printed) == sorted(vanished)
        assert all(r["expired"] for r in printed)
        assert cluster.faults.fired["watch_410_event"] == 1
    finally:
        proc.kill()
        proc.wait()


def test_timeout_while_the_watch_is_down_exits_3(cluster: SimCluster, tmp_path: Path) -> None:
    """Before: 0, as if everything had been followed."""
    proc, out, err = watch(write_kubeconfig(tmp_path / "kc", [cluster]), 5)
    try:
        for _ in range(40):
            out.next()
        cluster.stop()
        assert err.next().startswith("ktui: watch down: reconnecting (")
        assert proc.wait(20) == 3
    finally:
        proc.kill()
        proc.wait()
