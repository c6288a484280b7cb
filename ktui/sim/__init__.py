"""A Kubernetes API simulator for events: real HTTP on loopback, list/watch semantics,
RBAC, fault injection and scenarios with real event messages. Standard library only.

    from ktui.sim import SimCluster, Grant, write_kubeconfig, SCENARIOS
    with SimCluster(name="demo", scenario="demo") as cluster:
        write_kubeconfig(tmp / "kubeconfig", [cluster])
"""

from ktui.sim.auth import Grant
from ktui.sim.cluster import SimCluster
from ktui.sim.kubeconfig import kubeconfig_text, write_kubeconfig
from ktui.sim.scenarios import SCENARIOS

__all__ = ["SCENARIOS", "Grant", "SimCluster", "kubeconfig_text", "write_kubeconfig"]
