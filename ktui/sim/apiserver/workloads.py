"""The objects events are about: Pods, ReplicaSets, Deployments, StatefulSets, DaemonSets,
Jobs, CronJobs and Nodes, served read-only (get and list, metadata-only on request) with
their ``metadata.ownerReferences``: the truth ktui's owner grouping is tested against.

Scenarios register objects (:meth:`Workloads.add`) next to the events they emit; a
grant may forbid a resource (``Grant(forbidden={"pods"})``) to test the fallback to the
naming rules. Only what ownership needs is modelled: metadata, a node for Pods.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ktui.sim.apiserver.auth import Grant, forbidden, not_found, status
from ktui.sim.apiserver.convert import fmt_time
from ktui.sim.apiserver.tables import negotiate

# kind -> (API group, apiVersion, resource, namespaced)
KINDS: dict[str, tuple[str, str, str, bool]] = {
    "Pod": ("", "v1", "pods", True),
    "Node": ("", "v1", "nodes", False),
    "ReplicaSet": ("apps", "apps/v1", "replicasets", True),
    "Deployment": ("apps", "apps/v1", "deployments", True),
    "StatefulSet": ("apps", "apps/v1", "statefulsets", True),
    "DaemonSet": ("apps", "apps/v1", "daemonsets", True),
    "Job": ("batch", "batch/v1", "jobs", True),
    "CronJob": ("batch", "batch/v1", "cronjobs", True),
}
_BY_RESOURCE = {resource: (kind, group, version, namespaced)
                for kind, (group, version, resource, namespaced) in KINDS.items()}
_PREFIX = {"": ("api", "v1"), "apps": ("apis", "apps", "v1"), "batch": ("apis", "batch", "v1")}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Workloads:
    """Objects by (resource, namespace, name); thread-safe. ``uid_of(kind, namespace,
    name)`` gives an object its uid (the cluster's, so events' involvedObject.uid match)."""

    def __init__(self, uid_of: Callable[[str, str, str], str], now: Callable[[], float]) -> None:
        self.uid_of = uid_of
        self.now = now
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.rv = 1000

    def add(self, kind: str, namespace: str, name: str, owner: tuple[str, str] | None = None,
            *, node: str | None = None) -> dict[str, Any]:
        """Create (or replace) an object; ``owner`` is its controller (kind, name), in the
        same namespace. Returns the stored object."""
        _, version, resource, namespaced = KINDS[kind]
        namespace = namespace if namespaced else ""
        meta: dict[str, Any] = {"name": name, "uid": self.uid_of(kind, namespace, name),
                                "creationTimestamp": fmt_time(self.now())}
        if namespace:
            meta["namespace"] = namespace
        if owner is not None:
            owner_kind, owner_name = owner
            meta["ownerReferences"] = [{
                "apiVersion": KINDS[owner_kind][1], "kind": owner_kind, "name": owner_name,
                "uid": self.uid_of(owner_kind, namespace, owner_name),
                "controller": True, "blockOwnerDeletion": True,
            }]
        obj: dict[str, Any] = {"kind": kind, "apiVersion": version, "metadata": meta}
        if kind == "Pod" and node:
            obj["spec"] = {"nodeName": node}
        with self._lock:
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self._objects[(resource, namespace, name)] = obj
        return obj

    def remove(self, kind: str, namespace: str, name: str) -> bool:
        _, _, resource, namespaced = KINDS[kind]
        with self._lock:
            return self._objects.pop((resource, namespace if namespaced else "", name),
                                     None) is not None

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get((resource, namespace, name))

    def items(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        """In key order (namespace, name), like the apiserver's lists."""
        with self._lock:
            found = [(key, obj) for key, obj in self._objects.items()
                     if key[0] == resource and (namespace is None or key[1] == namespace)]
        return [obj for _, obj in sorted(found, key=lambda item: item[0])]


def parse_route(path: str) -> tuple[str, str | None, str | None] | None:
    """(resource, namespace, name) of a workload path, else None."""
    parts = path.strip("/").split("/")
    for group, prefix in _PREFIX.items():
        if tuple(parts[:len(prefix)]) != prefix:
            continue
        rest = parts[len(prefix):]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[1]:
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 2 or rest[0] not in _BY_RESOURCE:
            return None
        _, kind_group, _, namespaced = _BY_RESOURCE[rest[0]]
        if kind_group != group or (namespace is not None and not namespaced):
            return None
        name = rest[1] if len(rest) == 2 and rest[1] else None
        if name is not None and namespaced and namespace is None:
            return None
        return rest[0], namespace, name
    return None


class Responder(Protocol):
    """What serving needs of the request handler (server.Handler)."""

    headers: Any

    def send_obj(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None: ...

    def send_status(self, body: dict[str, Any],
                    headers: dict[str, str] | None = None) -> None: ...


def serve(handler: Responder, workloads: Workloads, grant: Grant,
          route: tuple[str, str | None, str | None], query: dict[str, str],
          counters: dict[str, int]) -> None:
    """Answer a GET of one object or a list, as the apiserver would."""
    resource, namespace, name = route
    kind, group, version, _ = _BY_RESOURCE[resource]
    verb = "get" if name is not None else "list"
    counters[f"{verb} {resource}"] = counters.get(f"{verb} {resource}", 0) + 1
    if not grant.allows(verb, group, namespace, resource):
        handler.send_status(forbidden(grant.user, verb, group, namespace, name, resource))
        return
    out = negotiate(handler.headers.get("Accept"), None)
    if out is None or out.table:
        handler.send_status(status(406, "NotAcceptable", "only application/json is served"))
        return
    if name is not None:
        obj = workloads.get(resource, namespace or "", name)
        if obj is None:
            handler.send_status(not_found(resource, group, name))
        else:
            handler.send_obj(200, _partial(obj) if out.meta_only else obj)
        return
    items = workloads.items(resource, namespace)
    try:
        offset = _offset(query.get("continue", ""))
        limit = max(0, int(query.get("limit") or 0))
    except ValueError:
        handler.send_status(status(400, "BadRequest", "invalid limit or continue"))
        return
    end = offset + limit if limit else len(items)
    meta: dict[str, Any] = {"resourceVersion": str(workloads.rv)}
    if end < len(items):
        meta["continue"] = base64.urlsafe_b64encode(_dumps({"off": end}).encode()).decode()
    page = items[offset:end]
    if out.meta_only:
        handler.send_obj(200, {"kind": "PartialObjectMetadataList",
                               "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                               "items": [_partial(obj) for obj in page]})
    else:
        handler.send_obj(200, {"kind": f"{kind}List", "apiVersion": version,
                               "metadata": meta, "items": page})


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"]}


def _offset(token: str) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["off"])
    except (binascii.Error, KeyError, TypeError) as exc:
        raise ValueError(str(exc)) from None
