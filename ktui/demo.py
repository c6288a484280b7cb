"""The built-in demo: two simulated clusters (one named like production) on loopback,
with the seeds' scenarios and a steady trickle of new events, and a kubeconfig for them
in a private temporary directory that is removed on exit."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ktui.sim import SimCluster, write_kubeconfig
from ktui.sim.scenarios import demo_clusters

DEMO_CONTEXT = "demo"


@dataclass
class Demo:
    clusters: list[SimCluster]
    kubeconfig: str
    directory: str
    opensearch_url: str = ""
    _stoppers: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for cluster in self.clusters:
            cluster.stop()
        for stop in self._stoppers:
            with contextlib.suppress(Exception):
                stop()
        self._stoppers.clear()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def _stderr_to(path: str) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` while a child starts: it inherits that, so a
    chatty server can never scribble over the full-screen UI."""
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def start_history(demo: Demo, documents: int = 2000) -> None:
    """An in-memory OpenSearch (osmem-server, when installed) with two days of exporter
    documents, loaded in the background so the UI does not wait for it."""
    try:
        from osmem_server import OsmemServer
    except ImportError:
        return
    with _stderr_to(str(Path(demo.directory) / "opensearch.log")):
        server = OsmemServer.start()
    demo.opensearch_url = server.url
    demo._stoppers.append(server.close)

    def load() -> None:
        from opensearchpy import OpenSearch

        from ktui.sim.exporter_docs import generate, index_documents

        client = OpenSearch(hosts=[server.url], timeout=60)
        with contextlib.suppress(Exception):  # the demo goes on without history
            index_documents(client, generate(documents, days=2), "single")
            client.indices.refresh(index="eks-kubernetes-events")

    threading.Thread(target=load, name="ktui-demo-history", daemon=True).start()


def start_demo(*, seed: int = 1, history: bool = True) -> Demo:
    directory = tempfile.mkdtemp(prefix="ktui-demo-")
    # Both scenarios include a steady trickle, so the demo is visibly live. TLS with the
    # simulator's own CA: verification stays on, and kubectl can use the same kubeconfig.
    clusters = demo_clusters(seed, tls=True)
    for cluster in clusters:
        cluster.start()
    kubeconfig = str(Path(directory) / "kubeconfig")
    write_kubeconfig(kubeconfig, clusters, token="admin-token", current=DEMO_CONTEXT)
    demo = Demo(clusters, kubeconfig, directory)
    atexit.register(demo.stop)
    if history:
        start_history(demo)
    return demo
