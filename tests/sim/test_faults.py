"""Each fault fires, and is counted."""

from __future__ import annotations

import http.client
import json
import time

import pytest

from ktui.sim import SimCluster

from .conftest import Client, WatchReader, wait_for


def _watch(c: SimCluster, query: str, timeout: float = 10) -> WatchReader:
    return WatchReader(Client(c), f"/api/v1/events?watch=1&{query}", timeout=timeout)


def test_drop_watch_after_n_mid_line(empty: SimCluster) -> None:
    empty.load(10)
    empty.faults.drop_watch_after(3)
    w = _watch(empty, "timeoutSeconds=5")
    got = list(w.lines())
    assert len(got) == 3
    assert w.partial and not w.partial.endswith(b"\n")  # half a line was sent
    assert empty.faults.fired["drop_watch"] == 1
    # only the next watch was affected
    w = _watch(empty, "timeoutSeconds=1")
    assert len(list(w.lines())) == 10


def test_drop_watch_on_line_boundary(empty: SimCluster) -> None:
    empty.load(5)
    empty.faults.drop_watch_after(2, mid_line=False)
    w = _watch(empty, "timeoutSeconds=5")
    assert len(list(w.lines())) == 2 and w.partial == b""


def test_stall_watch(empty: SimCluster) -> None:
    empty.faults.stall_watch(1.0)
    w = _watch(empty, f"resourceVersion={empty.resource_version}&allowWatchBookmarks=true"
                      "&timeoutSeconds=5", timeout=0.5)
    empty.emit("test", "Pulled", "x", name="p")
    # the client's 0.5 s read timeout fired: the stream stayed silent, not even a bookmark
    assert w.take(1) == [] and w.broken
    w.close()
    assert empty.faults.fired["stall_watch"] == 1
    # after the stall the stream carries on
    empty.faults.stall_watch(0.5)
    w = _watch(empty, f"resourceVersion={int(empty.resource_version) - 1}&timeoutSeconds=5")
    t = time.monotonic()
    (ev,) = w.take(1)
    # the configured stall is the fault under test: a lower bound on a sleep cannot flake
    assert ev["type"] == "ADDED" and time.monotonic() - t >= 0.4
    w.close()


def test_gone_next_watch_both_flavours(empty: SimCluster) -> None:
    rv = empty.resource_version
    empty.faults.gone_next_watch("event")
    w = _watch(empty, f"resourceVersion={rv}")
    (err,) = list(w.lines())
    assert err["type"] == "ERROR" and err["object"]["code"] == 410
    assert err["object"]["message"].startswith(f"too old resource version: {rv} (")
    empty.faults.gone_next_watch("http")
    w = _watch(empty, f"resourceVersion={rv}")
    assert w.status == 410 and w.body()["reason"] == "Expired"
    # a watch without a resourceVersion is not affected, and the switch is used up
    empty.faults.gone_next_watch("http")
    assert _watch(empty, "timeoutSeconds=1").status == 200
    assert _watch(empty, f"resourceVersion={rv}&timeoutSeconds=1").status == 410
    assert _watch(empty, f"resourceVersion={rv}&timeoutSeconds=1").status == 200
    assert empty.faults.fired["watch_410_event"] == 1
    assert empty.faults.fired["watch_410_http"] == 2


def test_fail_next_500_and_429(cluster: SimCluster) -> None:
    client = Client(cluster)
    cluster.faults.fail_next(2)
    for _ in range(2):
        r = client.get("/api/v1/events")
        assert r.status == 500 and r.json()["reason"] == "InternalError"
    assert client.get("/api/v1/events").status == 200
    cluster.faults.fail_next(1, status=429, retry_after=3)
    r = client.get("/api/v1/events")
    assert r.status == 429 and r.headers["retry-after"] == "3"
    assert r.json()["details"] == {"retryAfterSeconds": 3}
    assert cluster.faults.fired["http_500"] == 2 and cluster.faults.fired["http_429"] == 1


def test_fail_next_matching_path_and_verb(cluster: SimCluster) -> None:
    client = Client(cluster)
    cluster.faults.fail_next(1, status=503, verb="watch")
    assert client.get("/api/v1/events").status == 200
    assert client.get("/version").status == 200
    assert client.get("/api/v1/events?watch=1&timeoutSeconds=1").status == 503
    cluster.faults.fail_next(1, path="/namespaces/test/")
    assert client.get("/api/v1/namespaces/orders/events").status == 200
    assert client.get("/api/v1/namespaces/test/events").status == 500
    cluster.faults.fail_next(1, verb="POST")
    assert client.request("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                          method="POST", body={}).status == 500


def test_expire_next_continue(cluster: SimCluster) -> None:
    client = Client(cluster)
    d = client.get("/api/v1/events?limit=2").json()
    cluster.faults.expire_next_continue()
    r = client.get(f"/api/v1/events?limit=2&continue={d['metadata']['continue']}")
    assert r.status == 410 and r.json()["reason"] == "Expired"
    assert cluster.faults.fired["expired_continue"] == 1
    # the next one works: the fault is used up (a client would relist, though)
    r = client.get(f"/api/v1/events?limit=2&continue={d['metadata']['continue']}")
    assert r.status == 200


def test_compact_makes_every_resume_from_before_too_old(cluster: SimCluster) -> None:
    old = cluster.resource_version
    cluster.emit("test", "Pulled", "x", name="p")
    previous = int(cluster.resource_version) - 1
    cluster.faults.compact()
    for rv in (old, previous):
        (err,) = list(_watch(cluster, f"resourceVersion={rv}").lines())
        assert err["type"] == "ERROR" and err["object"]["code"] == 410
    # the rv of the compaction, which a list made now returns, can be watched from (as
    # etcd keeps the compaction's revision); before, a relist met 410 until the next write
    listed = Client(cluster).get("/api/v1/events").json()["metadata"]["resourceVersion"]
    assert listed == cluster.resource_version
    w = _watch(cluster, f"resourceVersion={listed}&timeoutSeconds=1")
    assert list(w.lines()) == [] and not w.broken


def test_restart_same_port_keeps_store_cuts_watches(cluster: SimCluster) -> None:
    port, url = cluster.port, cluster.url
    before = cluster.events()
    rv = cluster.resource_version
    w = _watch(cluster, f"resourceVersion={rv}")
    cluster.restart()
    assert list(w.lines()) == []
    assert cluster.port == port and cluster.url == url
    assert cluster.faults.fired["restart"] == 1
    assert cluster.events() == before and cluster.resource_version == rv
    w = _watch(cluster, f"resourceVersion={rv}&timeoutSeconds=3")
    cluster.emit("test", "Pulled", "after restart", name="p")
    (ev,) = w.take(1)
    assert ev["object"]["message"] == "after restart"
    w.close()


def test_stop_refuses_connections_and_start_again(empty: SimCluster) -> None:
    import socket

    port = empty.port
    empty.stop()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    empty.start()
    assert empty.port == port
    wait_for(lambda: Client(empty).get("/version").status == 200)


def test_faults_clear(cluster: SimCluster) -> None:
    cluster.faults.fail_next(5)
    cluster.faults.drop_watch_after(0)
    cluster.faults.clear()
    assert Client(cluster).get("/api/v1/events").status == 200


def test_restart_keeps_generators_running() -> None:
    with SimCluster(scenario="steady") as c:
        storm = c.storm(200, 30)
        c.restart()
        rv = int(c.resource_version)
        wait_for(lambda: int(c.resource_version) > rv + 20)
        assert storm.is_alive()
    storm.join(2)
    assert not storm.is_alive()  # stop() ends storms


def test_odd_watch_lines_come_before_the_first_change(empty: SimCluster) -> None:
    from ktui.sim.apiserver.faults import ODD_WATCH_LINES

    empty.faults.odd_watch_lines()
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=3")
    empty.emit("test", "Pulled", "after", name="p")
    got = w.take(len(ODD_WATCH_LINES) + 1)
    assert [json.dumps(line, separators=(",", ":")).encode() for line in got[:-1]] == list(
        ODD_WATCH_LINES
    )
    assert got[-1]["type"] == "ADDED" and got[-1]["object"]["reason"] == "Pulled"
    w.close()
    assert empty.faults.fired["odd_watch_lines"] == 1
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=1")
    assert list(w.lines()) == []  # used up


def test_odd_list_items_and_a_list_cut_mid_body(empty: SimCluster) -> None:
    empty.load(30)
    client = Client(empty)
    empty.faults.odd_list_items()
    items = client.get("/api/v1/events").json()["items"]
    assert items[:4] == [None, ["a", "list"], "a string", 7] and len(items) == 34
    assert empty.faults.fired["odd_list_items"] == 1
    empty.faults.cut_next_list(after=500)
    conn = client.conn()
    conn.request("GET", "/api/v1/events", headers=client.headers())
    response = conn.getresponse()
    assert response.status == 200 and int(response.headers["Content-Length"]) > 500
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert len(cut.value.partial) == 500
    assert empty.faults.fired["cut_list"] == 1
    assert len(client.get("/api/v1/events").json()["items"]) == 30  # used up
