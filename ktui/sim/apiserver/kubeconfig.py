"""Writing a kubeconfig for simulated clusters (one context per cluster)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Served(Protocol):
    """A cluster a kubeconfig can point at (SimCluster is one): its name and URL (and,
    read when present, ``tls``: then the test CA is embedded)."""

    @property
    def name(self) -> str: ...

    @property
    def url(self) -> str: ...


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value)


def kubeconfig_text(clusters: Sequence[Served], token: str = "admin-token",
                    current: str | None = None, namespace: str | None = None,
                    client_cert: bool = False) -> str:
    """The YAML of a kubeconfig: cluster, user and context named after each cluster. The
    user has ``token``, or with ``client_cert`` the test client certificate and key."""
    if not clusters:
        raise ValueError("at least one cluster is needed")
    lines = ["apiVersion: v1", "kind: Config", "preferences: {}", "clusters:"]
    for c in clusters:
        lines += [f"- name: {_q(c.name)}", "  cluster:", f"    server: {_q(c.url)}"]
        if getattr(c, "tls", False):
            from ktui.sim.apiserver.tls import CA_PEM

            ca = base64.b64encode(CA_PEM.encode()).decode()
            lines.append(f"    certificate-authority-data: {ca}")
    lines.append("users:")
    for c in clusters:
        lines += [f"- name: {_q(c.name + '-user')}", "  user:"]
        if client_cert:
            from ktui.sim.apiserver.tls import CLIENT_CERT_PEM, CLIENT_KEY_PEM

            for key, pem in (("client-certificate-data", CLIENT_CERT_PEM),
                             ("client-key-data", CLIENT_KEY_PEM)):
                lines.append(f"    {key}: {base64.b64encode(pem.encode()).decode()}")
        else:
            lines.append(f"    token: {_q(token)}")
    lines.append("contexts:")
    for c in clusters:
        lines += [f"- name: {_q(c.name)}", "  context:", f"    cluster: {_q(c.name)}",
                  f"    user: {_q(c.name + '-user')}"]
        if namespace:
            lines.append(f"    namespace: {_q(namespace)}")
    lines.append(f"current-context: {_q(current or clusters[0].name)}")
    return "\n".join(lines) + "\n"


def write_kubeconfig(path: str | os.PathLike[str], clusters: Sequence[Served],
                     token: str = "admin-token", current: str | None = None,
                     namespace: str | None = None, client_cert: bool = False) -> Path:
    """Write the kubeconfig at ``path`` with mode 0600 (created so, never world-readable).

    The clusters must be started (their URLs carry the port).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = kubeconfig_text(clusters, token, current, namespace, client_cert)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(p, 0o600)
    return p
