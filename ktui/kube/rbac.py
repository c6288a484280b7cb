"""Which namespaces to watch when RBAC forbids listing events cluster-wide.

Many users may read events only in some namespaces (kubernetes-events.md, rule 8): the
context's namespace if it names one, else the namespaces (given by the caller, or all of
them if the user may list namespaces) that a SelfSubjectAccessReview says may be watched,
in either events API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ktui.feeds.errors import SourceError
from ktui.kube.transport import Connection

MAX_REVIEWED_NAMESPACES = 100  # one review each: bounded, in case of thousands
_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def fallback_namespaces(
    conn: Connection, context_namespace: str, candidates: Sequence[str]
) -> list[str]:
    """The namespaces to watch instead of the whole cluster; empty if none is known."""
    if context_namespace:
        return [context_namespace]
    names = [c for c in candidates if c]
    if not names:
        try:
            body = json.loads(conn.get_json("/api/v1/namespaces"))
            names = [
                str((item.get("metadata") or {}).get("name") or "")
                for item in body.get("items") or ()
            ]
        except (SourceError, ValueError):
            return []
    return [ns for ns in names[:MAX_REVIEWED_NAMESPACES] if ns and may_watch_events(conn, ns)]


def may_watch_events(conn: Connection, namespace: str) -> bool:
    """Whether a SelfSubjectAccessReview allows watching events there, in either API."""
    for group in ("", "events.k8s.io"):
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": "watch",
                    "group": group,
                    "resource": "events",
                }
            },
        }
        try:
            answer = conn.post_json(_REVIEWS, review)
        except SourceError:
            return False
        if isinstance(answer, dict) and (answer.get("status") or {}).get("allowed") is True:
            return True
    return False
