"""The built-in demo: two simulated clusters (one named like production) on loopback,
with the seeds' scenarios and a steady trickle of new events, and a kubeconfig for them
in a private temporary directory that is removed on exit."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ktui.sim import SimCluster, write_kubeconfig

DEMO_CONTEXT = "demo"
PROD_CONTEXT = "prod-eu-west-1"


@dataclass
class Demo:
    clusters: list[SimCluster]
    kubeconfig: str
    directory: str

    def stop(self) -> None:
        for cluster in self.clusters:
            cluster.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_demo(*, seed: int = 1) -> Demo:
    directory = tempfile.mkdtemp(prefix="ktui-demo-")
    # Both scenarios include a steady trickle, so the demo is visibly live.
    clusters = [
        SimCluster(name=DEMO_CONTEXT, scenario="demo", seed=seed),
        SimCluster(name=PROD_CONTEXT, scenario="prod", seed=seed + 1),
    ]
    for cluster in clusters:
        cluster.start()
    kubeconfig = str(Path(directory) / "kubeconfig")
    write_kubeconfig(kubeconfig, clusters, token="admin-token", current=DEMO_CONTEXT)
    demo = Demo(clusters, kubeconfig, directory)
    atexit.register(demo.stop)
    return demo
