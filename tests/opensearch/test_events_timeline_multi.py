"""``ktui events --since 3h --context a,b`` (and ``--all-contexts``) without ``--history``:
each context's history merged with its live list, one stream (issues 11 and 13), run as a
user runs it against two simulators (and a third whose token is rejected) plus
osmem-server or the local archive.

Each context's history is read as ``--history`` with several contexts reads it: its
archive by its cluster's server URL, or OpenSearch filtered by its cluster name (east's
from ``[clusters]`` in settings.toml, west's the kubeconfig's). Events are keyed by
(context, uid): one uid lives in east and is only in west's history, and both show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ktui.archive import ArchiveWriter
from ktui.model.event import Event, from_core_v1
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.sim.exporter import index_documents
from tests.conftest import wait_until

from .conftest import Backend
from .test_events_timeline import SCRUBBED, Want, exporter_doc, seconds

CLUSTER_NAMES = {"east": "eks-east", "west": "west"}  # east's from [clusters]


@dataclass
class Multi:
    sims: dict[str, SimCluster]
    refused: SimCluster
    kubeconfig: Path
    env: dict[str, str]
    docs: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, list[Event]] = field(default_factory=dict)  # context -> for the archive
    want: dict[tuple[str, str], Want] = field(default_factory=dict)  # (context, uid)
    absent: set[str] = field(default_factory=set)


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[Multi]:
    now = time.time()
    sims = {name: SimCluster(name=name, scenario="empty", seed=50 + i)
            for i, name in enumerate(CLUSTER_NAMES)}
    refused = SimCluster(name="north", scenario="empty", seed=59,
                         tokens={"someone-else": Grant.all()})  # admin-token: 401
    m = Multi(sims, refused, tmp_path / "kubeconfig", {})

    def store(context: str, obj: dict[str, Any], cluster: str | None = None) -> None:
        m.docs.append(exporter_doc(obj, cluster or CLUSTER_NAMES[context]))
        m.stored.setdefault(context, []).append(
            from_core_v1({"apiVersion": "v1", **obj}, context=context))

    for context, sim in sims.items():
        def emit(minutes_ago: float, name: str, sim: SimCluster = sim,
                 context: str = context) -> dict[str, Any]:
            return sim.emit("test", "BackOff", f"{context} {name}", time=now - minutes_ago * 60,
                            name=name, type="Warning")

        fresh = emit(10, "fresh")  # live only
        m.want[(context, fresh["metadata"]["uid"])] = Want("live", 1, False)
        repeated = emit(120, "repeated")  # stored at count 1; the live version wins
        store(context, repeated)
        live = sim.repeat(repeated["metadata"]["uid"], 2, time=now - 5 * 60)
        m.want[(context, repeated["metadata"]["uid"])] = Want("live", live["count"], False)
        gone = emit(150, "gone")  # stored twice, then deleted by the cluster
        uid = gone["metadata"]["uid"]
        store(context, gone)
        store(context, sim.repeat(uid, 3, time=now - 100 * 60))
        sim.expire(uid)
        m.want[(context, uid)] = Want("opensearch", 4, True)
        ancient = emit(300, "ancient")  # outside the three hours
        store(context, ancient)
        sim.expire(ancient["metadata"]["uid"])
        m.absent.add(ancient["metadata"]["uid"])
    # One uid in both: live in east, only in west's history (deleted there).
    shared = sims["east"].emit("test", "Pulled", "east shared", time=now - 40 * 60,
                               name="shared")
    uid = shared["metadata"]["uid"]
    m.want[("east", uid)] = Want("live", 1, False)
    west_copy = {**shared, "message": "west shared", "lastTimestamp":
                 time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 70 * 60))}
    store("west", west_copy)
    m.want[("west", uid)] = Want("opensearch", 1, True)
    # A third cluster's document: neither context's.
    other = sims["west"].emit("test", "BackOff", "elsewhere", time=now - 50 * 60, name="x")
    sims["west"].expire(other["metadata"]["uid"])
    m.docs.append(exporter_doc(other, "other"))
    m.absent.add(other["metadata"]["uid"])

    for sim in (*sims.values(), refused):
        sim.start()
    write_kubeconfig(m.kubeconfig, [*sims.values(), refused], namespace="test")
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(KTUI_DATA_DIR=str(tmp_path / "data"), KTUI_CONFIG_DIR=str(tmp_path / "cfg"))
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "settings.toml").write_text(
        '[clusters]\neast = "eks-east"\n', encoding="utf-8")
    m.env = env
    yield m
    for sim in (*sims.values(), refused):
        sim.stop()


@pytest.fixture
def indexed(multi: Multi, backend: Backend) -> str:
    prefix = f"{backend.prefix}tlm-{os.getpid()}-{time.monotonic_ns()}-"
    index_documents(backend.client, multi.docs, "single", prefix=prefix, use_event_id=False)
    return prefix + "*"


def ktui(multi: Multi, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(multi.kubeconfig),
         *args], capture_output=True, text=True, timeout=120, env=multi.env,
    )  # fmt: skip


def check(multi: Multi, out: str, origin: str = "opensearch") -> list[dict[str, Any]]:
    records = [json.loads(line) for line in out.splitlines()]
    keys = [(r["context"], r["uid"]) for r in records]
    assert len(keys) == len(set(keys)), "an event was printed twice"
    want = {key: Want(origin if w.origin == "opensearch" else w.origin, w.count, w.expired)
            for key, w in multi.want.items()}
    assert set(keys) == set(want)
    assert not multi.absent & {uid for _, uid in keys}
    for record in records:
        got = Want(record["origin"], record["count"], record["expired"])
        assert got == want[(record["context"], record["uid"])], record
    times = [seconds(r["last_seen"]) for r in records]
    assert times == sorted(times), "not oldest first"
    for context, sim in multi.sims.items():  # the live lines are the clusters' versions
        current = {o["metadata"]["uid"]: o for o in sim.events()}
        for record in records:
            if record["context"] == context and record["origin"] == "live":
                version = current[record["uid"]]["metadata"]["resourceVersion"]
                assert record["resourceVersion"] == version
    return records


def test_several_contexts_merge_each_ones_opensearch_history_and_live_list(
    multi: Multi, backend: Backend, indexed: str
) -> None:
    """Before: refused in one line ("name one context")."""
    done = ktui(multi, "--since", "3h", "--context", "east,west,north", "-A", "-o", "jsonl",
                "--opensearch-url", backend.url, "--index", indexed)
    assert done.returncode == 1, done.stderr  # north failed, after the others were printed
    records = check(multi, done.stdout)
    assert {r["context"] for r in records} == {"east", "west"}
    errors = done.stderr.splitlines()
    assert any(line.startswith("ktui: context north: unauthorized") for line in errors)
    assert not any("context east" in line or "context west" in line for line in errors)


def test_all_contexts_read_each_ones_archive(multi: Multi) -> None:
    writer = ArchiveWriter(Path(multi.env["KTUI_DATA_DIR"]) / "archive.sqlite3").start()
    for context, events in multi.stored.items():
        recorder = writer.recorder(multi.sims[context].url, context)
        by_version = {(e.uid, e.resource_version): e for e in events}
        recorder.changes(upserts=list(by_version.values()))
        live = {o["metadata"]["uid"] for o in multi.sims[context].events()}
        recorder.changes(deleted=[e for e in by_version.values() if e.uid not in live])
    assert writer.flush(30)
    writer.close()
    done = ktui(multi, "--since", "3h", "--all-contexts", "-A", "-o", "jsonl")
    assert done.returncode == 1, done.stderr
    check(multi, done.stdout, origin="archive")
    assert "ktui: context north: unauthorized" in done.stderr
    table = ktui(multi, "--since", "3h", "--context", "east,west", "-A")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:2] == ["CONTEXT", "NAMESPACE"]
    assert len(rows) == len(multi.want)


def test_watch_follows_every_context_after_the_timeline(
    multi: Multi, backend: Backend, indexed: str
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(multi.kubeconfig),
         "--since", "3h", "--context", "east,west", "-A", "-o", "jsonl", "--watch",
         "--timeout", "60", "--opensearch-url", backend.url, "--index", indexed],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=multi.env,
    )  # fmt: skip
    lines: list[dict[str, Any]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: len(lines) >= len(multi.want), timeout=60)
        check(multi, "\n".join(json.dumps(r) for r in lines))
        uids = {context: sim.emit("test", "Created", f"{context} later",
                                  name="newcomer")["metadata"]["uid"]
                for context, sim in multi.sims.items()}
        wait_until(lambda: len(lines) >= len(multi.want) + 2, timeout=30)
        later = lines[len(multi.want):]
        assert {(r["context"], r["uid"]) for r in later} == {(c, u) for c, u in uids.items()}
        assert all(r["origin"] == "live" and r["expired"] is False for r in later)
    finally:
        proc.terminate()
        proc.wait(30)
        reader.join(10)


def test_watch_names_a_context_whose_watch_is_down_and_exits_3(multi: Multi) -> None:
    from tests.cli.test_events_watch_gaps import Lines

    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(multi.kubeconfig),
         "--since", "3h", "--context", "east,west", "-A", "-o", "jsonl", "--watch",
         "--timeout", "8"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=multi.env,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        live = sum(w.origin == "live" for w in multi.want.values())
        for _ in range(live):  # no archive yet: the live events alone
            out.next()
        multi.sims["west"].stop()
        assert err.until("ktui: context west: watch down: ").startswith(
            "ktui: context west: watch down: reconnecting (")
        assert proc.wait(30) == 3
    finally:
        proc.kill()
        proc.wait()
