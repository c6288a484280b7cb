"""``ktui events --since 3h`` without ``--history``: the history store and the live list
merged, run as a user runs it, against the simulator and the shared OpenSearch
(osmem-server) or the local archive.

The world: a simulated cluster whose events the test writes one by one, and a history
store holding what an exporter (or ktui's archive) would have kept of them: older
versions of some live events, several versions of events the cluster has since deleted,
a stale copy that claims a higher count than the live event, events outside the range,
an events.k8s.io event (microsecond times among whole seconds) and a document of another
cluster. The expectations are written per event, from what the test did to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ktui.archive import ArchiveWriter
from ktui.model.event import from_core_v1
from ktui.sim import SimCluster, write_kubeconfig
from ktui.sim.exporter import index_documents
from tests.conftest import wait_until

from .conftest import Backend

CONTEXT = "tl"
CLUSTER_NAME = "eks-tl"
NAMESPACES = ("test", "payments")
SCRUBBED = ("KTUI_OPENSEARCH_URL", "KTUI_OPENSEARCH_INDEX", "OPENSEARCH_HOST",
            "OPENSEARCH_USER", "OPENSEARCH_PASSWORD", "KUBECONFIG")


def exporter_doc(obj: Mapping[str, Any], cluster: str = CLUSTER_NAME) -> dict[str, Any]:
    """What kubernetes-event-exporter stores of a core/v1 event."""
    doc = {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}
    doc["clusterName"] = cluster
    return doc


def seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass
class Want:
    origin: str
    count: int
    expired: bool


@dataclass
class World:
    sim: SimCluster
    kubeconfig: Path
    env: dict[str, str]
    now: float
    docs: list[dict[str, Any]] = field(default_factory=list)  # history, in send order
    want: dict[str, Want] = field(default_factory=dict)  # uid -> what the timeline shows
    absent: set[str] = field(default_factory=set)  # uids the 3h timeline must not show
    other_cluster: str = ""  # the uid of the other cluster's document


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    now = time.time()
    sim = SimCluster(name=CONTEXT, scenario="empty", seed=3)
    w = World(sim, tmp_path / "kubeconfig", {}, now)

    def emit(minutes_ago: float, ns: str = "test", **kwargs: Any) -> dict[str, Any]:
        return sim.emit(ns, kwargs.pop("reason", "BackOff"), kwargs.pop("message", "m"),
                        time=now - minutes_ago * 60, name=kwargs.pop("name", "web-1"),
                        **kwargs)

    # Live only: never exported.
    for minutes in (10, 20):
        obj = emit(minutes, name=f"fresh-{minutes}")
        w.want[obj["metadata"]["uid"]] = Want("live", 1, False)
    # Exported at count 1 two hours ago, repeated since: the live version wins.
    for i in range(3):
        obj = emit(120 + i, ns="payments", name=f"repeated-{i}", type="Warning")
        w.docs.append(exporter_doc(obj))
        live = sim.repeat(obj["metadata"]["uid"], 2, time=now - 5 * 60)
        w.want[obj["metadata"]["uid"]] = Want("live", live["count"], False)
    # A stale copy claiming more than the cluster says: the live version still wins.
    obj = emit(30, name="stale")
    w.docs.append(exporter_doc({**obj, "count": 99}))
    w.want[obj["metadata"]["uid"]] = Want("live", 1, False)
    # Deleted by the cluster (TTL), two versions exported: the later one, marked expired.
    for i in range(2):
        obj = emit(150 + i, name=f"gone-{i}")
        uid = obj["metadata"]["uid"]
        w.docs.append(exporter_doc(obj))
        later = sim.repeat(uid, 3, time=now - (100 + i) * 60)
        w.docs.append(exporter_doc(later))
        sim.expire(uid)
        w.want[uid] = Want("opensearch", later["count"], True)
    # Two versions at the same time: the higher count wins.
    obj = emit(90, name="same-time")
    uid = obj["metadata"]["uid"]
    w.docs += [exporter_doc({**obj, "count": 5}), exporter_doc({**obj, "count": 4})]
    sim.expire(uid)
    w.want[uid] = Want("opensearch", 5, True)
    # events.k8s.io: microsecond times between the whole seconds of the others.
    obj = emit(45.5, name="scheduler", api="events.k8s.io/v1", reason="FailedScheduling",
               component="default-scheduler")
    w.docs.append(exporter_doc(obj))
    sim.expire(obj["metadata"]["uid"])
    w.want[obj["metadata"]["uid"]] = Want("opensearch", 1, True)
    # Outside the three hours: neither the stored one nor the old live one shows.
    obj = emit(300, name="ancient")
    w.docs.append(exporter_doc(obj))
    sim.expire(obj["metadata"]["uid"])
    w.absent.add(obj["metadata"]["uid"])
    obj = emit(240, name="old-but-live")
    w.absent.add(obj["metadata"]["uid"])
    # Another cluster's document: shown (as expired) unless [clusters] names ours.
    other = exporter_doc(emit(50, name="elsewhere"), cluster="other")
    sim.expire(other["metadata"]["uid"])
    w.docs.append(other)
    w.other_cluster = other["metadata"]["uid"]
    w.want[w.other_cluster] = Want("opensearch", 1, True)

    sim.start()
    write_kubeconfig(w.kubeconfig, [sim])
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(KTUI_DATA_DIR=str(tmp_path / "data"), KTUI_CONFIG_DIR=str(tmp_path / "cfg"))
    (tmp_path / "cfg").mkdir()
    w.env = env
    yield w
    sim.stop()


@pytest.fixture
def indexed(world: World, backend: Backend) -> str:
    """The documents in one index without useEventID (every send kept); its pattern."""
    prefix = f"{backend.prefix}tl-{os.getpid()}-{time.monotonic_ns()}-"
    index_documents(backend.client, world.docs, "single", prefix=prefix, use_event_id=False)
    return prefix + "*"


def ktui(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(world.kubeconfig),
         *args], capture_output=True, text=True, timeout=120, env=world.env,
    )  # fmt: skip


def check(world: World, out: str, want: Mapping[str, Want]) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in out.splitlines()]
    uids = [r["uid"] for r in records]
    assert len(uids) == len(set(uids)), "an event was printed twice"
    assert set(uids) == set(want)
    assert not world.absent & set(uids)
    for record in records:
        expect = want[record["uid"]]
        got = Want(record["origin"], record["count"], record["expired"])
        assert got == expect, record
    times = [seconds(r["last_seen"]) for r in records]
    assert times == sorted(times), "not oldest first by time"
    assert any(r["last_seen"].count(".") for r in records)  # microseconds among seconds
    live = {from_core_v1(o, context=CONTEXT).uid: o for o in world.sim.events()}
    for record in records:  # the live ones are exactly the cluster's current versions
        if record["origin"] == "live":
            assert record["resourceVersion"] == live[record["uid"]]["metadata"]["resourceVersion"]
    return records


def test_the_timeline_merges_opensearch_and_the_live_list(
    world: World, backend: Backend, indexed: str
) -> None:
    done = ktui(world, "--since", "3h", "-A", "-o", "jsonl",
                "--opensearch-url", backend.url, "--index", indexed)
    assert done.returncode == 0, done.stderr
    records = check(world, done.stdout, world.want)
    assert {r["origin"] for r in records} == {"live", "opensearch"}
    other = next(r for r in records if r["uid"] == world.other_cluster)
    assert other["context"] == "other"  # its clusterName, as history shows it


def test_clusters_in_settings_keep_the_contexts_documents_only(
    world: World, backend: Backend, indexed: str
) -> None:
    settings = Path(world.env["KTUI_CONFIG_DIR"]) / "settings.toml"
    settings.write_text(f'[clusters]\n{CONTEXT} = "{CLUSTER_NAME}"\n', encoding="utf-8")
    done = ktui(world, "--since", "3h", "-A", "-o", "jsonl",
                "--opensearch-url", backend.url, "--index", indexed)
    assert done.returncode == 0, done.stderr
    want = {uid: w for uid, w in world.want.items() if uid != world.other_cluster}
    check(world, done.stdout, want)


def test_one_namespace_reads_that_namespace_on_both_sides(
    world: World, backend: Backend, indexed: str
) -> None:
    done = ktui(world, "--since", "3h", "-n", "payments", "-o", "jsonl",
                "--opensearch-url", backend.url, "--index", indexed)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["namespace"] for r in records] == ["payments"] * 3
    assert {r["origin"] for r in records} == {"live"}


def test_without_opensearch_the_archive_is_the_history(world: World, backend: Backend) -> None:
    """The same world, with the archive holding what the exporter held (as ktui and
    ``ktui record`` would have written it: versions, and the deletions they saw)."""
    writer = ArchiveWriter(Path(world.env["KTUI_DATA_DIR"]) / "archive.sqlite3").start()
    recorder = writer.recorder(world.sim.url, CONTEXT)
    # One version per resourceVersion, as a watch delivers them (the first of the two
    # same-time copies: count 5).
    seen: set[tuple[str, str]] = set()
    docs = []
    for doc in world.docs:
        key = (doc["metadata"]["uid"], doc["metadata"]["resourceVersion"])
        if doc["clusterName"] == CLUSTER_NAME and key not in seen:
            seen.add(key)
            docs.append(doc)
    events = [from_core_v1({"apiVersion": "v1", **doc}, context=CONTEXT) for doc in docs]
    recorder.changes(upserts=events)
    live = {o["metadata"]["uid"] for o in world.sim.events()}
    recorder.changes(deleted=[e for e in events if e.uid not in live])
    assert writer.flush(30)
    writer.close()
    done = ktui(world, "--since", "3h", "-A", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    want = {uid: Want("archive" if w.origin == "opensearch" else w.origin, w.count, w.expired)
            for uid, w in world.want.items() if uid != world.other_cluster}
    records = check(world, done.stdout, want)
    assert {r["origin"] for r in records} == {"live", "archive"}
    # --archive says the same; with an OpenSearch flag it is a usage error
    again = ktui(world, "--since", "3h", "-A", "-o", "jsonl", "--archive")
    assert again.stdout == done.stdout
    bad = ktui(world, "--since", "3h", "--archive", "--opensearch-url", backend.url)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "ktui: --opensearch-url reads OpenSearch; it cannot go with " \
        "--archive"


def test_no_archive_yet_is_the_live_list_and_a_note(world: World) -> None:
    done = ktui(world, "--since", "3h", "-A", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    want = {uid for uid, w in world.want.items() if w.origin == "live"}
    assert {r["uid"] for r in records} == want
    assert {r["origin"] for r in records} == {"live"}
    assert "ktui: note: no archive at" in done.stderr


def test_a_window_in_the_past_has_no_live_part(
    world: World, backend: Backend, indexed: str
) -> None:
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(world.now - 4 * 3600))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(world.now - 110 * 60))
    done = ktui(world, "--from", start, "--to", end, "-A", "-o", "jsonl",
                "--opensearch-url", backend.url, "--index", indexed)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    # in that window: the first sends of the three repeated events and of the two gone
    # ones (whose later versions came after it)
    assert len(records) == 5 and {r["origin"] for r in records} == {"opensearch"}
    assert not any(r["expired"] for r in records)  # nothing to compare with: not marked
    assert "no live events" in done.stderr
    watch = ktui(world, "--from", start, "--to", end, "--watch",
                 "--opensearch-url", backend.url, "--index", indexed)
    assert watch.returncode == 2 and "--watch follows the live watch" in watch.stderr


def test_watch_follows_the_live_watch_after_the_timeline(
    world: World, backend: Backend, indexed: str
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(world.kubeconfig),
         "--since", "3h", "-A", "-o", "jsonl", "--watch", "--timeout", "60",
         "--opensearch-url", backend.url, "--index", indexed],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=world.env,
    )  # fmt: skip
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: len(lines) >= len(world.want), timeout=60)
        new = world.sim.emit("test", "Created", "after the list", name="newcomer")
        uid = new["metadata"]["uid"]
        wait_until(lambda: any(json.loads(line)["uid"] == uid for line in lines), timeout=30)
        record = json.loads(next(line for line in lines if json.loads(line)["uid"] == uid))
        assert record["origin"] == "live" and record["expired"] is False
        assert len(lines) == len(world.want) + 1
    finally:
        proc.terminate()
        proc.wait(30)
        reader.join(10)


def test_the_incident_lens_groups_the_merged_events(
    world: World, backend: Backend, indexed: str
) -> None:
    done = ktui(world, "--since", "3h", "-A", "-o", "jsonl", "--group", "reason",
                "--opensearch-url", backend.url, "--index", indexed)
    assert done.returncode == 0, done.stderr
    groups = {g["group"]["name"]: g["events"] for g in map(json.loads, done.stdout.splitlines())}
    # every event of the timeline once: the scheduler's FailedScheduling, the rest BackOff
    assert groups == {"FailedScheduling": 1, "BackOff": len(world.want) - 1}
    report = ktui(world, "--since", "3h", "-A", "-o", "markdown",
                  "--opensearch-url", backend.url, "--index", indexed)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("#") and "FailedScheduling" in report.stdout


def test_raw_objects_are_refused_in_one_line(world: World) -> None:
    for args in ((), ("--context", f"{CONTEXT},other")):
        done = ktui(world, "--since", "3h", "-o", "raw-jsonl", *args)
        assert done.returncode == 2 and done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ktui: ")
        assert "use -o json or -o jsonl" in lines[0]


def test_a_context_missing_from_the_kubeconfig_is_named_and_the_other_goes_on(
    world: World, backend: Backend, indexed: str
) -> None:
    """Several contexts were refused ("name one context") before issue 13's timeline."""
    done = ktui(world, "--since", "3h", "-A", "-o", "jsonl", "--context", f"{CONTEXT},other",
                "--opensearch-url", backend.url, "--index", indexed)
    assert done.returncode == 1
    assert done.stderr.startswith("ktui: context other: ")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    # several contexts filter OpenSearch by their cluster names (here the kubeconfig's,
    # the context's own): the exporter's eks-tl documents are not this context's
    assert {r["uid"] for r in records} == {uid for uid, w in world.want.items()
                                           if w.origin == "live"}
    assert {r["context"] for r in records} == {CONTEXT}


def test_watch_says_the_gaps_and_exits_3_when_down_at_the_end(world: World) -> None:
    """As ``ktui events --watch`` (before: silence while the watch was down, and exit 0)."""
    from tests.cli.test_events_watch_gaps import Lines

    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(world.kubeconfig),
         "--since", "3h", "-A", "-o", "jsonl", "--watch", "--timeout", "8"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=world.env,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        live = sum(w.origin == "live" for w in world.want.values())
        for _ in range(live):  # no archive yet: the live events alone
            out.next()
        world.sim.stop()
        assert err.until("ktui: watch down: ").startswith("ktui: watch down: reconnecting (")
        assert proc.wait(30) == 3
    finally:
        proc.kill()
        proc.wait()
