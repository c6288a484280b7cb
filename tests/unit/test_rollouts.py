"""Rollouts among events: the sparkline's ticks."""

from __future__ import annotations

from ktui.model.event import Event, format_time, from_core_v1
from ktui.model.rollouts import Rollout, rollout_times, rollouts

T0 = 1_794_873_600.0
_n = iter(range(10**6))


def ev(at: float, reason: str, message: str, kind: str, name: str, ns: str = "payments") -> Event:
    uid = f"r{next(_n)}"
    return from_core_v1({
        "metadata": {"namespace": ns, "name": f"{name}.{uid}", "uid": uid},
        "involvedObject": {"kind": kind, "name": name, "namespace": ns},
        "reason": reason, "message": message, "lastTimestamp": format_time(T0 + at),
    })


OLD, NEW = "payments-api-6ccbf97448", "payments-api-7f8dc97569"
DEPLOY = ("Deployment", "payments", "payments-api")


def test_a_rolling_update_is_one_tick_per_new_replicaset() -> None:
    events = [
        ev(0, "ScalingReplicaSet", f"Scaled up replica set {OLD} to 5", "Deployment",
           "payments-api"),
        ev(900, "ScalingReplicaSet", f"Scaled up replica set {NEW} to 1", "Deployment",
           "payments-api"),
        ev(900, "SuccessfulCreate", f"Created pod: {NEW}-x2x9k", "ReplicaSet", NEW),
        ev(901, "ScalingReplicaSet", f"Scaled down replica set {OLD} to 4", "Deployment",
           "payments-api"),
        ev(902, "ScalingReplicaSet", f"Scaled up replica set {NEW} to 2", "Deployment",
           "payments-api"),
        ev(903, "SuccessfulCreate", f"Created pod: {NEW}-q8wdm", "ReplicaSet", NEW),
        ev(950, "Unhealthy", "Readiness probe failed", "Pod", f"{NEW}-x2x9k"),
    ]
    assert rollouts(events) == [Rollout(T0, DEPLOY, OLD), Rollout(T0 + 900, DEPLOY, NEW)]
    assert rollout_times(events, T0 + 1, T0 + 3600) == [T0 + 900]
    assert rollout_times(events, T0, T0 + 3600, ("Deployment", "payments", "other")) == []


def test_a_replicaset_alone_says_it_too_but_not_one_without_a_deployment() -> None:
    events = [
        ev(10, "SuccessfulCreate", f"Created pod: {NEW}-x2x9k", "ReplicaSet", NEW),
        ev(20, "SuccessfulCreate", "Created pod: standalone-abcde", "ReplicaSet", "standalone"),
        ev(30, "SuccessfulCreate", "Created pod: db-0", "StatefulSet", "db"),
        ev(40, "ScalingReplicaSet", "(combined from similar events): Scaled down replica set "
           f"{OLD} to 0 from 1", "Deployment", "payments-api"),
    ]
    assert rollouts(events) == [Rollout(T0 + 10, DEPLOY, NEW)]
    assert rollouts([]) == []
