"""``ktui events`` over several contexts (issue 13): three simulated API servers, one with a
rejected token and one that forbids the cluster-wide list."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.model.event import from_core_v1
from ktui.model.record import to_record
from ktui.sim import Grant, SimCluster, write_kubeconfig
from tests.cli.test_events_cmd import ktui


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[SimCluster], Path]]:
    east = SimCluster(name="east", scenario="scenario-a+lifecycle", seed=31)
    west = SimCluster(name="west", scenario="lifecycle", seed=32,
                      tokens={"someone-else": Grant.all()})
    north = SimCluster(name="north", scenario="scenario-b+lifecycle", seed=33,
                       tokens={"admin-token": Grant(namespaces={"test"}, groups={""})})
    clusters = [east, west, north]
    for cluster in clusters:
        cluster.start()
    path = write_kubeconfig(tmp_path_factory.mktemp("kc") / "config", clusters,
                            namespace="test")
    yield clusters, path
    for cluster in clusters:
        cluster.stop()


def _truth(cluster: SimCluster, namespace: str | None = None) -> list[dict[str, object]]:
    return [to_record(from_core_v1(o, context=cluster.name, keep_raw=False))
            for o in cluster.events()
            if namespace is None or o["metadata"]["namespace"] == namespace]


def _order(record: dict[str, object]) -> tuple[str, str, str]:
    return (str(record["last_seen"]), str(record["first_seen"]), str(record["name"]))


def test_several_contexts_make_one_stream_and_a_failing_one_is_named(
    three: tuple[list[SimCluster], Path]
) -> None:
    (east, _west, north), kubeconfig = three
    done = ktui("--kubeconfig", str(kubeconfig), "--context", "east,west,north", "-A",
                "-o", "jsonl")
    assert done.returncode == 1  # west failed, after everything else was printed
    records = [json.loads(line) for line in done.stdout.splitlines()]
    truth = _truth(east) + _truth(north, "test")  # north: RBAC narrows -A to its namespace
    assert sorted(records, key=lambda r: str(r["uid"])) == sorted(truth,
                                                                  key=lambda r: str(r["uid"]))
    assert [_order(r) for r in records] == sorted(_order(r) for r in records)
    assert {r["context"] for r in records} == {"east", "north"}
    lines = done.stderr.splitlines()
    assert any(line.startswith("ktui: context west: unauthorized") for line in lines)
    assert any(line.startswith("ktui: context north: note: forbidden cluster-wide")
               for line in lines)
    assert not any("context east" in line for line in lines)


def test_all_contexts_and_a_table_with_a_context_column(
    three: tuple[list[SimCluster], Path]
) -> None:
    (east, _, north), kubeconfig = three
    done = ktui("--kubeconfig", str(kubeconfig), "--all-contexts", "-n", "test")
    assert done.returncode == 1
    header, *rows = done.stdout.splitlines()
    assert header.split()[:2] == ["CONTEXT", "LAST"]
    contexts = {row.split()[0] for row in rows}
    assert contexts == {"east", "north"}
    assert len(rows) == len(_truth(east, "test")) + len(_truth(north, "test"))


def test_watching_several_contexts_follows_each(three: tuple[list[SimCluster], Path]) -> None:
    (east, _, north), kubeconfig = three
    process = subprocess.Popen(
        [sys.executable, "-m", "ktui.cli", "events", "--kubeconfig", str(kubeconfig),
         "--context", "east,north", "-n", "test", "--watch", "--timeout", "30", "-o", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    try:
        listed = len(_truth(east, "test")) + len(_truth(north, "test"))
        for _ in range(listed):
            assert process.stdout.readline()
        east.emit(namespace="test", reason="BackOff", type="Warning", message="east later")
        north.emit(namespace="test", reason="BackOff", type="Warning", message="north later")
        seen: dict[str, str] = {}
        while len(seen) < 2:
            record = json.loads(process.stdout.readline())
            if str(record["message"]).endswith("later"):
                seen[str(record["message"])] = str(record["context"])
        assert seen == {"east later": "east", "north later": "north"}
    finally:
        process.terminate()
        process.wait(10)
