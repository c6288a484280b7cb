"""``ktui events --view NAME`` with live views, run as a user runs it, against a simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.model.event import from_core_v1
from ktui.model.record import to_record
from ktui.sim import SimCluster, write_kubeconfig
from ktui.views.store import SavedView, ViewStore

from .test_events_cmd import STATIC, TOKENS


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="demo", scenario=STATIC, seed=11, tokens=TOKENS)
    sim.load(600, namespaces=["test", "payments", "kube-system"])
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def kubeconfig(cluster: SimCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The context's own namespace is kube-system: a view's namespaces must replace it.
    return write_kubeconfig(
        tmp_path_factory.mktemp("kc") / "config", [cluster], namespace="kube-system"
    )


@pytest.fixture
def store(tmp_path: Path) -> ViewStore:
    return ViewStore(tmp_path / "views")


def ktui(store: ViewStore, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KUBECONFIG": "/nonexistent",
        "COLUMNS": "120",
        "KTUI_CONFIG_DIR": str(store.directory.parent),
    }
    return subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def expected(cluster: SimCluster, keep: Any = None) -> list[dict[str, Any]]:
    events = [from_core_v1(o, context=cluster.name, keep_raw=False) for o in cluster.events()]
    events = [e for e in events if keep is None or keep(e)]
    events.sort(key=lambda e: (e.time, e.first_seen, e.name))
    return [to_record(e) for e in events]


def jsonl(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def one_error_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert done.stdout == ""
    return lines[0]


def test_live_view_applies_query_types_and_namespaces(
    cluster: SimCluster, kubeconfig: Path, store: ViewStore
) -> None:
    store.save(SavedView("test warnings", query="-reason:Hostile", types=("Warning",),
                         namespaces=("test", "payments")))  # fmt: skip
    got = jsonl(ktui(store, "--view", "test warnings", "--kubeconfig", str(kubeconfig),
                     "-o", "jsonl"))  # fmt: skip
    want = expected(cluster, lambda e: e.namespace in ("test", "payments")
                    and e.type == "Warning" and e.reason != "Hostile")  # fmt: skip
    assert got == want
    assert got and {r["namespace"] for r in got} == {"test", "payments"}


def test_flags_on_the_command_line_win(
    cluster: SimCluster, kubeconfig: Path, store: ViewStore
) -> None:
    store.save(SavedView("v", query="reason:BackOff", types=("Warning",), namespaces=("test",)))
    kc = ("--kubeconfig", str(kubeconfig), "-o", "jsonl")
    got = jsonl(ktui(store, "--view", "v", *kc, "-n", "payments"))
    assert got == expected(cluster, lambda e: e.namespace == "payments"
                           and e.type == "Warning" and e.reason == "BackOff")  # fmt: skip
    assert got
    got = jsonl(ktui(store, "--view", "v", *kc, "--query", "", "--type", "Normal"))
    # An empty --query cannot be told from none: the view's query stays, the type changes.
    assert got == expected(cluster, lambda e: e.namespace == "test"
                           and e.type == "Normal" and e.reason == "BackOff")  # fmt: skip
    assert got
    got = jsonl(ktui(store, "--view", "v", *kc, "--query=-reason:BackOff", "-A"))
    assert got == expected(cluster, lambda e: e.type == "Warning" and e.reason != "BackOff")
    assert {r["namespace"] for r in got} >= {"test", "payments", "kube-system"}


def test_view_without_namespaces_lists_every_namespace(
    cluster: SimCluster, kubeconfig: Path, store: ViewStore
) -> None:
    store.save(SavedView("all"))
    got = jsonl(ktui(store, "--view", "all", "--kubeconfig", str(kubeconfig), "-o", "jsonl"))
    assert got == expected(cluster)
    table = ktui(store, "--view", "all", "--kubeconfig", str(kubeconfig))
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("NAMESPACE ")  # every namespace: the namespace column
    # Two types: both kept, and only those (the simulator also makes odd types).
    store.save(SavedView("both", types=("Warning", "Normal"), namespaces=("test",)))
    got = jsonl(ktui(store, "--view", "both", "--kubeconfig", str(kubeconfig), "-o", "jsonl"))
    want = expected(cluster, lambda e: e.namespace == "test"
                    and e.type.lower() in ("warning", "normal"))  # fmt: skip
    assert got == want
    assert {r["type"] for r in got} == {"Warning", "Normal"}
    assert len(want) < len(expected(cluster, lambda e: e.namespace == "test"))


def test_view_context(cluster: SimCluster, kubeconfig: Path, store: ViewStore) -> None:
    store.save(SavedView("elsewhere", context="prod-eu", namespaces=("test",)))
    line = one_error_line(ktui(store, "--view", "elsewhere", "--kubeconfig", str(kubeconfig)), 2)
    assert line == f"ktui: kubeconfig {kubeconfig}: context 'prod-eu' not found"
    got = jsonl(ktui(store, "--view", "elsewhere", "--kubeconfig", str(kubeconfig),
                     "--context", cluster.name, "-o", "jsonl"))  # fmt: skip
    assert got == expected(cluster, lambda e: e.namespace == "test")


def test_unknown_and_broken_views(kubeconfig: Path, store: ViewStore) -> None:
    kc = ("--kubeconfig", str(kubeconfig))
    line = one_error_line(ktui(store, "--view", "x", *kc), 2)
    assert line == "ktui: no saved view named 'x' (there are none)"
    store.save(SavedView("fine"))
    store.directory.joinpath("broken.toml").write_text('name = "broken"\nmode = "sideways"\n')
    line = one_error_line(ktui(store, "--view", "broken", *kc), 2)
    assert line.startswith("ktui: saved view 'broken' (broken.toml) cannot be loaded: ")
    assert "sideways" in line and line.endswith("fix or delete that file")
    store.directory.joinpath("garbage.toml").write_text("name = \x1b[2J\n[[[")
    # the file that would hold the name is broken: the line says what is wrong with it
    line = one_error_line(ktui(store, "--view", "garbage", *kc), 2)
    assert line.startswith("ktui: saved view 'garbage': ")
    assert "garbage.toml: not valid TOML" in line
    assert "\x1b" not in line
    # another name: the broken files are counted, since one of them may hold it
    line = one_error_line(ktui(store, "--view", "other", *kc), 2)
    assert line == (
        "ktui: no saved view named 'other' (known: 'fine'); "
        "2 view file(s) could not be loaded (ktui views list says why)"
    )
    # A live view with a range: that view's merged timeline (no history store here: the
    # live events, each saying so)
    got = jsonl(ktui(store, "--view", "fine", *kc, "--since", "1h", "-o", "jsonl"))
    assert got and {r["origin"] for r in got} == {"live"}
