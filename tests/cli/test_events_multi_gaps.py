"""``ktui events --context a,b --watch`` tells its reader about gaps as one context does
(issue 13 with issue 11's ``--watch`` behaviour): a stderr line naming the context when its
watch goes down and when it is back, the events that vanished meanwhile printed expired,
and exit 3 when ``--timeout`` ends with a context's watch down (1 still wins when a context
failed outright). Two simulators, one taken down and brought back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.sim import Grant, SimCluster, write_kubeconfig
from tests.cli.test_events_watch_gaps import Lines


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[SimCluster, SimCluster, Path]]:
    east = SimCluster(name="east", scenario="empty", seed=41)
    west = SimCluster(name="west", scenario="empty", seed=42)
    for cluster in (east, west):
        cluster.load(20, namespaces=["test"])
        cluster.start()
    path = write_kubeconfig(tmp_path / "kc", [east, west], namespace="test")
    yield east, west, path
    for cluster in (east, west):
        cluster.stop()


def watch(kubeconfig: Path, contexts: str, timeout: float
          ) -> tuple[subprocess.Popen[str], Lines, Lines]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(kubeconfig),
         "--context", contexts, "-n", "test", "-o", "jsonl", "--watch",
         "--timeout", str(timeout)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "KUBECONFIG": "/nonexistent"},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    return proc, Lines(proc.stdout), Lines(proc.stderr)


def test_a_contexts_gap_is_named_and_what_vanished_is_printed_expired(
    pair: tuple[SimCluster, SimCluster, Path]
) -> None:
    """Before: silence on stderr while west was down, as if west were merely quiet."""
    east, west, kubeconfig = pair
    proc, out, err = watch(kubeconfig, "east,west", 60)
    try:
        listed = [json.loads(out.next()) for _ in range(40)]
        west.stop()
        assert err.next().startswith("ktui: context west: watch down: reconnecting (")
        vanished = [r["uid"] for r in listed if r["context"] == "west"][:3]
        for uid in vanished:
            west.expire(uid)  # a DELETED the watch never sees
        west.faults.compact()  # and the history gone: the watch must relist
        # east goes on meanwhile
        east.emit("test", "Created", "east while west is down", name="east-later")
        record = json.loads(out.next())
        assert (record["context"], record["message"]) == ("east", "east while west is down")
        west.start()
        back = err.until("ktui: context west: watching again")
        assert back.startswith("ktui: context west: watching again (down ")
        assert all(line.startswith("ktui: context west: watch down: ")
                   for line in err.seen[:-1])
        printed = [json.loads(out.next()) for _ in vanished]
        assert sorted(r["uid"] for r in printed) == sorted(vanished)
        assert all(r["expired"] and r["context"] == "west" for r in printed)
    finally:
        proc.kill()
        proc.wait()


def test_timeout_while_a_contexts_watch_is_down_exits_3(
    pair: tuple[SimCluster, SimCluster, Path]
) -> None:
    """Before: 0, as if every context had been followed."""
    _east, west, kubeconfig = pair
    proc, out, err = watch(kubeconfig, "east,west", 6)
    try:
        for _ in range(40):
            out.next()
        west.stop()
        assert err.next().startswith("ktui: context west: watch down: ")
        assert proc.wait(30) == 3
    finally:
        proc.kill()
        proc.wait()


def test_a_failed_context_still_exits_1_when_another_is_down_at_the_end(
    tmp_path: Path, pair: tuple[SimCluster, SimCluster, Path]
) -> None:
    east, west, _ = pair
    refused = SimCluster(name="north", scenario="empty", seed=43,
                         tokens={"someone-else": Grant.all()})  # admin-token: 401
    refused.start()
    try:
        kubeconfig = write_kubeconfig(tmp_path / "kc3", [east, west, refused],
                                      namespace="test")
        proc, out, err = watch(kubeconfig, "east,west,north", 6)
        try:
            for _ in range(40):
                out.next()
            assert err.until("ktui: context north: ").startswith(
                "ktui: context north: unauthorized")
            west.stop()
            err.until("ktui: context west: watch down: ")
            assert proc.wait(30) == 1
        finally:
            proc.kill()
            proc.wait()
    finally:
        refused.stop()
