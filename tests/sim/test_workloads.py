"""The objects events are about, served with their ownerReferences (scenario ``owners``)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from ktui.model.owners import HASH_ALPHABET, Owner, OwnerResolver
from ktui.sim import Grant, SimCluster
from ktui.sim.apiserver.workloads import parse_route
from ktui.sim.events.generate import Generator
from ktui.sim.events.owners import DAEMONSET, DEPLOYMENTS, NAKED, NODES, exporter_documents

from .conftest import Client

META = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
TOKENS = {
    "admin-token": Grant.all(),
    "no-pods": Grant(forbidden={"pods"}, user="events-reader"),
    "shop-only": Grant(namespaces={"shop"}, groups={""}),
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    with SimCluster(name="shop", scenario="owners+scenario-a", tokens=TOKENS) as sim:
        yield sim


def owner_of(item: dict[str, object]) -> tuple[str, str] | None:
    refs = item["metadata"].get("ownerReferences")  # type: ignore[union-attr]
    return (refs[0]["kind"], refs[0]["name"]) if refs else None


def test_pods_replicasets_and_jobs_carry_owner_references(cluster: SimCluster) -> None:
    client = Client(cluster)
    pods = client.get("/api/v1/namespaces/shop/pods").json()
    assert pods["kind"] == "PodList" and pods["apiVersion"] == "v1"
    owners = {p["metadata"]["name"]: owner_of(p) for p in pods["items"]}
    assert owners["web-7d4b9c5c8f-2xkqp"] == ("ReplicaSet", "web-7d4b9c5c8f")
    assert owners["db-1"] == ("StatefulSet", "db")
    assert owners["report-29400120-l94zc"] == ("Job", "report-29400120")
    assert owners[NAKED] is None
    replicasets = client.get("/apis/apps/v1/namespaces/shop/replicasets").json()["items"]
    assert {(r["metadata"]["name"], owner_of(r)) for r in replicasets} == {
        (rs, ("Deployment", deployment)) for deployment, rs, _ in DEPLOYMENTS}
    job = client.get("/apis/batch/v1/namespaces/shop/jobs/report-29400060").json()
    assert job["kind"] == "Job" and owner_of(job) == ("CronJob", "report")
    agents = client.get("/api/v1/namespaces/kube-system/pods").json()["items"]
    assert {owner_of(p) for p in agents} == {("DaemonSet", DAEMONSET[0])}
    nodes = client.get("/api/v1/nodes").json()["items"]
    assert {n["metadata"]["name"] for n in nodes} == set(NODES)


def test_objects_have_the_uids_their_events_name(cluster: SimCluster) -> None:
    client = Client(cluster)
    pod = client.get("/api/v1/namespaces/shop/pods/db-1").json()
    rs = client.get("/apis/apps/v1/namespaces/shop/replicasets/web-7d4b9c5c8f").json()
    involved = {(e["involvedObject"]["kind"], e["involvedObject"]["name"]):
                e["involvedObject"]["uid"] for e in cluster.events()}
    assert involved[("Pod", "db-1")] == pod["metadata"]["uid"]
    assert involved[("ReplicaSet", "web-7d4b9c5c8f")] == rs["metadata"]["uid"]
    web_pod = client.get("/api/v1/namespaces/shop/pods/web-7d4b9c5c8f-2xkqp").json()
    assert web_pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]


def test_metadata_only_and_paging(cluster: SimCluster) -> None:
    client = Client(cluster)
    page = client.get("/api/v1/namespaces/shop/pods?limit=3", headers={"Accept": META}).json()
    assert page["kind"] == "PartialObjectMetadataList"
    assert {item["kind"] for item in page["items"]} == {"PartialObjectMetadata"}
    assert set(page["items"][0]) == {"kind", "apiVersion", "metadata"}
    names = [item["metadata"]["name"] for item in page["items"]]
    token = page["metadata"]["continue"]
    rest = client.get(f"/api/v1/namespaces/shop/pods?limit=100&continue={token}",
                      headers={"Accept": META}).json()
    names += [item["metadata"]["name"] for item in rest["items"]]
    assert "continue" not in rest["metadata"]
    everything = client.get("/api/v1/namespaces/shop/pods").json()["items"]
    assert names == [item["metadata"]["name"] for item in everything]  # key order, once
    one = client.get("/api/v1/namespaces/shop/pods/db-0",
                     headers={"Accept": META.replace("List", "")}).json()
    assert one["kind"] == "PartialObjectMetadata" and one["metadata"]["name"] == "db-0"


def test_rbac_and_missing_objects(cluster: SimCluster) -> None:
    denied = Client(cluster, "no-pods").get("/api/v1/namespaces/shop/pods")
    assert denied.status == 403
    assert denied.json()["message"] == (
        'pods is forbidden: User "events-reader" cannot list resource "pods" in API group "" '
        'in the namespace "shop"')
    # the same user reads ReplicaSets and events
    assert Client(cluster, "no-pods").get(
        "/apis/apps/v1/namespaces/shop/replicasets").status == 200
    assert Client(cluster, "no-pods").get("/api/v1/namespaces/shop/events").status == 200
    assert Client(cluster, "shop-only").get("/api/v1/namespaces/shop/pods").status == 200
    assert Client(cluster, "shop-only").get("/api/v1/namespaces/kube-system/pods").status == 403
    assert Client(cluster, "shop-only").get("/api/v1/pods").status == 403
    gone = Client(cluster).get("/api/v1/namespaces/shop/pods/web-7d4b9c5c8f-gone1")
    assert gone.status == 404 and gone.json()["reason"] == "NotFound"


@pytest.mark.parametrize(("path", "route"), [
    ("/api/v1/namespaces/shop/pods", ("pods", "shop", None)),
    ("/api/v1/namespaces/shop/pods/db-0", ("pods", "shop", "db-0")),
    ("/api/v1/pods", ("pods", None, None)),
    ("/api/v1/nodes/n1", ("nodes", None, "n1")),
    ("/apis/apps/v1/namespaces/shop/replicasets/r", ("replicasets", "shop", "r")),
    ("/apis/batch/v1/namespaces/shop/cronjobs", ("cronjobs", "shop", None)),
    ("/api/v1/namespaces/shop/events", None),
    ("/api/v1/namespaces", None),
    ("/apis/apps/v1/namespaces/shop/jobs", None),  # jobs are in batch
    ("/api/v1/pods/db-0", None),  # a namespaced object needs its namespace
    ("/api/v1/namespaces/shop/nodes", None),
])
def test_routes(path: str, route: tuple[str, str | None, str | None] | None) -> None:
    assert parse_route(path) == route


def test_exporter_documents_carry_the_objects_owner_references(cluster: SimCluster) -> None:
    docs = exporter_documents(cluster, "eks-shop")
    assert len(docs) == len(cluster.events())
    assert {d["clusterName"] for d in docs} == {"eks-shop"}
    by_object = {(d["involvedObject"]["kind"], d["involvedObject"]["name"]):
                 d["involvedObject"] for d in docs}
    assert by_object[("Pod", "db-1")]["ownerReferences"][0]["kind"] == "StatefulSet"
    assert by_object[("Job", "report-29400120")]["ownerReferences"][0]["name"] == "report"
    assert "ownerReferences" not in by_object[("Pod", NAKED)]
    assert "ownerReferences" not in by_object[("Deployment", "web")]
    # scenario-a's objects were not registered: the exporter found nothing to add
    assert "ownerReferences" not in by_object[("Pod", "scenario-a-5f8b9c7d6-x2x9k")]


def test_generated_names_follow_kubernetes_naming() -> None:
    """Bulk and storm events name Pods as a ReplicaSet of a Deployment would."""
    resolver = OwnerResolver()
    generator = Generator(random.Random(8))
    for ns, items in generator.workloads.items():
        for app, replicaset, pods in items:
            assert set(replicaset.rsplit("-", 1)[1]) <= set(HASH_ALPHABET)
            for pod in pods:
                assert resolver.resolve("Pod", ns, pod) == Owner("Deployment", ns, app, "name")
