"""Reading ownerReferences from the API server (ktui.kube.owners) against the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.kube.owners import OwnerReader
from ktui.kube.source import KubeSource
from ktui.model.event import OwnerRef
from ktui.model.owners import BY_NAME, BY_OWNER_REFERENCES, BY_SELF, Owner, OwnerResolver
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.sim.events.owners import CRONJOB, DAEMONSET, DEPLOYMENTS, NAKED, STATEFULSET

TOKENS = {
    "admin-token": Grant.all(),
    "no-pods": Grant(forbidden={"pods"}),
    "shop-only": Grant(namespaces={"shop"}),
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    with SimCluster(name="shop", scenario="owners", tokens=TOKENS) as sim:
        yield sim


def reader(cluster: SimCluster, tmp_path: Path, token: str = "admin-token",
           **options: object) -> OwnerReader:
    path = write_kubeconfig(tmp_path / f"kc-{token}", [cluster], token=token)
    source = KubeSource(kubeconfig=str(path))
    source.connect()
    assert source.conn is not None
    return OwnerReader(source.conn, **options)  # type: ignore[arg-type]


def pod_keys() -> list[tuple[str, str, str]]:
    keys = [("Pod", "shop", pod) for _, _, pods in DEPLOYMENTS for pod in pods]
    keys += [("Pod", "shop", pod) for pod in STATEFULSET[1]]
    keys += [("Pod", "shop", pod) for _, pod in CRONJOB[1]]
    keys += [("Pod", "kube-system", pod) for pod in DAEMONSET[1]]
    return [*keys, ("Pod", "shop", NAKED)]


def requests(cluster: SimCluster) -> dict[str, int]:
    return {k: v for k, v in cluster.counters.items() if k.split()[0] in ("get", "list")}


def test_lists_namespaces_then_follows_the_owners_up(cluster: SimCluster, tmp_path: Path) -> None:
    owners = reader(cluster, tmp_path)
    assert owners.lookup("Pod", "shop", "db-0") is None  # nothing read yet: no I/O either
    before = requests(cluster)
    read = owners.fetch(pod_keys())
    sent = {k: v - before.get(k, 0) for k, v in requests(cluster).items()
            if v != before.get(k, 0)}
    # one list per namespace of Pods; then the ReplicaSets they name (3 in shop: listed)
    # and the two Jobs (read one by one)
    assert sent == {"list pods": 2, "list replicasets": 1, "get jobs": 2}
    assert owners.requests == 5 and set(pod_keys()) <= read
    assert owners.lookup("Pod", "shop", "web-7d4b9c5c8f-2xkqp") == (
        OwnerRef("ReplicaSet", "web-7d4b9c5c8f", "apps/v1",
                 owners.lookup("Pod", "shop", "web-7d4b9c5c8f-2xkqp")[0].uid,  # type: ignore[index]
                 controller=True),)
    assert owners.lookup("ReplicaSet", "shop", "web-6b8f4d9c7")[0].name == "web"  # type: ignore[index]
    assert owners.lookup("Job", "shop", "report-29400060")[0].kind == "CronJob"  # type: ignore[index]
    assert owners.lookup("Pod", "shop", NAKED) == ()  # known to have no owner
    resolver = OwnerResolver(owners.lookup)
    assert resolver.resolve("Pod", "shop", "db-1") == Owner(
        "StatefulSet", "shop", "db", BY_OWNER_REFERENCES)
    assert resolver.resolve("Pod", "kube-system", "log-agent-tz6mk") == Owner(
        "DaemonSet", "kube-system", "log-agent", BY_OWNER_REFERENCES)
    assert resolver.resolve("Pod", "shop", "report-29400120-l94zc") == Owner(
        "CronJob", "shop", "report", BY_OWNER_REFERENCES)
    assert resolver.resolve("Pod", "shop", NAKED) == Owner("Pod", "shop", NAKED, BY_SELF)
    # everything is cached: a second fetch asks nothing
    assert owners.fetch(pod_keys()) == set() and owners.requests == 5


def test_forbidden_pods_fall_back_to_names_once_and_quietly(
    cluster: SimCluster, tmp_path: Path
) -> None:
    owners = reader(cluster, tmp_path, "no-pods")
    owners.fetch(pod_keys())
    assert owners.forbidden == {("pods", "shop"), ("pods", "kube-system")}
    first = owners.requests
    owners.fetch(pod_keys())  # not asked again
    assert owners.requests == first == 2
    resolver = OwnerResolver(owners.lookup)
    assert resolver.resolve("Pod", "shop", "web-6b8f4d9c7-h5j2n") == Owner(
        "Deployment", "shop", "web", BY_NAME)
    assert resolver.resolve("Pod", "shop", "db-0").resolved_by == BY_SELF
    # ReplicaSets stay readable: what names cannot give, their references do
    owners.fetch([("ReplicaSet", "shop", "web-6b8f4d9c7")])
    assert owners.lookup("ReplicaSet", "shop", "web-6b8f4d9c7")[0].kind == "Deployment"  # type: ignore[index]


def test_gone_objects_and_other_namespaces(cluster: SimCluster, tmp_path: Path) -> None:
    owners = reader(cluster, tmp_path, "shop-only")
    gone = ("Pod", "shop", "web-7d4b9c5c8f-zzzzz")
    owners.fetch([gone, ("Pod", "kube-system", DAEMONSET[1][0])])
    assert owners.lookup(*gone) is None
    assert owners.forbidden == {("pods", "kube-system")}
    asked = owners.requests
    owners.fetch([gone])  # a 404 is remembered: not asked for again
    assert owners.requests == asked


def test_only_valid_names_are_asked_for(cluster: SimCluster, tmp_path: Path) -> None:
    owners = reader(cluster, tmp_path)
    hostile = [("Pod", "shop", "../../secrets"), ("Pod", "shop", "pod-[/]"),
               ("Pod", "shop", "name\x9b31m\x07"), ("Pod", "Shop", "web"), ("Pod", "", "web"),
               ("Deployment", "shop", "web"), ("Node", "", "ip-10-0-1-11")]
    assert owners.wanted(hostile) == []
    assert owners.fetch(hostile) == set() and owners.requests == 0


def test_an_unreachable_server_is_no_error(tmp_path: Path) -> None:
    sim = SimCluster(name="gone", scenario="owners").start()
    owners = reader(sim, tmp_path, read_timeout=2.0)
    sim.stop()
    assert owners.fetch(pod_keys()) == set()
    assert owners.lookup("Pod", "shop", "db-0") is None
