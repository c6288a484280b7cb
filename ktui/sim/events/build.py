"""Building event objects the way kubelet, controllers and the scheduler write them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ktui.sim.apiserver.convert import CORE, fmt_micro, fmt_time

OBJECT_API = {
    "Pod": "v1",
    "Node": "v1",
    "Service": "v1",
    "PersistentVolumeClaim": "v1",
    "Endpoints": "v1",
    "ReplicaSet": "apps/v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "Ingress": "networking.k8s.io/v1",
}

DEFAULT_ACTION = {
    "Scheduled": "Binding",
    "FailedScheduling": "Scheduling",
    "Preempted": "Preempting",
}


def uid4(rng: random.Random) -> str:
    """A version-4 UUID string from ``rng`` (deterministic for a seeded rng)."""
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(slots=True)
class ObjectInfo:
    uid: str
    resource_version: str


class ObjectRegistry:
    """Stable uids and resourceVersions for the objects events are about."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.objects: dict[tuple[str, str, str], ObjectInfo] = {}
        # stored events never mutate nested dicts, so one ref dict serves every event
        # about the same object (a large saving in storms)
        self._refs: dict[tuple[str, str | None, str, str | None, str | None],
                         dict[str, Any]] = {}

    def ref(self, kind: str, namespace: str | None, name: str, api_version: str | None = None,
            field_path: str | None = None) -> dict[str, Any]:
        """The involvedObject dict (shared: callers must not mutate it)."""
        rkey = (kind, namespace, name, api_version, field_path)
        cached = self._refs.get(rkey)
        if cached is not None:
            return cached
        if len(self._refs) > 100_000:
            self._refs.clear()
        key = (kind, namespace or "", name)
        info = self.objects.get(key)
        if info is None:
            # kubelet reports node events with the node name as the uid
            uid = name if kind == "Node" else uid4(self.rng)
            info = ObjectInfo(uid, str(self.rng.randint(100_000, 9_999_999)))
            self.objects[key] = info
        ref: dict[str, Any] = {"kind": kind}
        if namespace:
            ref["namespace"] = namespace
        ref["name"] = name
        ref["uid"] = info.uid
        ref["apiVersion"] = api_version or OBJECT_API.get(kind, "v1")
        ref["resourceVersion"] = info.resource_version
        if field_path:
            ref["fieldPath"] = field_path
        self._refs[rkey] = ref
        return ref


_SOURCES: dict[tuple[str, str | None], dict[str, Any]] = {}


def _source(component: str, host: str | None) -> dict[str, Any]:
    """A shared ``source`` dict (never mutated once stored)."""
    key = (component, host)
    src = _SOURCES.get(key)
    if src is None:
        src = {"component": component}
        if host:
            src["host"] = host
        if len(_SOURCES) < 10_000:
            _SOURCES[key] = src
    return src


def build_event(*, uid: str, name: str, namespace: str, involved: dict[str, Any], reason: str,
                message: str, type: str, api: str, component: str, host: str | None,
                time: float, first_time: float | None, count: int,
                reporting_instance: str | None = None, action: str | None = None,
                related: dict[str, Any] | None = None) -> dict[str, Any]:
    """A core/v1 Event dict, keys in the order the apiserver marshals them.

    ``api`` says which recorder wrote it: ``"v1"`` (kubelet, controllers: source, counts,
    first/last timestamps) or ``"events.k8s.io/v1"`` (the scheduler: eventTime and, for
    repeats, series; no first/last timestamps, no count).
    """
    first = first_time if first_time is not None else time
    obj: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid,
            "resourceVersion": "",
            "creationTimestamp": fmt_time(first),
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
    }
    if api == CORE:
        obj["source"] = _source(component, host)
        obj["firstTimestamp"] = fmt_time(first)
        obj["lastTimestamp"] = fmt_time(time)
        obj["count"] = count
        obj["type"] = type
        obj["eventTime"] = None
    else:
        obj["source"] = {}
        obj["firstTimestamp"] = None
        obj["lastTimestamp"] = None
        obj["type"] = type
        obj["eventTime"] = fmt_micro(first)
        if count > 1:
            obj["series"] = {"count": count, "lastObservedTime": fmt_micro(time)}
        obj["action"] = action or DEFAULT_ACTION.get(reason, reason)
        if related:
            obj["related"] = related
    if api == CORE and action:
        obj["action"] = action
    obj["reportingComponent"] = component
    if reporting_instance is None:
        reporting_instance = host or ""
        if api != CORE:
            reporting_instance = f"{component}-{host or 'ip-10-42-0-10.ec2.internal'}"
    obj["reportingInstance"] = reporting_instance
    return obj


def bump(obj: dict[str, Any], n: int, time: float) -> dict[str, Any]:
    """The PATCH a recorder sends for ``n`` more occurrences (count or series)."""
    new = dict(obj)
    is_new_api = obj.get("series") is not None or (
        obj.get("eventTime") is not None and obj.get("lastTimestamp") is None
        and obj.get("count") is None)
    if is_new_api:
        series = obj.get("series")
        prev = series.get("count") if isinstance(series, dict) else None
        count = prev if isinstance(prev, int) else 1
        new["series"] = {"count": count + n, "lastObservedTime": fmt_micro(time)}
    else:
        prev = obj.get("count")
        count = prev if isinstance(prev, int) else 1
        new["count"] = count + n
        new["lastTimestamp"] = fmt_time(time)
    return new
