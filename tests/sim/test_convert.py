"""The same store through core/v1 and events.k8s.io/v1, tables, time helpers."""

from __future__ import annotations

from ktui.model.timefmt import human_duration
from ktui.sim import SimCluster
from ktui.sim.apiserver.convert import fmt_micro, fmt_time, parse_time
from ktui.sim.apiserver.tables import table_cells

from .conftest import Client, FakeClock

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def test_core_and_new_api_views_of_an_old_api_event(clock: FakeClock) -> None:
    with SimCluster(scenario="empty", now=clock) as c:
        ev = c.emit("test", "FailedMount", 'MountVolume.SetUp failed for volume "secret-volume" '
                    ': secret "misspelt-secret-name" not found', "Warning", name="scenario-a-1",
                    host="node-1", count=3, first_time=clock() - 600,
                    field_path="spec.containers{app}")
        client = Client(c)
        name = ev["metadata"]["name"]
        core = client.get(f"/api/v1/namespaces/test/events/{name}").json()
        new = client.get(f"/apis/events.k8s.io/v1/namespaces/test/events/{name}").json()
    assert core == ev
    assert core["source"] == {"component": "kubelet", "host": "node-1"}
    assert core["count"] == 3 and core["eventTime"] is None
    assert core["firstTimestamp"] == "2023-11-14T22:03:20Z"
    assert core["lastTimestamp"] == "2023-11-14T22:13:20Z"
    assert new["kind"] == "Event" and new["apiVersion"] == "events.k8s.io/v1"
    assert new["metadata"] == core["metadata"]
    assert new["regarding"] == core["involvedObject"]
    assert new["note"] == core["message"] and new["reason"] == "FailedMount"
    assert new["type"] == "Warning"
    assert new["deprecatedCount"] == 3
    assert new["deprecatedFirstTimestamp"] == core["firstTimestamp"]
    assert new["deprecatedLastTimestamp"] == core["lastTimestamp"]
    assert new["deprecatedSource"] == core["source"]
    assert new["reportingController"] == "kubelet" and new["reportingInstance"] == "node-1"
    assert new["eventTime"] is None and "series" not in new
    assert "involvedObject" not in new and "message" not in new and "count" not in new


def test_new_api_event_in_both_views(clock: FakeClock) -> None:
    with SimCluster(scenario="empty", now=clock) as c:
        ev = c.emit("test", "Scheduled", "Successfully assigned test/p to node-1", name="p",
                    api="events.k8s.io/v1", component="default-scheduler")
        c.repeat(ev["metadata"]["uid"])
        client = Client(c)
        name = ev["metadata"]["name"]
        core = client.get(f"/api/v1/namespaces/test/events/{name}").json()
        new = client.get(f"/apis/events.k8s.io/v1/namespaces/test/events/{name}").json()
    assert core["firstTimestamp"] is None and core["lastTimestamp"] is None
    assert core["source"] == {} and "count" not in core
    assert core["eventTime"] == "2023-11-14T22:13:20.000000Z"
    assert core["series"]["count"] == 2
    assert core["action"] == "Binding" and core["reportingComponent"] == "default-scheduler"
    assert new["eventTime"] == core["eventTime"] and new["series"] == core["series"]
    assert new["action"] == "Binding" and new["reportingController"] == "default-scheduler"
    assert "deprecatedFirstTimestamp" not in new and "deprecatedCount" not in new
    assert "deprecatedSource" not in new


def test_table_for_kubectl(clock: FakeClock) -> None:
    with SimCluster(scenario="empty", now=clock) as c:
        c.emit("test", "BackOff", "  Back-off restarting failed container  ", "Warning",
               name="web-1", host="node-1", count=5, first_time=clock() - 1440)
        c.emit("test", "FailedScheduling", "0/3 nodes", "Warning", name="web-2",
               api="events.k8s.io/v1", component="default-scheduler",
               first_time=clock() - 65, count=2)
        clock.advance(30)
        d = Client(c).get("/api/v1/namespaces/test/events", headers={"Accept": TABLE}).json()
    assert d["kind"] == "Table" and d["apiVersion"] == "meta.k8s.io/v1"
    names = [col["name"] for col in d["columnDefinitions"] if col["priority"] == 0]
    assert names == ["Last Seen", "Type", "Reason", "Object", "Message"]
    by_reason = {r["cells"][2]: r for r in d["rows"]}
    backoff = by_reason["BackOff"]
    assert backoff["cells"][:4] == ["30s", "Warning", "BackOff", "pod/web-1"]
    assert backoff["cells"][5] == "kubelet, node-1"
    assert backoff["cells"][6] == "Back-off restarting failed container"  # trimmed
    assert backoff["cells"][7:9] == ["24m", 5]
    assert backoff["object"]["kind"] == "PartialObjectMetadata"
    assert backoff["object"]["metadata"]["namespace"] == "test"
    sched = by_reason["FailedScheduling"]
    assert sched["cells"][0] == "30s" and sched["cells"][7] == "95s" and sched["cells"][8] == 2


def test_table_cells_for_hostile_nulls() -> None:
    cells = table_cells({"metadata": {"name": "x"}, "involvedObject": None, "count": None,
                         "series": {"count": "x", "lastObservedTime": 3}}, 0.0)
    assert cells[0] == "<unknown>" and cells[3] == "" and cells[8] == 0


def test_time_helpers() -> None:
    assert fmt_time(1_700_000_000.9) == "2023-11-14T22:13:20Z"
    assert fmt_micro(1_700_000_000.25) == "2023-11-14T22:13:20.250000Z"
    assert fmt_micro(1_700_000_000.9999999) == "2023-11-14T22:13:21.000000Z"
    assert parse_time("2023-11-14T22:13:20.250000Z") == 1_700_000_000.25
    assert parse_time(None) is None and parse_time("junk") is None
    cases = {0: "0s", 59: "59s", 119: "119s", 120: "2m", 150: "2m30s", 600: "10m",
             10799: "179m", 10800: "3h", 3 * 3600 + 60: "3h1m", 8 * 3600: "8h",
             47 * 3600: "47h", 48 * 3600: "2d", 50 * 3600: "2d2h", 8 * 86400: "8d",
             2 * 365 * 86400: "2y", -1: "0s", -5: "<invalid>"}
    for seconds, text in cases.items():
        assert human_duration(seconds) == text, seconds
