"""Watch semantics over HTTP."""

from __future__ import annotations

import threading
import time

from ktui.sim import SimCluster

from .conftest import Client, FakeClock, WatchReader, wait_for


def _watch(c: SimCluster, query: str, path: str = "/api/v1/events",
           token: str = "admin-token", timeout: float = 10) -> WatchReader:
    return WatchReader(Client(c, token), f"{path}?watch=1&{query}", timeout=timeout)


def test_unset_rv_sends_synthetic_added_then_changes(cluster: SimCluster) -> None:
    truth = {e["metadata"]["uid"] for e in cluster.events()}
    w = _watch(cluster, "timeoutSeconds=5")
    assert w.status == 200
    first = w.take(len(truth))
    assert [e["type"] for e in first] == ["ADDED"] * len(truth)
    assert {e["object"]["metadata"]["uid"] for e in first} == truth
    assert all(e["object"]["kind"] == "Event" for e in first)  # watch objects are typed
    ev = cluster.emit("test", "BackOff", "Back-off restarting failed container", "Warning",
                      name="web-1")
    (nxt,) = w.take(1)
    assert nxt["type"] == "ADDED" and nxt["object"]["metadata"]["uid"] == ev["metadata"]["uid"]
    w.close()


def test_rv_zero_is_like_unset(cluster: SimCluster) -> None:
    n = len(cluster.events())
    w = _watch(cluster, "resourceVersion=0&timeoutSeconds=5")
    assert len(w.take(n)) == n
    w.close()


def test_replay_from_rv(empty: SimCluster) -> None:
    a = empty.emit("test", "Pulling", "one", name="p")
    rv = empty.resource_version
    b = empty.emit("test", "Pulled", "two", name="p")
    empty.repeat(a["metadata"]["uid"])
    empty.expire(b["metadata"]["uid"])
    w = _watch(empty, f"resourceVersion={rv}&timeoutSeconds=5")
    evs = w.take(3)
    assert [e["type"] for e in evs] == ["ADDED", "MODIFIED", "DELETED"]
    assert [int(e["object"]["metadata"]["resourceVersion"]) for e in evs] == [
        int(rv) + 1, int(rv) + 2, int(rv) + 3]
    assert evs[1]["object"]["count"] == 2
    # DELETED carries the last state with the deletion's resourceVersion
    assert evs[2]["object"]["message"] == "two"
    w.close()


def test_modified_bumps_count_and_last_timestamp(clock: FakeClock) -> None:
    c = SimCluster(scenario="empty", now=clock)
    with c:
        ev = c.emit("test", "BackOff", "Back-off restarting failed container", "Warning",
                    name="web-1")
        assert ev["count"] == 1 and ev["firstTimestamp"] == ev["lastTimestamp"]
        w = _watch(c, f"resourceVersion={c.resource_version}&timeoutSeconds=5")
        clock.advance(90)
        c.repeat(ev["metadata"]["uid"], n=3)
        (m,) = w.take(1)
        assert m["type"] == "MODIFIED"
        obj = m["object"]
        assert obj["metadata"]["uid"] == ev["metadata"]["uid"]
        assert obj["count"] == 4
        assert obj["firstTimestamp"] == ev["firstTimestamp"]
        assert obj["lastTimestamp"] == "2023-11-14T22:14:50Z"
        w.close()


def test_new_api_repeat_uses_series(clock: FakeClock) -> None:
    c = SimCluster(scenario="empty", now=clock)
    with c:
        ev = c.emit("test", "FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu.",
                    "Warning", name="p", api="events.k8s.io/v1", component="default-scheduler")
        assert ev["lastTimestamp"] is None and ev["firstTimestamp"] is None
        assert "count" not in ev and ev["eventTime"] == "2023-11-14T22:13:20.000000Z"
        clock.advance(1.5)
        out = c.repeat(ev["metadata"]["uid"])
        assert out["series"] == {"count": 2, "lastObservedTime": "2023-11-14T22:13:21.500000Z"}
        assert out["lastTimestamp"] is None and "count" not in out
        out = c.repeat(ev["metadata"]["uid"], n=2)
        assert out["series"]["count"] == 4


def test_too_old_rv_is_an_error_event(empty: SimCluster) -> None:
    empty.store.history_window = 10
    rv = empty.resource_version
    for i in range(20):
        empty.emit("test", "Pulled", f"m{i}", name="p")
    w = _watch(empty, f"resourceVersion={rv}")
    assert w.status == 200
    (err,) = w.take(1)
    assert err["type"] == "ERROR"
    obj = err["object"]
    assert obj["kind"] == "Status" and obj["code"] == 410 and obj["reason"] == "Expired"
    assert obj["message"].startswith(f"too old resource version: {rv} (")
    assert list(w.lines()) == []  # and the stream ends
    assert empty.faults.fired["watch_410_event"] == 1
    # within the window it works
    w = _watch(empty, f"resourceVersion={int(empty.resource_version) - 5}&timeoutSeconds=2")
    assert [e["type"] for e in w.take(5)] == ["ADDED"] * 5
    w.close()


def test_too_old_rv_as_http_410(empty: SimCluster) -> None:
    empty.faults.too_old_as_http = True
    rv = empty.resource_version
    empty.emit("test", "Pulled", "x", name="p")
    empty.faults.compact()
    w = _watch(empty, f"resourceVersion={rv}")
    assert w.status == 410
    body = w.body()
    assert body["reason"] == "Expired" and body["code"] == 410
    assert empty.faults.fired["watch_410_http"] == 1
    assert empty.faults.fired["compact"] == 1


def test_bookmarks(empty: SimCluster) -> None:
    rv = empty.resource_version
    w = _watch(empty, f"resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=3")
    ev = empty.emit("test", "Pulled", "x", name="p")
    got = w.take(3)
    types = [e["type"] for e in got]
    assert types[0] == "ADDED" or types[0] == "BOOKMARK"
    bms = [e for e in got if e["type"] == "BOOKMARK"]
    assert bms
    bm = bms[-1]["object"]
    assert bm["kind"] == "Event" and bm["apiVersion"] == "v1"
    assert set(bm) == {"kind", "apiVersion", "metadata"}
    assert int(bm["metadata"]["resourceVersion"]) >= int(ev["metadata"]["resourceVersion"])
    w.close()


def test_no_bookmarks_unless_asked(empty: SimCluster) -> None:
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=1")
    assert list(w.lines()) == []


def test_timeout_seconds_ends_stream_cleanly(empty: SimCluster) -> None:
    t = time.monotonic()
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=1")
    assert list(w.lines()) == []
    assert not w.broken  # ended by the server (the client's read timeout is 10 s)
    # not before timeoutSeconds: a lower bound on the server's wait, which cannot flake
    assert time.monotonic() - t >= 0.9


def test_send_initial_events(cluster: SimCluster) -> None:
    n = len(cluster.events())
    w = _watch(cluster, "sendInitialEvents=true&allowWatchBookmarks=true"
                        "&resourceVersionMatch=NotOlderThan&timeoutSeconds=3")
    got = w.take(n + 1)
    assert [e["type"] for e in got[:n]] == ["ADDED"] * n
    assert got[n]["type"] == "BOOKMARK"
    annotations = got[n]["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}
    w.close()


STREAMING = "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"


def test_a_streaming_list_is_refused_as_kube_apiserver_does(empty: SimCluster) -> None:
    for query, field in [
        ("sendInitialEvents=true&allowWatchBookmarks=true", "resourceVersionMatch"),
        ("sendInitialEvents=true&resourceVersionMatch=NotOlderThan", "allowWatchBookmarks"),
        ("resourceVersionMatch=NotOlderThan", "resourceVersionMatch"),
    ]:
        w = _watch(empty, query)
        body = w.body()
        assert (w.status, body["reason"]) == (422, "Invalid"), query
        assert [c["field"] for c in body["details"]["causes"]] == [field]
        assert body["message"].startswith('ListOptions.meta.k8s.io "" is invalid: ')


def test_streaming_list_off_or_ignored(cluster: SimCluster) -> None:
    n = len(cluster.events())
    cluster.streaming_list = "off"
    cluster.restart()  # the option is read at start
    w = _watch(cluster, STREAMING)
    body = w.body()
    assert w.status == 422 and body["details"]["causes"][0]["field"] == "sendInitialEvents"
    assert "unless the WatchList feature gate is enabled" in body["message"]
    cluster.streaming_list = "ignored"
    cluster.restart()
    w = _watch(cluster, STREAMING + "&timeoutSeconds=1")
    got = list(w.lines())  # a plain watch without resourceVersion: the state, no end mark
    assert [e["type"] for e in got[:n]] == ["ADDED"] * n
    assert not any(
        (e["object"].get("metadata") or {}).get("annotations") for e in got[n:]
    )


def test_field_selector_applies_to_watch(empty: SimCluster) -> None:
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=3"
                      "&fieldSelector=type%3DWarning")
    empty.emit("test", "Pulled", "normal", name="p")
    empty.emit("test", "BackOff", "warning", "Warning", name="p")
    (ev,) = w.take(1)
    assert ev["object"]["type"] == "Warning"
    w.close()


def test_namespaced_watch_filters(empty: SimCluster) -> None:
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=3",
               path="/api/v1/namespaces/test/events")
    empty.emit("orders", "Pulled", "elsewhere", name="p")
    empty.emit("test", "Pulled", "here", name="p")
    (ev,) = w.take(1)
    assert ev["object"]["message"] == "here"
    w.close()


def test_events_api_watch_converts(empty: SimCluster) -> None:
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=3",
               path="/apis/events.k8s.io/v1/events")
    empty.emit("test", "BackOff", "Back-off", "Warning", name="p", host="node-1")
    (ev,) = w.take(1)
    obj = ev["object"]
    assert obj["apiVersion"] == "events.k8s.io/v1" and obj["note"] == "Back-off"
    assert obj["regarding"]["name"] == "p" and obj["deprecatedCount"] == 1
    w.close()


def test_many_watchers_see_everything(empty: SimCluster) -> None:
    rv = empty.resource_version
    readers = [_watch(empty, f"resourceVersion={rv}&timeoutSeconds=10") for _ in range(4)]
    results: list[int] = [0] * len(readers)

    def read(i: int) -> None:
        results[i] = len(readers[i].take(3000))

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(readers))]
    for t in threads:
        t.start()
    empty.load(3000)
    for t in threads:
        t.join(10)
    assert results == [3000] * 4
    for r in readers:
        r.close()


def test_slow_watcher_falling_out_of_the_buffer_gets_410(empty: SimCluster) -> None:
    empty.store.live_buffer = 100
    w = _watch(empty, f"resourceVersion={empty.resource_version}&timeoutSeconds=5")
    with empty.store.cond:  # the watcher cannot read while we write 1000 changes
        for i in range(1000):
            empty.store._apply_locked("ADDED", {
                "metadata": {"uid": f"u{i}", "name": f"n{i}", "namespace": "test"}})
        empty.store._trim_locked()
        empty.store.cond.notify_all()
    evs = list(w.lines())
    assert evs[-1]["type"] == "ERROR" and evs[-1]["object"]["code"] == 410


def test_abandoned_watch_thread_ends(empty: SimCluster) -> None:
    import threading as th

    before = th.active_count()
    w = _watch(empty, f"resourceVersion={empty.resource_version}")
    wait_for(lambda: th.active_count() == before + 1)  # the server's thread for it
    w.close()
    wait_for(lambda: th.active_count() == before)


def test_abandoned_tls_watch_thread_ends() -> None:
    import threading as th

    with SimCluster(scenario="empty", tls=True) as c:
        before = th.active_count()
        w = _watch(c, f"resourceVersion={c.resource_version}")
        wait_for(lambda: th.active_count() == before + 1)  # the server's thread for it
        w.close()
        wait_for(lambda: th.active_count() == before)
