"""The events paths the simulated API server answers, and the RBAC verb of a request."""

from __future__ import annotations


def parse_route(path: str) -> tuple[str, str | None, str | None, str] | None:
    """(group, namespace, name, "watch"|"") for an events path, else None."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:3] == ["apis", "events.k8s.io", "v1"]:
        group, rest = "events.k8s.io", parts[3:]
    else:
        return None
    legacy = ""
    if rest[:1] == ["watch"]:
        legacy, rest = "watch", rest[1:]
    if rest == ["events"]:
        return group, None, None, legacy
    if len(rest) in (3, 4) and rest[0] == "namespaces" and rest[2] == "events" and rest[1]:
        return group, rest[1], rest[3] if len(rest) == 4 else None, legacy
    return None


def verb_of(method: str, route: tuple[str, str | None, str | None, str] | None,
          watch: bool) -> str:
    if method == "POST":
        return "create"
    if method != "GET":
        return method.lower()
    if route is None:
        return "get"
    if route[2] is not None:
        return "get"
    return "watch" if watch else "list"
