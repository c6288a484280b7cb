"""Real kubectl against the simulator (HTTPS: kubectl sends tokens only over TLS)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.sim import SimCluster, write_kubeconfig

from .conftest import TOKENS, wait_for

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

SDK = Path("/usr/lib/google-cloud-sdk/bin")
VERSIONED = sorted(str(p) for p in SDK.glob("kubectl.1.*")) if SDK.is_dir() else []


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimCluster, Path]]:
    home = tmp_path_factory.mktemp("kubectl-home")
    c = SimCluster(name="sim", scenario="scenario-a,scenario-b,scenario-c,lifecycle,"
                   "node-pressure", tokens=TOKENS, tls=True)
    c.load(300)
    with c:
        write_kubeconfig(home / "kubeconfig", [c])
        write_kubeconfig(home / "ns-kubeconfig", [c], token="ns-token", namespace="test")
        yield c, home


def kubectl(home: Path, *args: str, config: str = "kubeconfig", binary: str | None = None,
            timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(home / config), "HOME": str(home)}
    return subprocess.run([binary or KUBECTL or "kubectl", *args, "--request-timeout=10s"],
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_get_events_table(kube: tuple[SimCluster, Path]) -> None:
    c, home = kube
    r = kubectl(home, "get", "events", "-A")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON", "OBJECT",
                                "MESSAGE"]
    assert len(lines) - 1 == len(c.events())
    assert any('secret "misspelt-secret-name" not found' in line for line in lines)
    row = next(line for line in lines if "FailedScheduling" in line and "scenario-c" in line)
    assert row.split()[0] == "test" and "pod/scenario-c-6d988b8d84-gghjv" in row
    assert "Warning" in row.split()


def test_get_events_json_matches_ground_truth(kube: tuple[SimCluster, Path]) -> None:
    c, home = kube
    r = kubectl(home, "get", "events", "-A", "-o", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["kind"] == "List"
    assert {i["metadata"]["uid"] for i in d["items"]} == {
        e["metadata"]["uid"] for e in c.events()}
    assert all(i["kind"] == "Event" and i["apiVersion"] == "v1" for i in d["items"])


def test_get_events_gzipped(tmp_path: Path) -> None:
    """The simulator's response compression, as kube-apiserver's, is what kubectl reads."""
    c = SimCluster(name="gz", scenario="scenario-a", tokens=TOKENS, tls=True, gzip=True)
    c.load(400)
    with c:
        write_kubeconfig(tmp_path / "kubeconfig", [c])
        r = kubectl(tmp_path, "get", "events", "-A", "-o", "json")
    assert r.returncode == 0, r.stderr
    assert c.counters["gzipped"] >= 1  # kubectl asked for gzip, and the page was sent so
    assert {i["metadata"]["uid"] for i in json.loads(r.stdout)["items"]} == {
        e["metadata"]["uid"] for e in c.events()}


def test_chunk_size(kube: tuple[SimCluster, Path]) -> None:
    c, home = kube
    r = kubectl(home, "get", "events", "-A", "--chunk-size=50", "-o", "json", "-v=6")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("continue=") >= len(c.events()) // 50 - 1
    assert len(json.loads(r.stdout)["items"]) == len(c.events())


def test_field_selector_warnings_only(kube: tuple[SimCluster, Path]) -> None:
    c, home = kube
    r = kubectl(home, "get", "events", "-A", "--field-selector", "type=Warning")
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()[1:]
    assert rows and all(line.split()[2] == "Warning" for line in rows)
    assert len(rows) == sum(e["type"] == "Warning" for e in c.events())
    r = kubectl(home, "get", "events", "-A", "--field-selector", "bogus=1")
    assert r.returncode != 0 and "field label not supported: bogus" in r.stderr


def test_kubectl_events(kube: tuple[SimCluster, Path]) -> None:
    _c, home = kube
    r = kubectl(home, "events", "-A")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split()[:3] == ["NAMESPACE", "LAST", "SEEN"]
    assert re.search(r"\(x112 over 2[45]m\)", r.stdout)  # scenario-b's ImagePullBackOff
    r = kubectl(home, "events", "-n", "test", "--for", "pod/scenario-c-6d988b8d84-gghjv")
    assert r.returncode == 0, r.stderr
    assert "Insufficient cpu" in r.stdout


def test_rbac_forbidden(kube: tuple[SimCluster, Path]) -> None:
    _, home = kube
    r = kubectl(home, "get", "events", "-A", config="ns-kubeconfig")
    assert r.returncode != 0
    assert ('Error from server (Forbidden): events is forbidden: User "system:serviceaccount:'
            'test:viewer" cannot list resource "events" in API group "" at the cluster scope'
            in r.stderr)
    r = kubectl(home, "get", "events", config="ns-kubeconfig")  # the context's namespace
    assert r.returncode == 0 and "scenario-a" in r.stdout
    r = kubectl(home, "auth", "can-i", "list", "events", "-n", "payments",
                config="ns-kubeconfig")
    assert r.stdout.strip() == "no"


def test_get_events_watch(kube: tuple[SimCluster, Path]) -> None:
    c, home = kube
    env = {**os.environ, "KUBECONFIG": str(home / "kubeconfig"), "HOME": str(home)}
    watches = c.counters.get("watches", 0)  # before kubectl can open its own
    proc = subprocess.Popen([KUBECTL or "kubectl", "get", "events", "-A", "--watch-only"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # --watch-only lists, then watches from the list's resourceVersion: an event made
        # once the watch is answered is after that resourceVersion, so kubectl prints it
        wait_for(lambda: c.counters.get("watches", 0) > watches, timeout=15)
        c.emit("orders", "Unhealthy", "Readiness probe failed: watched-by-kubectl",
               "Warning", name="orders-1")
        wait_for(lambda: any("watched-by-kubectl" in s for s in seen), timeout=15)
        line = next(s for s in seen if "watched-by-kubectl" in s)
        assert line.split()[:4] == ["orders", "0s", "Warning", "Unhealthy"]
    finally:
        proc.kill()
        proc.wait(5)


def test_streaming_list_through_kubectl(kube: tuple[SimCluster, Path]) -> None:
    """The streaming list (sendInitialEvents) as kubectl carries it: the state as ADDED,
    then the bookmark that ends it; with the feature off, kube-apiserver's 422."""
    c, home = kube
    query = ("/api/v1/events?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
             "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
    r = kubectl(home, "get", "--raw", query)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    n = len(c.events())
    assert [line["type"] for line in lines[:n]] == ["ADDED"] * n
    assert lines[n]["type"] == "BOOKMARK"
    assert lines[n]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    off = SimCluster(name="off", scenario="scenario-a", tokens=TOKENS, tls=True,
                     streaming_list="off", history_window=10)
    with off:
        write_kubeconfig(home / "off-kubeconfig", [off])
        r = kubectl(home, "get", "--raw", query, config="off-kubeconfig")
        assert r.returncode == 1 and "WatchList feature gate" in r.stderr
        r = kubectl(home, "events", "-A", config="off-kubeconfig")  # lists as before
        assert r.returncode == 0 and len(r.stdout.splitlines()) == len(off.events()) + 1


@pytest.mark.parametrize("binary", VERSIONED, ids=[Path(b).name for b in VERSIONED])
def test_kubectl_versions(kube: tuple[SimCluster, Path], binary: str) -> None:
    c, home = kube
    r = kubectl(home, "get", "events", "-A", "-o", "json", binary=binary)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["items"]) == len(c.events())
    r = kubectl(home, "get", "events", "-n", "test", binary=binary)
    assert r.returncode == 0 and r.stdout.startswith("LAST SEEN"), r.stderr


def test_kubectl_copes_with_hostile(tmp_path: Path) -> None:
    with SimCluster(scenario="hostile", tls=True) as c:
        write_kubeconfig(tmp_path / "kubeconfig", [c])
        for args in (("get", "events", "-A"), ("events", "-A"),
                     ("get", "events.events.k8s.io", "-A", "-o", "json")):
            r = kubectl(tmp_path, *args)
            assert r.returncode == 0, (args, r.stderr)
        assert "Critical" in kubectl(tmp_path, "get", "events", "-n", "test").stdout
