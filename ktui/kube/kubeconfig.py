"""Reading kubeconfig files the way kubectl does, cheaply and with one-line errors.

``KUBECONFIG`` may name several files (``:``-separated); they are merged and, as in
client-go, the first file to define a cluster, context, user or ``current-context`` wins.
``--kubeconfig`` names exactly one file, which must exist. Relative file references
(``certificate-authority``, ``client-key``, ``tokenFile``, an exec ``command`` with a
slash) are resolved against the directory of the file that defined them.

This module only parses YAML (the loader that ships with the kubernetes package); it
imports no client, so listing contexts costs a few milliseconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ktui.feeds.errors import ConfigError

DEFAULT_PATH = "~/.kube/config"
_CLUSTER_PATHS = ("certificate-authority",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")


@dataclass(frozen=True, slots=True)
class ContextInfo:
    """One context as a picker shows it."""

    name: str
    cluster: str = ""
    user: str = ""
    namespace: str = ""
    server: str = ""


@dataclass(frozen=True)
class KubeConfig:
    """The merged content of one or more kubeconfig files."""

    label: str  # the file name(s), for error messages
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: str | None = None


@dataclass(frozen=True)
class ResolvedContext:
    """Everything needed to talk to one context's API server."""

    name: str
    label: str
    server: str
    namespace: str
    cluster: dict[str, Any]
    user: dict[str, Any]
    cluster_name: str = ""  # the kubeconfig's name for the cluster (history's clusterName)

    @property
    def insecure(self) -> bool:
        return self.cluster.get("insecure-skip-tls-verify") is True


def config_paths(kubeconfig: str | None) -> list[str]:
    """The files to read, in precedence order (explicit flag, KUBECONFIG, default)."""
    if kubeconfig:
        return [os.path.expanduser(kubeconfig)]
    env = os.environ.get("KUBECONFIG", "")
    if env:
        return [os.path.expanduser(p) for p in env.split(os.pathsep) if p]
    return [os.path.expanduser(DEFAULT_PATH)]


def missing_kubeconfig(kubeconfig: str | None = None) -> str:
    """Why there is no kubeconfig to read, naming the files looked for ('' when there is
    one): ``/x (from KUBECONFIG) does not exist``."""
    paths = config_paths(kubeconfig)
    if any(os.path.exists(path) for path in paths):
        return ""
    if kubeconfig:
        return f"{paths[0]} does not exist"
    if os.environ.get("KUBECONFIG"):
        if not paths:
            return "KUBECONFIG names no file"
        if len(paths) == 1:
            return f"{paths[0]} (from KUBECONFIG) does not exist"
        return f"none of {', '.join(paths)} (from KUBECONFIG) exists"
    return f"{paths[0]} does not exist"


def _yaml_load(path: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError(f"kubeconfig {path} is not valid YAML: {where}{problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"kubeconfig {path} is not valid YAML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"kubeconfig {path} is not valid YAML: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"kubeconfig {path}: cannot read: {exc.strerror}") from None


def _resolve(base: str, value: Any) -> Any:
    if isinstance(value, str) and value and not os.path.isabs(value):
        return os.path.normpath(os.path.join(base, os.path.expanduser(value)))
    return value


def _named(doc: Mapping[str, Any], key: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    items = doc.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"kubeconfig {path}: '{key}' must be a list")
    inner = key[:-1]  # clusters -> cluster
    result = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ConfigError(f"kubeconfig {path}: an entry of '{key}' has no name")
        body = item.get(inner) or {}
        if not isinstance(body, Mapping):
            raise ConfigError(f"kubeconfig {path}: {inner} '{item['name']}' is not a mapping")
        result.append((item["name"], dict(body)))
    return result


def _absolutise(kind: str, body: dict[str, Any], base: str) -> dict[str, Any]:
    for key in _CLUSTER_PATHS if kind == "clusters" else _USER_PATHS:
        if key in body:
            body[key] = _resolve(base, body[key])
    exec_spec = body.get("exec")
    if kind == "users" and isinstance(exec_spec, Mapping):
        exec_spec = dict(exec_spec)
        command = exec_spec.get("command")
        # Like client-go: only a command with a path separator is file-relative.
        if isinstance(command, str) and os.sep in command:
            exec_spec["command"] = _resolve(base, command)
        exec_spec["_dir"] = base
        body["exec"] = exec_spec
    return body


def load(kubeconfig: str | None = None) -> KubeConfig:
    """Read and merge the kubeconfig files; raise :class:`ConfigError` on any problem."""
    paths = config_paths(kubeconfig)
    if kubeconfig:
        if not os.path.exists(paths[0]):
            raise ConfigError(f"kubeconfig {paths[0]}: no such file")
        existing = paths
    else:
        existing = [p for p in paths if os.path.exists(p)]
    if not existing:
        advice = "" if os.environ.get("KUBECONFIG") else "; set KUBECONFIG or use --kubeconfig"
        raise ConfigError(f"no kubeconfig found: {missing_kubeconfig(None)}{advice}")
    merged = KubeConfig(label=os.pathsep.join(existing))
    current: str | None = None
    for path in existing:
        doc = _yaml_load(path)
        if doc is None:
            continue  # an empty file is allowed, as in kubectl
        if not isinstance(doc, Mapping):
            raise ConfigError(f"kubeconfig {path} is not a kubeconfig: expected a mapping")
        base = os.path.dirname(os.path.abspath(path))
        for kind in ("clusters", "contexts", "users"):
            target: dict[str, dict[str, Any]] = getattr(merged, kind)
            for name, body in _named(doc, kind, path):
                if name not in target:  # first file wins
                    target[name] = _absolutise(kind, body, base)
        if current is None and isinstance(doc.get("current-context"), str):
            current = doc["current-context"] or None
    return KubeConfig(merged.label, merged.contexts, merged.clusters, merged.users, current)


def list_contexts(kubeconfig: str | None = None) -> tuple[list[ContextInfo], str | None]:
    """All contexts (sorted by name) and the current one; no network, no client import."""
    config = load(kubeconfig)
    infos = []
    for name, body in sorted(config.contexts.items()):
        cluster_name = str(body.get("cluster") or "")
        cluster = config.clusters.get(cluster_name, {})
        infos.append(
            ContextInfo(
                name=name,
                cluster=cluster_name,
                user=str(body.get("user") or ""),
                namespace=str(body.get("namespace") or ""),
                server=str(cluster.get("server") or ""),
            )
        )
    return infos, config.current


def resolve(config: KubeConfig, context: str | None = None) -> ResolvedContext:
    """The named (or current) context with its cluster and user, checked."""
    name = context or config.current
    if not name:
        raise ConfigError(f"kubeconfig {config.label}: no current-context set; use --context")
    body = config.contexts.get(name)
    if body is None:
        raise ConfigError(f"kubeconfig {config.label}: context '{name}' not found")
    cluster_name = body.get("cluster")
    cluster = config.clusters.get(cluster_name) if isinstance(cluster_name, str) else None
    if cluster is None:
        raise ConfigError(
            f"kubeconfig {config.label}: context '{name}' refers to cluster "
            f"'{cluster_name or ''}', which is not defined"
        )
    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise ConfigError(
            f"kubeconfig {config.label}: cluster '{cluster_name}' has no valid server URL"
        )
    user_name = body.get("user")
    user: dict[str, Any] = {}
    if user_name:
        found = config.users.get(str(user_name))
        if found is None:
            raise ConfigError(
                f"kubeconfig {config.label}: context '{name}' refers to user "
                f"'{user_name}', which is not defined"
            )
        user = found
    return ResolvedContext(
        name=name,
        label=config.label,
        server=server.rstrip("/"),
        namespace=str(body.get("namespace") or ""),
        cluster=cluster,
        user=user,
        cluster_name=str(cluster_name),
    )
