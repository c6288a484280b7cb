"""Legacy (unaggregated) discovery documents, enough for kubectl 1.27-1.33.

kubectl first asks ``/api`` and ``/apis`` for aggregated discovery through the Accept
header; a plain ``application/json`` answer makes it fall back to per-group documents.
"""

from __future__ import annotations

from typing import Any

VERSION: dict[str, Any] = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.0-ktui-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-04-17T00:00:00Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_EVENTS_RESOURCE: dict[str, Any] = {
    "name": "events",
    "singularName": "event",
    "namespaced": True,
    "kind": "Event",
    "verbs": ["get", "list", "watch"],
    "shortNames": ["ev"],
}


def api_versions(host: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
    }


def _kind_only(name: str, kind: str, namespaced: bool, short: str) -> dict[str, Any]:
    """A resource the simulator does not serve (no verbs), listed so kubectl can map
    ``pod/web-1`` for ``kubectl events --for``."""
    return {"name": name, "singularName": kind.lower(), "namespaced": namespaced,
            "kind": kind, "verbs": [], "shortNames": [short]}


CORE_V1: dict[str, Any] = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        dict(_EVENTS_RESOURCE),
        {"name": "namespaces", "singularName": "namespace", "namespaced": False,
         "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"]},
        _kind_only("pods", "Pod", True, "po"),
        _kind_only("nodes", "Node", False, "no"),
        _kind_only("services", "Service", True, "svc"),
        _kind_only("persistentvolumeclaims", "PersistentVolumeClaim", True, "pvc"),
    ],
}


def _group(name: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/v1", "version": "v1"}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


GROUPS = ("events.k8s.io", "authorization.k8s.io", "apps")

API_GROUP_LIST: dict[str, Any] = {
    "kind": "APIGroupList",
    "apiVersion": "v1",
    "groups": [_group(g) for g in GROUPS],
}

GROUP: dict[str, dict[str, Any]] = {
    g: {"kind": "APIGroup", "apiVersion": "v1", **_group(g)} for g in GROUPS
}

GROUP_VERSION: dict[str, dict[str, Any]] = {
    "events.k8s.io": {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "events.k8s.io/v1",
        "resources": [dict(_EVENTS_RESOURCE)],
    },
    "authorization.k8s.io": {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "authorization.k8s.io/v1",
        "resources": [
            {"name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview",
             "namespaced": False, "kind": "SelfSubjectAccessReview", "verbs": ["create"]},
            {"name": "selfsubjectrulesreviews", "singularName": "selfsubjectrulesreview",
             "namespaced": False, "kind": "SelfSubjectRulesReview", "verbs": ["create"]},
        ],
    },
    "apps": {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "apps/v1",
        "resources": [
            _kind_only("deployments", "Deployment", True, "deploy"),
            _kind_only("replicasets", "ReplicaSet", True, "rs"),
            _kind_only("statefulsets", "StatefulSet", True, "sts"),
            _kind_only("daemonsets", "DaemonSet", True, "ds"),
        ],
    },
}
