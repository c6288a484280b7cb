"""Lists over HTTP: paging on one snapshot, continue tokens, get, both APIs."""

from __future__ import annotations

import threading

from ktui.sim import SimCluster

from .conftest import Client


def test_list_shape(client: Client, cluster: SimCluster) -> None:
    r = client.get("/api/v1/events")
    assert r.status == 200
    assert r.headers["content-type"] == "application/json"
    d = r.json()
    assert d["kind"] == "EventList" and d["apiVersion"] == "v1"
    assert d["metadata"]["resourceVersion"] == cluster.resource_version
    assert "continue" not in d["metadata"]
    # like the apiserver, list items carry no kind/apiVersion
    assert all("kind" not in i and "apiVersion" not in i for i in d["items"])
    assert {i["metadata"]["uid"] for i in d["items"]} == {
        e["metadata"]["uid"] for e in cluster.events()}
    # etcd key order: namespace, then name
    keys = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in d["items"]]
    assert keys == sorted(keys)


def test_paging_is_one_snapshot_while_events_arrive(empty: SimCluster) -> None:
    empty.load(2000)
    before = {e["metadata"]["uid"] for e in empty.events()}
    client = Client(empty)
    added: list[str] = []

    def between() -> None:  # changes between pages must not leak into the list
        added.append(empty.emit("test", "BackOff", "new", name="late")["metadata"]["uid"])
        empty.repeat(next(iter(before)))

    items, rv = client.list_all("/api/v1/events", limit=150, between=between)
    assert len(added) == 13
    assert [i["metadata"]["uid"] for i in items if i["metadata"]["uid"] in added] == []
    assert {i["metadata"]["uid"] for i in items} == before
    assert len(items) == len(before)
    assert int(rv) < int(empty.resource_version)


def test_remaining_item_count_and_limit(client: Client, cluster: SimCluster) -> None:
    total = len(cluster.events())
    d = client.get("/api/v1/events?limit=3").json()
    assert len(d["items"]) == 3
    assert d["metadata"]["remainingItemCount"] == total - 3
    assert d["metadata"]["continue"]
    # the apiserver omits remainingItemCount when a selector is used
    d = client.get("/api/v1/events?limit=1&fieldSelector=type%3DWarning").json()
    assert "remainingItemCount" not in d["metadata"] and d["metadata"]["continue"]


def test_continue_expired_by_ttl(empty: SimCluster) -> None:
    empty.load(50)
    empty.store.continue_ttl = 0.0
    client = Client(empty)
    d = client.get("/api/v1/events?limit=10").json()
    r = client.get(f"/api/v1/events?limit=10&continue={d['metadata']['continue']}")
    assert r.status == 410
    body = r.json()
    assert body["kind"] == "Status" and body["reason"] == "Expired" and body["code"] == 410
    assert body["status"] == "Failure"
    assert "too old to display a consistent list result" in body["message"]


def test_continue_garbage_is_400(client: Client) -> None:
    r = client.get("/api/v1/events?limit=1&continue=%%%not-base64")
    assert r.status == 400 and r.json()["reason"] == "BadRequest"


def test_namespaced_list_and_get(client: Client, cluster: SimCluster) -> None:
    d = client.get("/api/v1/namespaces/test/events").json()
    assert d["items"] and all(i["metadata"]["namespace"] == "test" for i in d["items"])
    assert client.get("/api/v1/namespaces/nowhere/events").json()["items"] == []
    one = d["items"][0]
    r = client.get(f"/api/v1/namespaces/test/events/{one['metadata']['name']}")
    assert r.status == 200
    got = r.json()
    assert got["kind"] == "Event" and got["apiVersion"] == "v1"
    assert got["metadata"] == one["metadata"]
    r = client.get("/api/v1/namespaces/test/events/missing.1")
    assert r.status == 404
    assert r.json()["message"] == 'events "missing.1" not found'
    assert r.json()["details"] == {"name": "missing.1", "kind": "events"}
    r = client.get("/apis/events.k8s.io/v1/namespaces/test/events/missing.1")
    assert r.json()["message"] == 'events.events.k8s.io "missing.1" not found'


def test_unknown_path_is_404_status(client: Client) -> None:
    r = client.get("/api/v1/configmaps")  # pods and other workloads are served: workloads.py
    assert r.status == 404
    assert r.json()["message"] == "the server could not find the requested resource"
    assert client.get("/openapi/v2").status == 404


def test_post_to_events_is_405(client: Client) -> None:
    r = client.request("/api/v1/namespaces/test/events", method="POST", body={})
    assert r.status == 405 and r.json()["reason"] == "MethodNotAllowed"


def test_concurrent_lists_and_writes(empty: SimCluster) -> None:
    empty.load(500)
    client = Client(empty)
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(5):
                client.list_all("/api/v1/events", limit=97)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(200):
        empty.emit("orders", "Pulled", f"n{i}", name=f"p{i % 7}")
    for t in threads:
        t.join(30)
    assert not errors


def test_partial_object_metadata_list(client: Client) -> None:
    accept = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
    d = client.get("/api/v1/events?limit=2", headers={"Accept": accept}).json()
    assert d["kind"] == "PartialObjectMetadataList"
    assert set(d["items"][0]) == {"kind", "apiVersion", "metadata"}


def test_protobuf_only_is_406(client: Client) -> None:
    r = client.get("/api/v1/events", headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert r.status == 406
