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
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktui.records import record

if TYPE_CHECKING:  # the simulator is imported by Demo.start, after the first paint
    from ktui.sim import SimCluster

DEMO_CONTEXT = "demo"
DEMO_CONTEXTS = (DEMO_CONTEXT, "prod-eu-west-1")  # as ktui.sim.demo_clusters names them
# The clusterName of the demo history's documents (ktui.sim.exporter.CLUSTER): they are
# the demo context's ([clusters]), so history over several contexts finds them under it.
DEMO_HISTORY_CLUSTER = "eks-workshop"


@record(frozen=False)
class Demo:
    clusters: list[SimCluster]  # empty until start()
    kubeconfig: str
    directory: str
    opensearch_url: str = ""
    seed: int = 1
    with_history: bool = True
    _stoppers: list[Any] = field(default_factory=list)

    def start(self) -> None:
        """Start both clusters, write the kubeconfig, then OpenSearch if installed."""
        from ktui.sim import demo_clusters, write_kubeconfig

        # Both scenarios include a steady trickle, so the demo is visibly live. TLS with
        # the simulator's own CA: verification stays on, and kubectl can use the same
        # kubeconfig.
        self.clusters = demo_clusters(self.seed, tls=True)
        for cluster in self.clusters:
            cluster.start()
        write_kubeconfig(self.kubeconfig, self.clusters, token="admin-token",
                         current=DEMO_CONTEXT)
        if self.with_history:
            start_history(self)

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

        from ktui.sim.exporter import generate, index_documents

        client = OpenSearch(hosts=[server.url], timeout=60)
        with contextlib.suppress(Exception):  # the demo goes on without history
            index_documents(client, generate(documents, days=2), "single")
            client.indices.refresh(index="eks-kubernetes-events")

    threading.Thread(target=load, name="ktui-demo-history", daemon=True).start()


def prepare_demo(*, seed: int = 1, history: bool = True) -> Demo:
    """The demo's private directory and kubeconfig path, nothing running yet:
    :meth:`Demo.start` starts the clusters (and OpenSearch). ``ktui --demo`` calls it after
    the first paint, so the simulator's import and start-up never delay the first frame."""
    directory = tempfile.mkdtemp(prefix="ktui-demo-")
    demo = Demo([], str(Path(directory) / "kubeconfig"), directory, seed=seed,
                with_history=history)
    atexit.register(demo.stop)
    return demo


def start_demo(*, seed: int = 1, history: bool = True) -> Demo:
    """A running demo (for scripts and tests): :func:`prepare_demo` then start it."""
    demo = prepare_demo(seed=seed, history=history)
    demo.start()
    return demo
