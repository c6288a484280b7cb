"""RBAC fallbacks (per namespace, between the two events APIs) and exec credentials,
against the simulator's grants."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.feeds.channel import BatchChannel
from ktui.feeds.errors import Forbidden, Unauthorized
from ktui.feeds.status import State
from ktui.kube.source import KubeSource
from ktui.model.event import API_EVENTS
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.sim.apiserver.tls import CA_PEM
from tests.kube.test_kube_watch import FAST, Consumer, churn, settle, truth, wait_for

TOKENS = {
    "admin-token": Grant.all(),
    "ns-token": Grant(namespaces={"test", "other"}, groups={""}),
    "new-api-token": Grant(groups={"events.k8s.io"}),
    "core-api-token": Grant(groups={""}),
}


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="sim", scenario="empty", seed=11, bookmark_interval=0.3, tokens=TOKENS)
    sim.load(700, namespaces=["test", "other", "kube-system"])
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def consumers() -> Iterator[list[Consumer]]:
    made: list[Consumer] = []
    yield made
    for c in made:
        c.close()


def start(made: list[Consumer], path: Path, **options: object) -> Consumer:
    options.setdefault("settings", FAST)
    made.append(Consumer(KubeSource(kubeconfig=str(path), seed=2, **options)))  # type: ignore[arg-type]
    return made[-1]


def test_forbidden_cluster_wide_falls_back_to_reviewed_namespaces(
    cluster: SimCluster, tmp_path: Path, consumers: list[Consumer]
) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], token="ns-token")
    c = start(consumers, path, candidate_namespaces=["test", "other", "kube-system"])
    settle(c, cluster, {"test", "other"})
    wait_for(lambda: c.texts()[-1:] == ["forbidden cluster-wide: watching 2 namespaces"])
    churn(cluster)
    cluster.emit(namespace="kube-system", reason="Hidden", message="not ours")
    settle(c, cluster, {"test", "other"})


def test_forbidden_cluster_wide_uses_the_context_namespace(
    cluster: SimCluster, tmp_path: Path, consumers: list[Consumer]
) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], token="ns-token", namespace="test")
    c = start(consumers, path)
    settle(c, cluster, {"test"})
    wait_for(lambda: c.texts()[-1:] == ["forbidden cluster-wide: watching namespace test"])


def test_forbidden_everywhere_says_pass_a_namespace(cluster: SimCluster, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], token="ns-token")
    source = KubeSource(kubeconfig=str(path), settings=FAST, fail_fast=True)
    with pytest.raises(Forbidden, match=r"forbidden cluster-wide; pass -n NAMESPACE"):
        source.run(BatchChannel(), threading.Event())


def test_named_namespaces_some_forbidden(
    cluster: SimCluster, tmp_path: Path, consumers: list[Consumer]
) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], token="ns-token")
    c = start(consumers, path, namespaces=["test", "kube-system"])
    settle(c, cluster, {"test"})
    wait_for(lambda: c.texts()[-1:] == ["watching namespace test; forbidden in kube-system"])


def test_relist_of_one_namespace_keeps_the_others(
    cluster: SimCluster, tmp_path: Path, consumers: list[Consumer]
) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], token="ns-token")
    cluster.faults.gone_next_watch("event")
    c = start(consumers, path, namespaces=["test", "other"])
    wait_for(lambda: c.mirror.resets == 1)
    settle(c, cluster, {"test", "other"})
    churn(cluster)
    settle(c, cluster, {"test", "other"})


def test_core_forbidden_falls_back_to_events_k8s_io(
    cluster: SimCluster, tmp_path: Path, consumers: list[Consumer]
) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], token="new-api-token")
    c = start(consumers, path)
    settle(c, cluster)
    churn(cluster)
    settle(c, cluster)
    with c._lock:
        assert {e.api for e in c.mirror.events.values()} == {API_EVENTS}
        event = next(iter(c.mirror.live().values()))
    original = next(o for o in cluster.events() if o["metadata"]["uid"] == event.uid)
    assert event.message == original["message"]  # parsed as events.k8s.io (note)
    assert c.texts()[-1] == "watching (events.k8s.io/v1; v1 forbidden)"


def test_events_k8s_io_forbidden_falls_back_to_core(
    cluster: SimCluster, tmp_path: Path, consumers: list[Consumer]
) -> None:
    path = write_kubeconfig(tmp_path / "kc", [cluster], token="core-api-token")
    c = start(consumers, path, api=API_EVENTS)
    settle(c, cluster)
    with c._lock:
        assert {e.api for e in c.mirror.events.values()} == {"v1"}


def _exec_kubeconfig(tmp_path: Path, cluster: SimCluster, script: str) -> Path:
    plugin = tmp_path / "plugin.sh"
    plugin.write_text("#!/bin/sh\n" + script)
    plugin.chmod(0o755)
    path = tmp_path / "kc"
    ca = base64.b64encode(CA_PEM.encode()).decode()
    path.write_text(
        f"""apiVersion: v1
kind: Config
current-context: sim
clusters: [{{name: sim, cluster: {{server: "{cluster.url}", certificate-authority-data: {ca}}}}}]
contexts: [{{name: sim, context: {{cluster: sim, user: u}}}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: {plugin}
"""
    )
    return path


def test_exec_token_is_renewed_after_a_401(
    cluster: SimCluster, tmp_path: Path, consumers: list[Consumer]
) -> None:
    runs = tmp_path / "runs"
    path = _exec_kubeconfig(
        tmp_path,
        cluster,
        f"""\
echo run >> {runs}
if [ "$(wc -l < {runs})" -eq 1 ]; then token=expired; else token=admin-token; fi
echo '{{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",'\\
'"status":{{"token":"'$token'"}}}}'
""",
    )
    c = start(consumers, path)
    settle(c, cluster)
    assert runs.read_text().count("run") == 2


def test_failing_exec_plugin_is_reported(cluster: SimCluster, tmp_path: Path) -> None:
    path = _exec_kubeconfig(tmp_path, cluster, "echo 'token expired: log in again' >&2\nexit 1\n")
    source = KubeSource(kubeconfig=str(path), settings=FAST, fail_fast=True)
    channel = BatchChannel()
    with pytest.raises(Unauthorized, match=r"plugin\.sh' failed: token expired: log in again"):
        source.run(channel, threading.Event())
    status = channel.drain().status
    assert status is not None and status.state == State.ERROR
    assert truth(cluster)  # the cluster itself was fine
