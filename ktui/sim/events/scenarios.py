"""Scenarios: the events of real clusters, with the real messages.

Messages come from the EKS workshop's Kubernetes events module (scenario-a/b/c in
namespace ``test``) and from kubelet, scheduler and controller output. Times are relative
to the cluster's clock and deterministic for a given seed.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from ktui.sim.events.generate import NODES, template_hash
from ktui.sim.events.protocol import Cluster

NEW = "events.k8s.io/v1"
SCHED = "default-scheduler"
KUBELET = "kubelet"
RSC = "replicaset-controller"
DC = "deployment-controller"

WRONG_IMAGE = (
    'Failed to pull image "wrong-image": rpc error: code = Unknown desc = failed to pull and '
    'unpack image "docker.io/library/wrong-image:latest": failed to resolve reference '
    '"docker.io/library/wrong-image:latest": pull access denied, repository does not exist '
    "or may require authorization: server message: insufficient_scope: authorization failed"
)
INSUFFICIENT_CPU = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
    "3 No preemption victims found for incoming pod."
)
TAINTED = (
    "0/5 nodes are available: 1 node(s) had untolerated taint "
    "{node-role.kubernetes.io/master: }, 5 Insufficient cpu, 5 Insufficient memory. "
    "preemption: 0/5 nodes are available: 1 Preemption is not helpful for scheduling, "
    "4 No preemption victims found for incoming pod."
)
PULLED_NGINX = ('Successfully pulled image "nginx" in 627.545722ms '
                "(627.553403ms including waiting)")
PROBE_REFUSED = ('Readiness probe failed: Get "http://10.42.127.4:8080/actuator/health/'
                 'liveness": dial tcp 10.42.127.4:8080: connect: connection refused')


class _At:
    """Emit helper: times are seconds ago relative to one ``now``."""

    def __init__(self, c: Cluster) -> None:
        self.c = c
        self.now = c.now()

    def __call__(self, ago: float, ns: str, reason: str, message: str, *,
                 type: str = "Normal", kind: str = "Pod", name: str, api: str = "v1",
                 component: str = KUBELET, host: str | None = None, count: int = 1,
                 first_ago: float | None = None, field_path: str | None = None) -> str:
        if component == KUBELET and host is None:
            host = NODES[len(name) % len(NODES)]
        ev = self.c.emit(ns, reason, message, type, kind, name, api, component, host,
                         self.now - ago, count=count,
                         first_time=None if first_ago is None else self.now - first_ago,
                         field_path=field_path)
        return str(ev["metadata"]["uid"])

    def pod_start(self, ago: float, ns: str, pod: str, node: str, image: str,
                  container: str, pull: str | None = None) -> None:
        """Scheduled (new API) → Pulling → Pulled → Created → Started, seconds apart."""
        self(ago, ns, "Scheduled", f"Successfully assigned {ns}/{pod} to {node}",
             name=pod, api=NEW, component=SCHED)
        fp = f"spec.containers{{{container}}}"
        self(ago - 1, ns, "Pulling", f'Pulling image "{image}"', name=pod, host=node,
             field_path=fp)
        self(ago - 2, ns, "Pulled", pull or f'Successfully pulled image "{image}" in '
             f"1.{len(pod) * 37 % 1000:03d}358543s (1.{len(pod) * 37 % 1000:03d}36199s "
             "including waiting)", name=pod, host=node, field_path=fp)
        self(ago - 2, ns, "Created", f"Created container {container}", name=pod, host=node,
             field_path=fp)
        self(ago - 3, ns, "Started", f"Started container {container}", name=pod, host=node,
             field_path=fp)


def scenario_a(c: Cluster) -> None:
    """FailedMount: the pod mounts a secret whose name is misspelt."""
    at = _At(c)
    rs, pod = "scenario-a-5f8b9c7d6", "scenario-a-5f8b9c7d6-x2x9k"
    at(1500, "test", "ScalingReplicaSet", f"Scaled up replica set {rs} to 1",
       kind="Deployment", name="scenario-a", component=DC)
    at(1500, "test", "SuccessfulCreate", f"Created pod: {pod}", kind="ReplicaSet", name=rs,
       component=RSC)
    at(1499, "test", "Scheduled", f"Successfully assigned test/{pod} to {NODES[0]}",
       name=pod, api=NEW, component=SCHED)
    at(95, "test", "FailedMount", 'MountVolume.SetUp failed for volume "secret-volume" : '
       'secret "misspelt-secret-name" not found', type="Warning", name=pod, host=NODES[0],
       count=21, first_ago=1499)
    at(230, "test", "FailedMount", "Unable to attach or mount volumes: unmounted volumes="
       "[secret-volume], unattached volumes=[], failed to process volumes=[]: timed out "
       "waiting for the condition", type="Warning", name=pod, host=NODES[0], count=11,
       first_ago=1380)


def scenario_b(c: Cluster) -> None:
    """ImagePullBackOff: the image does not exist."""
    at = _At(c)
    rs, pod = "scenario-b-cff56c84", "scenario-b-cff56c84-xn9hh"
    node, fp = NODES[1], "spec.containers{nginx}"
    at(1500, "test", "ScalingReplicaSet", f"Scaled up replica set {rs} to 1",
       kind="Deployment", name="scenario-b", component=DC)
    at(1500, "test", "SuccessfulCreate", f"Created pod: {pod}", kind="ReplicaSet", name=rs,
       component=RSC)
    at(1499, "test", "Scheduled", f"Successfully assigned test/{pod} to {node}", name=pod,
       api=NEW, component=SCHED)
    at(388, "test", "Pulling", 'Pulling image "wrong-image"', name=pod, host=node,
       count=8, first_ago=1498, field_path=fp)
    at(388, "test", "Failed", WRONG_IMAGE, type="Warning", name=pod, host=node, count=8,
       first_ago=1497, field_path=fp)
    at(388, "test", "Failed", "Error: ErrImagePull", type="Warning", name=pod, host=node,
       count=8, first_ago=1497, field_path=fp)
    at(12, "test", "BackOff", 'Back-off pulling image "wrong-image"', name=pod, host=node,
       count=112, first_ago=1496, field_path=fp)
    at(12, "test", "Failed", "Error: ImagePullBackOff", type="Warning", name=pod, host=node,
       count=112, first_ago=1496, field_path=fp)


def scenario_c(c: Cluster) -> None:
    """FailedScheduling: the pod asks for more CPU than any node has (new API, series)."""
    at = _At(c)
    rs, pod = "scenario-c-6d988b8d84", "scenario-c-6d988b8d84-gghjv"
    at(1500, "test", "ScalingReplicaSet", f"Scaled up replica set {rs} to 1",
       kind="Deployment", name="scenario-c", component=DC)
    at(1500, "test", "SuccessfulCreate", f"Created pod: {pod}", kind="ReplicaSet", name=rs,
       component=RSC)
    at(426, "test", "FailedScheduling", INSUFFICIENT_CPU, type="Warning", name=pod, api=NEW,
       component=SCHED, count=6, first_ago=1499)


def lifecycle(c: Cluster) -> None:
    """Healthy starts, a crash loop, the retail sample app, probes failing."""
    at = _At(c)
    at.pod_start(2640, "default", "nginx", "ip-10-42-179-183.us-west-2.compute.internal",
                 "nginx", "nginx", pull=PULLED_NGINX)
    for ns, pod, node in (
        ("catalog", "catalog-857f89d57d-xl4xc", NODES[2]),
        ("assets", "assets-7ccc84cb4d-k5btz", NODES[1]),
        ("orders", "orders-5696b978f5-gk2d7", NODES[0]),
        ("ui", "ui-5dfb7d65fc-7l94z", NODES[2]),
    ):
        rs = pod.rsplit("-", 1)[0]
        at(2645, ns, "SuccessfulCreate", f"Created pod: {pod}", kind="ReplicaSet", name=rs,
           component=RSC)
        at.pod_start(2644, ns, pod, node, f"public.ecr.aws/aws-containers/retail-store-"
                     f"sample-{ns}:0.4.0", ns)
    at(2600, "orders", "Unhealthy", PROBE_REFUSED, type="Warning", name="orders-5696b978f5-"
       "gk2d7", count=3, first_ago=2630, field_path="spec.containers{orders}")
    # the multi-container pod that crash-loops (Pulling/Started x2, BackOff)
    mc = "multi-container-pod"
    at.pod_start(1100, "default", mc, NODES[3], "nginx", "container1")
    at(1040, "default", "Pulling", 'Pulling image "mysql"', name=mc, host=NODES[3], count=2,
       first_ago=1096, field_path="spec.containers{container2}")
    at(1038, "default", "Started", "Started container container2", name=mc, host=NODES[3],
       count=2, first_ago=1094, field_path="spec.containers{container2}")
    at(1033, "default", "BackOff", "Back-off restarting failed container", type="Warning",
       name=mc, host=NODES[3], count=2, first_ago=1034,
       field_path="spec.containers{container2}")
    at(600, "default", "Killing", "Container nginx definition changed, will be restarted",
       name="nginx", host="ip-10-42-179-183.us-west-2.compute.internal",
       field_path="spec.containers{nginx}")
    at(598, "default", "Failed", WRONG_IMAGE.replace("wrong-image", "nginxaa"), type="Warning",
       name="nginx", host="ip-10-42-179-183.us-west-2.compute.internal",
       field_path="spec.containers{nginx}")
    at(28, "kube-system", "Unhealthy", "Readiness probe failed: HTTP probe failed with "
       "statuscode: 503", type="Warning", name="coredns-5d78c9869d-4hx2j", count=4,
       first_ago=360, field_path="spec.containers{coredns}")


def rolling_update(c: Cluster) -> None:
    """A Deployment rolling from one ReplicaSet to another, with the combined event."""
    at = _At(c)
    old, new, ns, dep = "payments-api-6ccbf97448", "payments-api-7f8dc97569", "payments", \
        "payments-api"
    at(1800, ns, "ScalingReplicaSet", f"Scaled up replica set {old} to 5", kind="Deployment",
       name=dep, component=DC)
    up, down = f"Scaled up replica set {new} to", f"Scaled down replica set {old} to"
    steps = [(900, f"{up} 1"), (900, f"{down} 4"), (899, f"{up} 2"), (864, f"{down} 3"),
             (863, f"{up} 3"), (854, f"{down} 2"), (854, f"{up} 4"), (831, f"{down} 1")]
    for ago, msg in steps:
        at(ago, ns, "ScalingReplicaSet", msg, kind="Deployment", name=dep, component=DC)
    at(821, ns, "ScalingReplicaSet", "(combined from similar events): Scaled down replica set "
       f"{old} to 0 from 1", kind="Deployment", name=dep, component=DC, count=2, first_ago=831)
    rng = random.Random(7)
    for i, ago in enumerate((900, 899, 863, 854, 830)):
        pod = f"{new}-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"
        at(ago, ns, "SuccessfulCreate", f"Created pod: {pod}", kind="ReplicaSet", name=new,
           component=RSC)
        at.pod_start(ago - 1, ns, pod, NODES[i % 5], "public.ecr.aws/ktui/payments-api:2.1",
                     "payments-api")
        at(ago - 6, ns, "Unhealthy", "Readiness probe failed: HTTP probe failed with "
           "statuscode: 503", type="Warning", name=pod, count=2, first_ago=ago - 5,
           field_path="spec.containers{payments-api}")
        old_pod = f"{old}-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"
        at(ago - 12, ns, "SuccessfulDelete", f"Deleted pod: {old_pod}", kind="ReplicaSet",
           name=old, component=RSC)
        at(ago - 12, ns, "Killing", "Stopping container payments-api", name=old_pod,
           field_path="spec.containers{payments-api}")


def node_pressure(c: Cluster) -> None:
    """Disk pressure on one node: eviction, taint, pods that cannot schedule."""
    at = _At(c)
    node = NODES[4]
    at(1260, "default", "NodeHasDiskPressure", f"Node {node} status is now: "
       "NodeHasDiskPressure", kind="Node", name=node, host=node)
    at(1250, "default", "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage",
       type="Warning", kind="Node", name=node, host=node, count=3, first_ago=1259)
    at(1240, "default", "FreeDiskSpaceFailed", "Failed to garbage collect required amount of "
       "images. Attempted to free 4212150681 bytes, but only found 0 bytes eligible to free.",
       type="Warning", kind="Node", name=node, host=node)
    for ns, pod, container in (("catalog", "catalog-mysql-0", "mysql"),
                               ("kube-system", "ebs-csi-node-7xk2p", "ebs-plugin"),
                               ("assets", "assets-7ccc84cb4d-q8wdm", "assets")):
        at(1245, ns, "Evicted", "The node was low on resource: ephemeral-storage. Threshold "
           "quantity: 2146223340, available: 1852152Ki. Container "
           f"{container} was using 3428Ki, request is 0, has larger consumption of "
           "ephemeral-storage.", type="Warning", name=pod, host=node)
        at(1244, ns, "Killing", f"Stopping container {container}", name=pod, host=node,
           field_path=f"spec.containers{{{container}}}")
    at(1100, "catalog", "FailedScheduling", "0/5 nodes are available: 1 node(s) had "
       "untolerated taint {node.kubernetes.io/disk-pressure: }, 4 Insufficient memory. "
       "preemption: 0/5 nodes are available: 1 Preemption is not helpful for scheduling, 4 No "
       "preemption victims found for incoming pod.", type="Warning", name="catalog-mysql-0",
       api=NEW, component=SCHED, count=5, first_ago=1243)
    at(700, "kube-system", "FailedScheduling", TAINTED, type="Warning",
       name="metrics-server-5c9b7f6d8-2n4kd", api=NEW, component=SCHED, count=2, first_ago=760)
    at(900, "default", "NodeHasNoDiskPressure", f"Node {node} status is now: "
       "NodeHasNoDiskPressure", kind="Node", name=node, host=node)


_TRICKLE_NS = ("default", "payments", "orders", "catalog", "ui", "test")
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _rollout_steps(rng: random.Random, ns: str) -> list[Callable[[_At], object]]:
    """One new pod of a ReplicaSet, from SuccessfulCreate to Started, one step per tick."""
    app = rng.choice(("web", "api", "worker", "cart", "checkout"))
    rs = f"{app}-{template_hash(rng)}"
    pod = f"{rs}-{''.join(rng.choice(_ALPHABET) for _ in range(5))}"
    node = rng.choice(NODES)
    image = f"public.ecr.aws/ktui/{app}:1.{rng.randint(0, 9)}"
    fp = f"spec.containers{{{app}}}"
    return [
        lambda at: at(0, ns, "SuccessfulCreate", f"Created pod: {pod}", kind="ReplicaSet",
                      name=rs, component=RSC),
        lambda at: at(0, ns, "Scheduled", f"Successfully assigned {ns}/{pod} to {node}",
                      name=pod, api=NEW, component=SCHED),
        lambda at: at(0, ns, "Pulling", f'Pulling image "{image}"', name=pod, host=node,
                      field_path=fp),
        lambda at: at(0, ns, "Pulled", f'Successfully pulled image "{image}" in '
                      f"{rng.randint(300, 2500)}.{rng.randint(0, 999999):06d}ms",
                      name=pod, host=node, field_path=fp),
        lambda at: at(0, ns, "Created", f"Created container {app}", name=pod, host=node,
                      field_path=fp),
        lambda at: at(0, ns, "Started", f"Started container {app}", name=pod, host=node,
                      field_path=fp),
    ]


def _trickle(c: Cluster, stop: threading.Event) -> None:
    """Rollouts step by step, warnings that repeat (MODIFIED), now and then a new one."""
    rng = random.Random(c.rng.getrandbits(32))
    steps: list[Callable[[_At], object]] = []
    delay = rng.uniform(0.1, 0.5)
    while not stop.wait(delay):
        delay = rng.uniform(0.8, 3.0)
        at = _At(c)
        roll = rng.random()
        if roll < 0.35:
            with c.store.cond:
                warnings = [v.uid for v in c.store.current.values()
                            if v.obj.get("type") == "Warning"]
            if warnings:
                try:
                    c.repeat(rng.choice(warnings))
                except KeyError:
                    pass
                continue
        if roll < 0.45:
            ns = rng.choice(_TRICKLE_NS)
            pod = f"{ns}-{template_hash(rng)}-{''.join(rng.sample(_ALPHABET, 5))}"
            if rng.random() < 0.5:
                at(0, ns, "Unhealthy", PROBE_REFUSED, type="Warning", name=pod)
            else:
                at(0, ns, "BackOff", "Back-off restarting failed container", type="Warning",
                   name=pod)
            continue
        if not steps:
            steps = _rollout_steps(rng, rng.choice(_TRICKLE_NS))
        steps.pop(0)(at)


def steady(c: Cluster) -> None:
    """A background trickle (an event every one to three seconds) while serving."""
    c.add_background(_trickle)


def prod(c: Cluster) -> None:
    """A second, different cluster: OOM kills, a node going NotReady, HPA, volumes."""
    at = _At(c)
    nodes = [f"ip-10-0-{a}-{b}.eu-west-1.compute.internal" for a, b in ((3, 17), (5, 92),
                                                                         (7, 140))]
    for i, pod in enumerate(("checkout-7b9d5c4f8-2xkqp", "checkout-7b9d5c4f8-9wzlr")):
        at(3000 - i * 40, "checkout", "Pulled", 'Container image "registry.example.com/'
           'checkout:5.2.1" already present on machine', name=pod, host=nodes[i], count=14,
           first_ago=3400, field_path="spec.containers{checkout}")
        at(20 + i * 300, "checkout", "BackOff", "Back-off restarting failed container checkout "
           f"in pod {pod}_checkout(4f1c{i}a2e-7d1b-4c3a-9e8f-0b5d2c6a7e91)", type="Warning",
           name=pod, host=nodes[i], count=37 + i, first_ago=3300,
           field_path="spec.containers{checkout}")
    at(2400, "kube-system", "NodeNotReady", f"Node {nodes[2]} status is now: NodeNotReady",
       kind="Node", name=nodes[2], component="node-controller")
    at(2395, "payments", "NodeNotReady", "Node is not ready", type="Warning",
       name="payments-db-0", component="node-controller")
    at(2100, "payments", "TaintManagerEviction", "Marking for deletion Pod "
       "payments/payments-db-0", name="payments-db-0", component="taint-eviction-controller")
    at(2050, "payments", "FailedAttachVolume", 'Multi-Attach error for volume '
       '"pvc-1f0c9a3e-5b2d-4e7f-8a6c-3d9b0e1f2a4c" Volume is already exclusively attached to '
       "one node and can't be attached to another", type="Warning", name="payments-db-0",
       component="attachdetach-controller")
    for ago, size in ((1500, 6), (900, 9), (300, 4)):
        at(ago, "orders", "SuccessfulRescale", f"New size: {size}; reason: cpu resource "
           "utilization (percentage of request) above target", kind="HorizontalPodAutoscaler",
           name="orders", component="horizontal-pod-autoscaler")
    at(60, "monitoring", "Unhealthy", "Liveness probe failed: HTTP probe failed with "
       "statuscode: 500", type="Warning", name="prometheus-k8s-0", count=9, first_ago=1300,
       field_path="spec.containers{prometheus}")
    c.load(400, namespaces=("checkout", "payments", "orders", "monitoring", "kube-system"),
           span_s=3600, warning_ratio=0.1)
    steady(c)


SCENARIOS: dict[str, Callable[[Cluster], None]] = {}


def demo(c: Cluster) -> None:
    """Everything a demo needs: scenario-a/b/c, lifecycle, rolling update, node pressure,
    a steady trickle. (Not ``hostile``: ask for ``demo,hostile`` to have both.)"""
    for name in ("scenario-a", "scenario-b", "scenario-c", "lifecycle", "rolling-update",
                 "node-pressure", "steady"):
        SCENARIOS[name](c)
    from ktui.sim.events.owners import demo_workloads

    demo_workloads(c)  # the Pods, ReplicaSets... behind these events, with ownerReferences


def empty(c: Cluster) -> None:
    """No events."""


def _hostile(c: Cluster) -> None:
    """Untrusted text: Rich markup, ANSI/OSC escapes, controls, 200 KB, bidi, nulls."""
    from ktui.sim.events.hostile import hostile

    hostile(c)


def _owners(c: Cluster) -> None:
    """Deployments, a StatefulSet, a DaemonSet, a CronJob's Jobs, Nodes: the objects (with
    ownerReferences, readable through the API) and their events."""
    from ktui.sim.events.owners import owners

    owners(c)


def _malformed(c: Cluster) -> None:
    """Objects no apiserver would send: nulls everywhere, unparseable times."""
    from ktui.sim.events.hostile import malformed

    malformed(c)


SCENARIOS.update({
    "demo": demo,
    "scenario-a": scenario_a,
    "scenario-b": scenario_b,
    "scenario-c": scenario_c,
    "lifecycle": lifecycle,
    "rolling-update": rolling_update,
    "node-pressure": node_pressure,
    "steady": steady,
    "hostile": _hostile,
    "malformed": _malformed,
    "owners": _owners,
    "prod": prod,
    "empty": empty,
})


def apply_scenario(c: Cluster, spec: str) -> None:
    """Apply ``spec``: one scenario name or several joined with ``,`` or ``+``."""
    for name in spec.replace("+", ",").split(","):
        name = name.strip()
        if not name:
            continue
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        SCENARIOS[name](c)
