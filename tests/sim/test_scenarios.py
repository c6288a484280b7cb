"""Scenarios, hostile text end to end, bulk load and storms, kubeconfig writing."""

from __future__ import annotations

import itertools
import json
import stat
import threading
from pathlib import Path

import pytest

from ktui.sim import SCENARIOS, SimCluster, kubeconfig_text, write_kubeconfig
from ktui.sim.events.hostile import HOSTILE_TEXT

from .conftest import Client, FakeClock, WatchReader, wait_for

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_builds(name: str, clock: FakeClock) -> None:
    c = SimCluster(scenario=name, now=clock)
    events = c.events()
    if name == "empty" or name == "steady":
        assert events == []
        return
    assert events
    for e in events:
        assert e["kind"] == "Event" and e["metadata"]["uid"] and e["metadata"]["name"]


def test_demo_is_deterministic(clock: FakeClock) -> None:
    a = SimCluster(scenario="demo", seed=3, now=clock).events()
    b = SimCluster(scenario="demo", seed=3, now=clock).events()
    assert a == b
    c = SimCluster(scenario="demo", seed=4, now=clock).events()
    assert [e["metadata"]["uid"] for e in a] != [e["metadata"]["uid"] for e in c]


def test_demo_content(clock: FakeClock) -> None:
    events = SimCluster(scenario="demo", now=clock).events()
    messages = {e["message"] for e in events}
    assert 'MountVolume.SetUp failed for volume "secret-volume" : secret ' \
           '"misspelt-secret-name" not found' in messages
    assert ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are "
            "available: 3 No preemption victims found for incoming pod.") in messages
    assert "Error: ImagePullBackOff" in messages
    assert any(m.startswith('Failed to pull image "wrong-image": rpc error: code = Unknown')
               for m in messages)
    assert ('Successfully pulled image "nginx" in 627.545722ms (627.553403ms including '
            "waiting)") in messages
    assert any(m.startswith("(combined from similar events): Scaled down") for m in messages)
    reasons = {e["reason"] for e in events}
    assert {"Scheduled", "Pulling", "Pulled", "Created", "Started", "BackOff", "Killing",
            "SuccessfulCreate", "SuccessfulDelete", "ScalingReplicaSet", "Unhealthy",
            "FailedScheduling", "Evicted", "NodeHasDiskPressure", "EvictionThresholdMet",
            "FailedMount", "Failed"} <= reasons
    namespaces = {e["metadata"]["namespace"] for e in events}
    assert {"default", "kube-system", "test", "payments", "orders", "catalog", "ui",
            "assets"} <= namespaces
    test_ns = [e for e in events if e["metadata"]["namespace"] == "test"]
    objects = {e["involvedObject"]["name"] for e in test_ns}
    assert {"scenario-a", "scenario-b", "scenario-c"} <= objects  # the Deployments
    # the scheduler's events are new-API: eventTime only
    sched = [e for e in events if e["reason"] == "Scheduled"]
    assert sched and all(e["lastTimestamp"] is None and e["eventTime"] for e in sched)
    # times spread over the last hour, none in the future
    times = [e["lastTimestamp"] or e["eventTime"] for e in events]
    assert min(times) >= "2023-11-14T21:13:20" and max(times) <= "2023-11-14T22:13:21"
    node = next(e for e in events if e["reason"] == "NodeHasDiskPressure")
    assert "namespace" not in node["involvedObject"]
    assert node["involvedObject"]["uid"] == node["involvedObject"]["name"]


def test_prod_differs_from_demo(clock: FakeClock) -> None:
    prod = SimCluster(name="prod-eu-west-1", scenario="prod", seed=2, now=clock).events()
    assert {e["metadata"]["namespace"] for e in prod} >= {"checkout", "monitoring"}
    assert any(e["reason"] == "NodeNotReady" for e in prod)


def test_hostile_round_trips_through_every_representation(clock: FakeClock) -> None:
    with SimCluster(scenario="hostile,malformed", now=clock) as c:
        truth = {e["metadata"]["uid"]: e for e in c.events()}
        client = Client(c)
        items, _ = client.list_all("/api/v1/events", limit=4)
        assert {i["metadata"]["uid"]: i.get("message", None)
                for i in items} == {u: e.get("message") for u, e in truth.items()}
        messages = {i.get("message") for i in items}
        for text in HOSTILE_TEXT.values():
            assert text in messages
        assert max(len(m or "") for m in messages) == 200_000
        new, _ = client.list_all("/apis/events.k8s.io/v1/events", limit=3)
        assert len(new) == len(truth)
        table = client.get("/api/v1/events", headers={"Accept": TABLE}).json()
        assert len(table["rows"]) == len(truth)
        types = {i.get("type") for i in items}
        assert "Critical" in types
        w = WatchReader(client, "/api/v1/events?watch=1&timeoutSeconds=1")
        assert len(list(w.lines())) == len(truth)
        no_times = next(i for i in items if i["metadata"]["name"] == "hostile-no-times.1")
        assert no_times["metadata"]["creationTimestamp"]
        assert all(no_times[k] is None for k in ("firstTimestamp", "lastTimestamp",
                                                 "eventTime"))
        bare = next(i for i in items if i["metadata"]["name"] == "hostile-bare.1")
        assert bare["involvedObject"] is None and bare["count"] is None
        null_ns = next(i for i in items if i["metadata"]["name"] == "hostile-null-ns.1")
        assert null_ns["involvedObject"]["namespace"] is None
        # a repeat of a null-count event works (count becomes 2)
        assert c.repeat(next(u for u, e in truth.items()
                             if e["reason"] == "NullCount"))["count"] == 2


def test_raw_bytes_have_controls_escaped_as_json(clock: FakeClock) -> None:
    c = SimCluster(scenario="hostile", now=clock)
    v = next(v for v in c.store.current.values() if "\x1b]52" in (v.obj.get("message") or ""))
    raw = v.core_bytes()
    assert b"\x1b" not in raw and b"\\u001b]52;c;aGVsbG8=\\u0007" in raw
    assert json.loads(raw)["message"] == v.obj["message"]


def test_load_is_spread(clock: FakeClock) -> None:
    c = SimCluster(scenario="empty", now=clock)
    c.load(20_000, span_s=3600)
    events = c.events()
    assert len(events) == 20_000 and len({e["metadata"]["name"] for e in events}) == 20_000
    stamps = sorted(e["lastTimestamp"] or e["eventTime"] for e in events)
    assert stamps[0] >= "2023-11-14T21:13:20" and stamps[-1] <= "2023-11-14T22:13:21"
    assert sum(e["type"] == "Warning" for e in events) / len(events) == pytest.approx(0.2,
                                                                                     abs=0.05)


def test_storm_rate_and_stop() -> None:
    c = SimCluster(scenario="empty")
    ticks = itertools.count()
    # each look at the clock is 1/64 s later (exact in binary): the storm's last batch is
    # at 31/64 s, by when 2000/s makes floor(2000 * 31 / 64) = 968 events, not one more
    storm = c.storm(2000, 0.5, namespaces=["a", "b"], clock=lambda: next(ticks) / 64)
    storm.join(10)
    assert not storm.is_alive()
    total = storm.emitted + storm.repeated
    assert total == 968
    assert storm.repeated > 0
    assert {e["metadata"]["namespace"] for e in c.events()} == {"a", "b"}
    s2 = c.storm(100, 60)
    s2.stop()
    s2.join(2)
    assert not s2.is_alive()


def test_steady_trickle_runs_only_while_serving() -> None:
    c = SimCluster(name="trickling", scenario="steady")
    assert c.events() == []
    with c:
        wait_for(lambda: len(c.events()) >= 1, timeout=6)
        trickles = [t for t in threading.enumerate() if t.name == "ktui-sim-bg-trickling"]
        assert trickles
    # Stopped: the trickle's thread has ended, so nothing can be emitted any more.
    assert not any(t.is_alive() for t in trickles)


def test_expire_older_than(clock: FakeClock) -> None:
    c = SimCluster(scenario="empty", now=clock)
    old = c.emit("test", "Pulled", "old", name="p", time=clock() - 4000)
    new = c.emit("test", "Pulled", "new", name="p", time=clock() - 10)
    sched = c.emit("test", "Scheduled", "s", name="p", api="events.k8s.io/v1",
                   component="default-scheduler", time=clock() - 3700)
    assert c.expire_older_than(3600) == 2
    assert [e["metadata"]["uid"] for e in c.events()] == [new["metadata"]["uid"]]
    assert not c.expire(old["metadata"]["uid"]) and not c.expire(sched["metadata"]["uid"])
    with pytest.raises(KeyError):
        c.repeat(old["metadata"]["uid"])


def test_emit_rejects_unknown_api_and_scenario() -> None:
    c = SimCluster(scenario="empty")
    with pytest.raises(ValueError):
        c.emit("test", "X", "y", api="v2")
    with pytest.raises(ValueError, match="unknown scenario"):
        SimCluster(scenario="nope")


def test_write_kubeconfig(tmp_path: Path) -> None:
    a = SimCluster(name="demo", scenario="empty", port=0, tls=False)
    b = SimCluster(name="prod-eu-west-1", scenario="empty", tls=True)
    with a, b:
        path = write_kubeconfig(tmp_path / "sub" / "config", [a, b], token="t0k",
                                current="prod-eu-west-1", namespace="test")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text()
        assert f'server: "{a.url}"' in text and f'server: "{b.url}"' in text
        assert text.count("certificate-authority-data") == 1  # only the TLS one
        assert 'token: "t0k"' in text and 'current-context: "prod-eu-west-1"' in text
        assert text.count('namespace: "test"') == 2
        assert a.url.startswith("http://127.0.0.1:") and b.url.startswith("https://")
        assert kubeconfig_text([a]).endswith('current-context: "demo"\n')
    with pytest.raises(ValueError):
        kubeconfig_text([])


def test_kubernetes_python_client_reads_the_kubeconfig(tmp_path: Path) -> None:
    kubernetes = pytest.importorskip("kubernetes")
    with SimCluster(scenario="scenario-a,scenario-b", tls=True) as c:
        c.load(1200)
        path = write_kubeconfig(tmp_path / "config", [c])
        api_client = kubernetes.config.new_client_from_config(config_file=str(path))
        v1 = kubernetes.client.CoreV1Api(api_client)
        uids: list[str] = []
        cont = None
        while True:
            page = v1.list_event_for_all_namespaces(limit=500, _continue=cont)
            uids += [e.metadata.uid for e in page.items]
            cont = page.metadata._continue
            if not cont:
                break
        assert sorted(uids) == sorted(e["metadata"]["uid"] for e in c.events())
        # Only new-API events: the client's model rejects ``eventTime: null``, which the
        # apiserver sends for core/v1-recorded events (kubernetes-client/python#1826).
        new = kubernetes.client.EventsV1Api(api_client).list_event_for_all_namespaces(
            field_selector="reason=Scheduled")
        assert len(new.items) >= 2 and new.items[0].regarding.kind == "Pod"


def test_event_ttl_expires_while_serving(clock: FakeClock) -> None:
    with SimCluster(scenario="empty", now=clock, event_ttl=1.0) as c:
        old = c.emit("test", "Pulled", "old", name="p", time=clock() - 5)
        new = c.emit("test", "Pulled", "new", name="p")
        wait_for(lambda: c.get(old["metadata"]["uid"]) is None, timeout=3)
        assert c.get(new["metadata"]["uid"]) is not None


def test_demo_clusters(clock: FakeClock) -> None:
    from ktui.sim import demo_clusters

    demo, prod = demo_clusters(now=clock)
    assert (demo.name, prod.name) == ("demo", "prod-eu-west-1")
    assert {e["metadata"]["uid"] for e in demo.events()}.isdisjoint(
        e["metadata"]["uid"] for e in prod.events())
    assert len(prod.events()) > 400 and not demo.running
