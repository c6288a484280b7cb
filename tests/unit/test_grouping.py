"""Grouping the visible events by owner, object or reason."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

import ktui.model.refs as refs_module
from ktui.model.event import Event, OwnerRef, from_core_v1, from_exporter
from ktui.model.grouping import OBJECT, OWNER, REASON, group_events
from ktui.model.owners import BY_NAME, BY_OWNER_REFERENCES, BY_SELF, OwnerResolver
from ktui.model.query import parse_query
from ktui.model.store import EventStore

T0 = 1_700_000_000.0
_uids = iter(range(10**9))


def ev(
    name: str,
    reason: str,
    at: float,
    *,
    kind: str = "Pod",
    ns: str = "shop",
    type: str = "Normal",
    message: str = "",
    count: int = 1,
    first: float | None = None,
    field_path: str = "",
) -> Event:
    uid = f"e{next(_uids)}"
    return from_core_v1({
        "metadata": {"namespace": ns, "name": f"{name}.{uid}", "uid": uid},
        "involvedObject": {"kind": kind, "name": name, "namespace": ns, "uid": f"u-{name}",
                           "fieldPath": field_path},
        "reason": reason, "type": type, "message": message or f"{reason} {name}",
        "count": count,
        "firstTimestamp": _iso(T0 + (at if first is None else first)),
        "lastTimestamp": _iso(T0 + at),
    }, context="demo")


def _iso(moment: float) -> str:
    from ktui.model.event import format_time

    return format_time(moment)


def ordered(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.time)


SCENARIO_A = "scenario-a-5f8b9c7d6-x2x9k"
SCENARIO_C = "scenario-c-6d988b8d84-gghjv"
NODE = "ip-10-42-11-201.us-west-2.compute.internal"


def incident() -> list[Event]:
    return ordered([
        ev("scenario-a", "ScalingReplicaSet", 0, kind="Deployment",
           message="Scaled up replica set scenario-a-5f8b9c7d6 to 1"),
        ev("scenario-a-5f8b9c7d6", "SuccessfulCreate", 1, kind="ReplicaSet",
           message=f"Created pod: {SCENARIO_A}"),
        ev(SCENARIO_A, "Scheduled", 2),
        ev(SCENARIO_A, "FailedMount", 95, type="Warning", count=7, first=3,
           message='MountVolume.SetUp failed for volume "secret-volume" : secret '
                   '"misspelt-secret-name" not found'),
        ev(SCENARIO_A, "FailedMount", 230, type="Warning", count=2, first=120,
           message="Unable to attach or mount volumes: unmounted volumes=[secret-volume]"),
        ev(SCENARIO_A, "Pulled", 240, field_path="spec.containers{sidecar}"),
        ev(SCENARIO_C, "FailedScheduling", 426, type="Warning", count=4, first=10,
           message="0/3 nodes are available: 3 Insufficient cpu."),
        ev(NODE, "NodeHasDiskPressure", 50, kind="Node", ns="default"),
        ev(NODE, "EvictionThresholdMet", 60, kind="Node", ns="default", type="Warning",
           count=3, first=41, message="Attempting to reclaim ephemeral-storage"),
    ])


def by_display(groups: list[Any]) -> dict[str, Any]:
    return {group.display: group for group in groups}


def test_by_owner() -> None:
    events = incident()
    groups = group_events(events, OWNER)
    assert [g.display for g in groups] == [
        "node/" + NODE, "deployment/scenario-a", "deployment/scenario-c"]  # by last seen
    a = by_display(groups)["deployment/scenario-a"]
    assert a.key == ("Deployment", "shop", "scenario-a")
    assert a.resolved_by == BY_NAME
    assert a.size == 6 and len(a.events) == 6
    assert a.events == [e for e in events if e.object.name.startswith("scenario-a")]
    assert (a.warnings, a.normals, a.occurrences) == (2, 4, 1 + 1 + 1 + 7 + 2 + 1)
    assert a.reasons == {"FailedMount": 2, "Pulled": 1, "ScalingReplicaSet": 1,
                         "Scheduled": 1, "SuccessfulCreate": 1}
    assert list(a.reasons) == ["FailedMount", "Pulled", "ScalingReplicaSet", "Scheduled",
                               "SuccessfulCreate"]  # most frequent first, then by name
    # one entry per object, the most recently seen first; the sidecar's events (another
    # fieldPath) belong to the same Pod
    assert [o.display for o in a.objects] == [
        f"pod/{SCENARIO_A}", "replicaset/scenario-a-5f8b9c7d6", "deployment/scenario-a"]
    assert a.first_seen == T0 + 0
    assert a.last_seen == T0 + 240
    # the latest warning's message, though a Normal event came after it
    assert a.message.startswith("Unable to attach or mount volumes")
    assert a.latest is not None and a.latest.reason == "Pulled"
    c = by_display(groups)["deployment/scenario-c"]
    assert (c.size, c.first_seen, c.message) == (
        1, T0 + 10, "0/3 nodes are available: 3 Insufficient cpu.")
    node = groups[0]
    # kubelet reports Node events in "default": the Node itself has no namespace
    assert node.key == ("Node", "", NODE) and node.resolved_by == BY_SELF
    assert node.first_seen == T0 + 41 and node.occurrences == 4


def test_by_object_and_by_reason() -> None:
    events = incident()
    objects = by_display(group_events(events, OBJECT))
    assert set(objects) == {"deployment/scenario-a", "replicaset/scenario-a-5f8b9c7d6",
                            f"pod/{SCENARIO_A}", f"pod/{SCENARIO_C}", f"node/{NODE}"}
    pod = objects[f"pod/{SCENARIO_A}"]
    assert pod.size == 4 and pod.resolved_by == BY_SELF and len(pod.objects) == 1
    assert pod.key == ("Pod", "shop", SCENARIO_A)
    reasons = group_events(events, REASON)
    assert [g.display for g in reasons][-3:] == ["FailedMount", "Pulled", "FailedScheduling"]
    mount = by_display(reasons)["FailedMount"]
    assert mount.key == ("", "", "FailedMount") and mount.resolved_by is None
    assert (mount.size, mount.warnings, mount.occurrences) == (2, 2, 9)
    assert [o.display for o in by_display(reasons)["Scheduled"].objects] == [
        f"pod/{SCENARIO_A}"]
    with pytest.raises(ValueError, match="unknown grouping"):
        group_events(events, "namespace")
    assert group_events([], OWNER) == []


def test_owner_references_from_a_lookup_and_from_exporter_documents() -> None:
    refs = {("Pod", "catalog", "catalog-mysql-0"): [
        OwnerRef("StatefulSet", "catalog-mysql", "apps/v1", controller=True)]}
    events = ordered([ev("catalog-mysql-0", "Evicted", 5, ns="catalog", type="Warning"),
                      ev("catalog-mysql-0", "Killing", 6, ns="catalog"),
                      ev("catalog-mysql", "SuccessfulCreate", 7, kind="StatefulSet",
                         ns="catalog")])
    resolver = OwnerResolver(lambda kind, ns, name: refs.get((kind, ns, name)))
    [group] = group_events(events, OWNER, resolver)
    assert group.key == ("StatefulSet", "catalog", "catalog-mysql")
    assert group.resolved_by == BY_OWNER_REFERENCES and group.size == 3
    # history: the exporter's involvedObject.ownerReferences, no lookup at all
    doc = {
        "metadata": {"namespace": "kube-system", "name": "x.1", "uid": "x1"},
        "involvedObject": {"kind": "Pod", "namespace": "kube-system",
                           "name": "ebs-csi-node-7xk2p", "ownerReferences": [
                               {"kind": "DaemonSet", "name": "ebs-csi-node",
                                "controller": True}]},
        "reason": "Evicted", "type": "Warning", "lastTimestamp": _iso(T0),
        "clusterName": "eks",
    }
    second = {**doc, "metadata": {"namespace": "kube-system", "name": "x.2", "uid": "x2"},
              "involvedObject": {"kind": "Pod", "namespace": "kube-system",
                                 "name": "ebs-csi-node-q8wdm"}}
    [daemonset] = group_events([from_exporter(doc), from_exporter(second)], OWNER)
    # the second Pod carries no references: the DaemonSet the first one named lets the
    # naming rule place it, and the row says so (the weakest evidence it used)
    assert daemonset.key == ("DaemonSet", "kube-system", "ebs-csi-node")
    assert daemonset.resolved_by == BY_NAME and daemonset.size == 2
    [alone] = group_events([from_exporter(doc)], OWNER)
    assert alone.resolved_by == BY_OWNER_REFERENCES


def test_grouping_follows_the_store_filter() -> None:
    store = EventStore()
    store.apply(incident())
    store.set_query(parse_query("type:Warning"))
    groups = group_events(store.visible, OWNER)
    assert {g.display: g.size for g in groups} == {
        "deployment/scenario-a": 2, "deployment/scenario-c": 1, f"node/{NODE}": 1}
    assert all(g.normals == 0 for g in groups)


def reference_grouping(events: list[Event], by: str) -> dict[tuple[str, str, str], list[Event]]:
    """The obvious implementation, one event at a time."""
    resolver = OwnerResolver()
    resolver.learn(events)
    out: dict[tuple[str, str, str], list[Event]] = {}
    for event in events:
        o = event.object
        if by == REASON:
            key = ("", "", event.reason)
        elif by == OBJECT:
            key = (o.kind, "" if o.kind == "Node" else o.namespace, o.name)
        else:
            key = resolver.resolve(o.kind, o.namespace, o.name).key
        out.setdefault(key, []).append(event)
    return out


@pytest.mark.parametrize("by", [OWNER, OBJECT, REASON])
def test_same_groups_as_one_event_at_a_time(by: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # a small intern table, so that one object's events hold twin references
    monkeypatch.setattr(refs_module, "REFS_MAX", 7)
    rng = random.Random(by)
    names = ["web-5f8b9c7d6-x2x9k", "web-5f8b9c7d6-q8wdm", "web-5f8b9c7d6", "web",
             "api-6d988b8d84-gghjv", "hello-28312345-x7k2p", "hello-28312345", "db-0",
             NODE]
    kinds = {"web-5f8b9c7d6": "ReplicaSet", "web": "Deployment", "hello-28312345": "Job",
             NODE: "Node"}
    events = ordered([
        ev(name, rng.choice(["BackOff", "Pulled", "Unhealthy"]), rng.uniform(0, 3600),
           kind=kinds.get(name, "Pod"), ns=rng.choice(["a", "b"]),
           type=rng.choice(["Normal", "Warning", "Critical"]), count=rng.randint(1, 5))
        for name in rng.choices(names, k=3000)
    ])
    groups = group_events(events, by)
    expected = reference_grouping(events, by)
    assert {g.key: g.events for g in groups} == expected
    assert [g.last_seen for g in groups] == sorted(g.last_seen for g in groups)
    for group in groups:
        members = expected[group.key]
        assert group.size == len(members)
        assert group.warnings == sum(e.type == "Warning" for e in members)
        assert group.normals == sum(e.type == "Normal" for e in members)
        assert group.occurrences == sum(e.count for e in members)
        assert group.reasons == dict(Counter(e.reason for e in members))
        assert group.first_seen == min(e.first_seen for e in members)
        assert group.last_seen == max(e.time for e in members)
        warnings = [e for e in members if e.type == "Warning"]
        assert group.message == (warnings or members)[-1].message


def test_owners_and_objects_are_per_context() -> None:
    def of(context: str, name: str, at: float, owners: list[dict[str, object]] | None = None
           ) -> Event:
        involved: dict[str, object] = {"kind": "Pod", "name": name, "namespace": "shop"}
        if owners is not None:
            involved["ownerReferences"] = owners
        return from_exporter({
            "metadata": {"namespace": "shop", "name": f"{name}.{context}", "uid": f"{context}{at}"},
            "involvedObject": involved, "reason": "BackOff", "type": "Warning",
            "lastTimestamp": _iso(T0 + at), "clusterName": context,
        }, context=context)  # as history makes them: the context is the clusterName

    statefulset = [{"kind": "StatefulSet", "name": "db", "controller": True}]
    events = [of("eu", "db-0", 1, statefulset), of("us", "db-0", 2), of("us", "db-0", 3),
              of("eu", "web-5f8b9c7d6-x2x9k", 4), of("us", "web-5f8b9c7d6-x2x9k", 5)]
    groups = group_events(events, OWNER)
    assert [(g.context, g.display, g.size) for g in groups] == [
        ("eu", "statefulset/db", 1), ("us", "pod/db-0", 2),  # eu's references are not us'
        ("eu", "deployment/web", 1), ("us", "deployment/web", 1)]
    resolvers = {"eu": OwnerResolver(), "us": OwnerResolver()}
    group_events(events, OWNER, resolvers.__getitem__)
    assert resolvers["eu"].resolve("Pod", "shop", "db-0").kind == "StatefulSet"
    assert resolvers["us"].resolve("Pod", "shop", "db-0").kind == "Pod"
    assert [(g.context, g.size) for g in group_events(events, OBJECT)] == [
        ("eu", 1), ("us", 2), ("eu", 1), ("us", 1)]
    [reason] = group_events(events, REASON)  # one reason across contexts
    assert (reason.context, reason.size) == ("", 5)


def test_a_kept_resolver_answers_the_next_grouping_from_its_cache() -> None:
    calls: list[tuple[str, str, str]] = []

    def lookup(kind: str, ns: str, name: str) -> None:
        calls.append((kind, ns, name))

    events = incident()
    resolver = OwnerResolver(lookup)
    first = group_events(events, OWNER, resolver)
    assert calls  # the first grouping asked (and learned the controllers it met)
    calls.clear()
    again = group_events(events, OWNER, resolver)
    assert calls == []  # nothing new learned, nothing forgotten: no lookup, one pass
    assert [(g.key, g.size) for g in again] == [(g.key, g.size) for g in first]
