"""``ktui record`` run as a user runs it, against the simulator with a short TTL, then
``ktui events --history`` with no OpenSearch: every event the simulator ever emitted, at
its last version; two recorders at once; a recorder killed with SIGKILL.

The simulator's change log is the ground truth: every ADDED/MODIFIED version it served
and every event it deleted. Its clock is a FakeClock, so the TTL reaper expires events
when the test advances time; the test waits on conditions, never on time.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ktui.cli.output import sorted_events
from ktui.model.event import from_core_v1
from ktui.model.record import to_record
from ktui.sim import SimCluster, write_kubeconfig
from ktui.sim.apiserver.store import DELETED
from ktui.sim.cluster import event_time
from tests.conftest import wait_until

TTL = 2.0  # seconds of the simulator's (fake) clock
NAMESPACES = ("test", "payments", "kube-system")
SCRUBBED = ("KTUI_OPENSEARCH_URL", "KTUI_OPENSEARCH_INDEX", "OPENSEARCH_HOST", "KUBECONFIG")


class FakeClock:
    def __init__(self, start: float) -> None:
        self.t = start
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.t

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.t += seconds


@dataclass
class Env:
    sim: SimCluster
    clock: FakeClock
    kubeconfig: Path
    data: Path
    env: dict[str, str]

    @property
    def archive(self) -> Path:
        return self.data / "archive.sqlite3"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Env]:
    # Half an hour in the past, so that `--since 1h` covers all the test emits.
    clock = FakeClock(time.time() - 1800)
    sim = SimCluster(name="rec", scenario="empty", now=clock, event_ttl=TTL,
                     bookmark_interval=0.2, seed=7)  # fmt: skip
    sim.start()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", [sim])
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(KTUI_DATA_DIR=str(tmp_path / "data"), KTUI_CONFIG_DIR=str(tmp_path / "cfg"))
    yield Env(sim, clock, kubeconfig, tmp_path / "data", env)
    sim.stop()


@dataclass
class Recording:
    """A ``ktui record`` process and what it says on stderr."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def start_reading(self) -> None:
        def read() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()

    def wait_watching(self) -> None:
        wait_until(
            lambda: any(line.startswith("ktui record: watching ·") for line in self.lines),
            timeout=60,  # a new interpreter on a busy machine
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(60)
        if self.reader is not None:
            self.reader.join(10)
        return code


def record(world: Env, *args: str) -> Recording:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "record", "--kubeconfig", str(world.kubeconfig),
         "--status-interval", "0.1", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=world.env,
    )  # fmt: skip
    recording = Recording(proc)
    recording.start_reading()
    return recording


@dataclass
class Truth:
    versions: set[tuple[str, str]]  # (uid, resourceVersion) of every ADDED/MODIFIED
    last: dict[str, dict[str, Any]]  # uid -> its last ADDED/MODIFIED object
    deleted: set[str]


def truth(sim: SimCluster) -> Truth:
    """What the simulator ever served, from its change log."""
    with sim.store.cond:
        log = list(sim.store.log)
    result = Truth(set(), {}, set())
    for rv, kind, version in log:
        if kind == DELETED:
            result.deleted.add(version.uid)
        else:
            result.versions.add((version.uid, str(rv)))
            result.last[version.uid] = version.obj
    return result


def archived(world: Env) -> tuple[set[tuple[str, str]], set[str], int]:
    """(versions, expired uids, version rows) in the archive, read as another program."""
    if not world.archive.exists():
        return set(), set(), 0
    conn = sqlite3.connect(f"{world.archive.as_uri()}?mode=ro", uri=True)
    try:
        versions = conn.execute("SELECT uid, rv FROM versions").fetchall()
        expired = conn.execute("SELECT uid FROM events WHERE expired_at IS NOT NULL").fetchall()
    except sqlite3.OperationalError:  # created but no tables yet
        return set(), set(), 0
    finally:
        conn.close()
    return set(versions), {uid for (uid,) in expired}, len(versions)


def caught_up(world: Env) -> Callable[[], bool]:
    def check() -> bool:
        want = truth(world.sim)
        versions, expired, _ = archived(world)
        return versions == want.versions and expired == want.deleted

    return check


def expected_records(world: Env) -> list[dict[str, Any]]:
    want = truth(world.sim)
    events = []
    for uid, obj in want.last.items():
        event = from_core_v1(obj, context=world.sim.name, keep_raw=False)
        events.append(event.as_expired() if uid in want.deleted else event)
    return [to_record(e) for e in sorted_events(events)]


def assert_same(records: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """The same records in the same order. Events of one second with one name (in two
    namespaces) tie on the sort key: their order among themselves is not specified."""

    def key(record: dict[str, Any]) -> tuple[str, str, str]:
        return (record["last_seen"], record["first_seen"], record["name"])

    assert [key(r) for r in records] == [key(r) for r in expected]
    assert {r["uid"]: r for r in records} == {r["uid"]: r for r in expected}
    assert len(records) == len(expected)


def history(world: Env, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(world.kubeconfig),
         "--history", "--since", "1h", "-o", "jsonl", *args],
        capture_output=True, text=True, timeout=120, env=world.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def expire_due(world: Env) -> None:
    """Advance past the TTL and wait until the simulator's reaper has expired what is due."""
    world.clock.advance(TTL + 0.5)
    cutoff = world.clock() - TTL

    def reaped() -> bool:
        with world.sim.store.cond:
            current = list(world.sim.store.current.values())
        return all((event_time(v.obj) or 0.0) >= cutoff for v in current)

    wait_until(reaped, timeout=30)


def churn(world: Env, rounds: int, per_round: int = 25) -> None:
    """ADDED events, MODIFIED repeats (some refreshed past the TTL), expiries by TTL and
    by hand, over several rounds of the simulator's clock."""
    sim = world.sim
    live: list[str] = []
    for r in range(rounds):
        for i in range(per_round):
            warning = i % 4 == 0
            created = sim.emit(
                NAMESPACES[i % 3], "BackOff" if warning else "Pulled", f"round {r} event {i}",
                "Warning" if warning else "Normal", name=f"pod-{r}-{i % 7}",
                api="events.k8s.io/v1" if i % 5 == 0 else "v1",
            )  # fmt: skip
            live.append(created["metadata"]["uid"])
        for uid in live[-per_round:][::3]:
            sim.repeat(uid)
        world.clock.advance(1.0)
        for uid in live[-2 * per_round :][::4]:
            if sim.get(uid) is not None:
                sim.repeat(uid, n=2)  # refreshed: outlives this round's expiry
        sim.expire(live[-1])
        expire_due(world)
    for i in range(per_round):  # the last ones stay live
        sim.emit(NAMESPACES[i % 3], "Started", f"still here {i}", name=f"pod-last-{i % 5}")


def test_recorded_history_is_every_event_ever_emitted_at_its_last_version(world: Env) -> None:
    recording = record(world)
    recording.wait_watching()
    churn(world, rounds=6)
    wait_until(caught_up(world), timeout=60)
    assert recording.stop(signal.SIGTERM) == 0
    want = truth(world.sim)
    assert len(want.deleted) > 50 and len(want.versions) > len(want.last) > 100
    assert want.deleted < set(want.last)  # some are still live
    records = history(world)  # no OpenSearch configured: the archive
    assert_same(records, expected_records(world))
    assert len({r["uid"] for r in records}) == len(records)
    status = [line for line in recording.lines if "events archived" in line]
    assert status and recording.lines[-1].startswith("ktui record: stopped: ")
    assert "Traceback" not in "\n".join(recording.lines)
    # Filters work on the archive as on OpenSearch.
    warnings = history(world, "--type", "Warning", "-n", "payments")
    assert_same(warnings, [
        r for r in expected_records(world)
        if r["type"] == "Warning" and r["namespace"] == "payments"
    ])  # fmt: skip
    assert warnings


def test_two_recorders_at_once_lose_and_duplicate_nothing(world: Env) -> None:
    first, second = record(world, "-A"), record(world)
    first.wait_watching()
    second.wait_watching()
    storm = world.sim.storm(400, 3.0, namespaces=NAMESPACES, repeat_ratio=0.2)
    wait_until(lambda: storm.emitted >= 300)
    expire_due(world)  # the storm's first events expire while it goes on
    storm.join(30)
    expire_due(world)
    churn(world, rounds=2)
    wait_until(caught_up(world), timeout=60)
    assert first.stop() == 0 and second.stop() == 0
    want = truth(world.sim)
    versions, expired, rows = archived(world)
    # none twice, none missing (the storm's size depends on the machine's load: at load 15
    # it sent 926 of its 1,200, so the bound is what it sent, not a number)
    assert rows == len(versions) == len(want.versions) >= storm.emitted >= 300
    assert expired == want.deleted
    assert_same(history(world), expected_records(world))
    for recording in (first, second):  # both wrote all of it (the other's copy ignored)
        final = recording.lines[-1]
        count = int(final.split("stopped: ")[1].split(" events")[0].replace(",", ""))
        assert count >= len(want.versions), final


def test_a_killed_recorder_loses_at_most_the_last_second(world: Env) -> None:
    recording = record(world)
    recording.wait_watching()
    noted: list[tuple[int, float]] = []  # (simulator rv, wall time soon after it was served)
    done = threading.Event()

    def note() -> None:
        store = world.sim.store
        while not done.is_set():
            with store.cond:
                store.cond.wait(0.05)
                rv = store.rv
            noted.append((rv, time.time()))

    noter = threading.Thread(target=note, daemon=True)
    noter.start()
    storm = world.sim.storm(300, 60.0, namespaces=NAMESPACES, repeat_ratio=0.2)
    wait_until(lambda: archived(world)[2] >= 600, timeout=60)
    # Not right after a commit (when the test sees one): some way into the next interval.
    mark = world.sim.store.rv
    wait_until(lambda: world.sim.store.rv >= mark + 120)
    killed_at = time.time()
    recording.proc.kill()
    recording.proc.wait(30)
    storm.stop()
    storm.join(10)
    done.set()
    noter.join(10)
    noted.append((world.sim.store.rv, time.time()))
    versions, _, _ = archived(world)
    with world.sim.store.cond:
        served = [(rv, v.uid) for rv, kind, v in world.sim.store.log if kind != DELETED]
    lost = [rv for rv, uid in served if (uid, str(rv)) not in versions]
    assert versions and len(versions) < len(served)  # killed while the storm went on
    # When each lost version was served, at the latest: the first note at or after its rv.
    latest_times = [next(t for noted_rv, t in noted if noted_rv >= rv) for rv in lost]
    assert min(latest_times) >= killed_at - 1.0, (
        f"a version served {killed_at - min(latest_times):.2f} s before the kill was lost"
    )
    conn = sqlite3.connect(world.archive)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert len(history(world)) == len({uid for uid, _ in versions})


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "timeout"])
def test_record_stops_cleanly(world: Env, how: str) -> None:
    world.sim.emit("test", "Pulled", "before the recorder")
    recording = record(world, *(["--timeout", "4"] if how == "timeout" else []))
    recording.wait_watching()
    wait_until(caught_up(world), timeout=60)
    if how == "timeout":
        assert recording.proc.wait(60) == 0
        assert recording.reader is not None
        recording.reader.join(10)
    else:
        assert recording.stop(getattr(signal, how)) == 0
    assert recording.lines[0].startswith("ktui record: recording rec (")
    assert recording.lines[-1] == "ktui record: stopped: 1 events archived"
    assert [r["message"] for r in history(world)] == ["before the recorder"]


def test_record_refuses_a_damaged_archive_and_leaves_it(world: Env) -> None:
    world.data.mkdir()
    world.archive.write_bytes(b"\x00not sqlite\xff" * 500)
    recording = record(world)
    assert recording.proc.wait(60) == 1
    assert recording.reader is not None
    recording.reader.join(10)
    text = "\n".join(recording.lines)
    assert text.count("is not a readable ktui archive") == 1 and "Traceback" not in text
    assert world.archive.read_bytes() == b"\x00not sqlite\xff" * 500
    done = subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(world.kubeconfig),
         "--history"], capture_output=True, text=True, timeout=60, env=world.env,
    )  # fmt: skip
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "is not a readable ktui archive" in done.stderr


def test_record_usage_errors_are_one_line(world: Env) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ktui.cli", "record", *args],
            capture_output=True, text=True, timeout=60, env=world.env,
        )  # fmt: skip

    done = run("--kubeconfig", str(world.kubeconfig), "--context", "nope")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "context 'nope' not found" in done.stderr
    (Path(world.env["KTUI_CONFIG_DIR"])).mkdir()
    (Path(world.env["KTUI_CONFIG_DIR"]) / "settings.toml").write_text(
        "[archive]\nenabled = false\n"
    )
    done = run("--kubeconfig", str(world.kubeconfig))
    assert done.returncode == 2
    assert done.stderr == (
        "ktui: archiving is off ([archive] enabled = false in settings.toml)\n"
    )
    assert not world.archive.exists()

