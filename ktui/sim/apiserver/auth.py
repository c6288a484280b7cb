"""Bearer tokens, grants (a tiny RBAC) and the apiserver's Status bodies."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

ALL_GROUPS = frozenset({"", "events.k8s.io"})
READ_VERBS = frozenset({"get", "list", "watch"})


# Workload resources the simulator serves (ktui reads their ownerReferences): read with
# the same namespaces and verbs as events, unless a grant forbids them.
WORKLOAD_RESOURCES = frozenset({"pods", "replicasets", "deployments", "statefulsets",
                                "daemonsets", "jobs", "cronjobs", "nodes"})


@dataclass(frozen=True)
class Grant:
    """What one token may do with events (and with the workloads events are about).

    ``namespaces`` None means every namespace (and cluster-scope lists); otherwise only
    those namespaces. ``groups`` holds the API groups allowed for events: ``""``
    (core/v1) and/or ``"events.k8s.io"``. Workloads (:data:`WORKLOAD_RESOURCES`) may be
    read where events may, but for the resources in ``forbidden`` (``{"pods"}``: a user
    who reads events but not Pods). ``user`` is the name shown in Forbidden messages.
    """

    namespaces: AbstractSet[str] | None = None
    groups: AbstractSet[str] = ALL_GROUPS
    verbs: AbstractSet[str] = READ_VERBS
    user: str = "system:serviceaccount:default:ktui-viewer"
    forbidden: AbstractSet[str] = frozenset()

    def __post_init__(self) -> None:
        if self.namespaces is not None:
            object.__setattr__(self, "namespaces", frozenset(self.namespaces))
        object.__setattr__(self, "groups", frozenset(self.groups))
        object.__setattr__(self, "verbs", frozenset(self.verbs))
        object.__setattr__(self, "forbidden", frozenset(self.forbidden))

    @classmethod
    def all(cls, user: str = "kubernetes-admin") -> Grant:
        """Everything: every namespace, both APIs, every read verb."""
        return cls(None, ALL_GROUPS, READ_VERBS, user)

    def allows(self, verb: str, group: str, namespace: str | None,
               resource: str = "events") -> bool:
        """May this token ``verb`` ``resource`` in ``group`` in ``namespace`` (None: all)?"""
        if resource == "namespaces":
            return group == "" and verb in self.verbs and self.namespaces is None
        if resource in WORKLOAD_RESOURCES:
            if resource in self.forbidden or verb not in self.verbs:
                return False
            return self.namespaces is None or (namespace is not None
                                               and namespace in self.namespaces)
        if resource != "events" or group not in self.groups or verb not in self.verbs:
            return False
        return self.namespaces is None or (namespace is not None
                                           and namespace in self.namespaces)


def status(code: int, reason: str, message: str,
           details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``kind: Status`` failure body."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def unauthorized() -> dict[str, Any]:
    return status(401, "Unauthorized", "Unauthorized")


def qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def forbidden(user: str, verb: str, group: str, namespace: str | None,
              name: str | None = None, resource: str = "events") -> dict[str, Any]:
    """The RBAC authorizer's 403, word for word."""
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = (f'User "{user}" cannot {verb} resource "{resource}" in API group "{group}" '
              f"{scope}")
    what = qualified(resource, group)
    head = f'{what} "{name}" is forbidden' if name else f"{what} is forbidden"
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    return status(403, "Forbidden", f"{head}: {reason}", details)


def not_found(resource: str, group: str, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = resource
    return status(404, "NotFound", f'{qualified(resource, group)} "{name}" not found', details)


def access_review(grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
    """Answer a SelfSubjectAccessReview from the grant."""
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    attrs = spec.get("resourceAttributes") if isinstance(spec, dict) else None
    allowed = False
    reason = ""
    if isinstance(attrs, dict):
        ns = attrs.get("namespace") or None
        allowed = grant.allows(str(attrs.get("verb", "")), str(attrs.get("group", "")),
                               ns, str(attrs.get("resource", "")))
        if allowed:
            reason = f'RBAC: allowed by ktui-sim grant for user "{grant.user}"'
    return {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": {"allowed": allowed, **({"reason": reason} if reason else {})},
    }


def rules_review(grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
    """Answer a SelfSubjectRulesReview (``kubectl auth can-i --list``) from the grant."""
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    ns = spec.get("namespace") if isinstance(spec, dict) else None
    rules: list[dict[str, Any]] = [
        {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
         "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
    ]
    if grant.namespaces is None or (isinstance(ns, str) and ns in grant.namespaces):
        rules.append({"verbs": sorted(grant.verbs), "apiGroups": sorted(grant.groups),
                      "resources": ["events"]})
    return {
        "kind": "SelfSubjectRulesReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": {
            "resourceRules": rules,
            "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": [
                "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz",
                "/version", "/version/"]}],
            "incomplete": False,
        },
    }


@dataclass
class TokenTable:
    """token → Grant; ``require_auth`` False lets a request without a token in as admin.
    ``certs``: the CN of a verified client certificate → Grant (client-certificate
    authentication, for a request without a token)."""

    tokens: dict[str, Grant] = field(default_factory=dict)
    require_auth: bool = True
    certs: dict[str, Grant] = field(default_factory=dict)

    def resolve(self, header: str | None, client_cn: str | None = None) -> Grant | None:
        header = (header or "").strip()
        if header.lower().startswith("bearer ") and header[7:].strip():
            return self.tokens.get(header[7:].strip())
        if header and header.lower() != "bearer":
            return None  # another scheme (Basic...) or garbage
        if client_cn is not None and client_cn in self.certs:
            return self.certs[client_cn]
        return None if self.require_auth else Grant.all()
