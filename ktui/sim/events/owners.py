"""Workloads and who owns whom: the objects behind the events, with ownerReferences.

``owners`` (a scenario): in namespace ``shop`` two Deployments (one mid-rollout, so two
ReplicaSets), a StatefulSet, a CronJob's Jobs and a Pod nobody owns; in ``kube-system`` a
DaemonSet with a Pod on every Node; the Nodes. Each object is registered in the
cluster's :class:`ktui.sim.apiserver.workloads.Workloads` (served at /api/v1/.../pods,
/apis/apps/v1/.../replicasets, /apis/batch/v1/.../jobs...) and has the events its
controllers, the scheduler and the kubelet would write. No event is about the DaemonSet
or the StatefulSet themselves, so only ownerReferences can tie their Pods to them.

:func:`demo_workloads` registers the objects of the demo's events the same way, from what
their controllers said (``Created pod: X`` on a ReplicaSet, ``Scaled up replica set R``
on a Deployment), plus the StatefulSet and DaemonSet Pods of ``node-pressure``.
"""

from __future__ import annotations

import re
from typing import Any

from ktui.sim.events.protocol import Cluster

NS = "shop"
NODES = tuple(f"ip-10-0-{a}-{b}.eu-west-1.compute.internal" for a, b in ((1, 11), (2, 22),
                                                                         (3, 33)))
# (deployment, replicaset, pods): pod-template-hashes and suffixes of Kubernetes' alphabets
DEPLOYMENTS = (
    ("web", "web-7d4b9c5c8f", ("web-7d4b9c5c8f-2xkqp", "web-7d4b9c5c8f-9wzlr",
                               "web-7d4b9c5c8f-q8wdm")),
    ("web", "web-6b8f4d9c7", ("web-6b8f4d9c7-h5j2n",)),  # the rollout's old ReplicaSet
    ("api", "api-5c9b7f6d8", ("api-5c9b7f6d8-4hx2j", "api-5c9b7f6d8-x7k2p")),
)
STATEFULSET = ("db", ("db-0", "db-1"))
DAEMONSET = ("log-agent", ("log-agent-bq9vz", "log-agent-tz6mk", "log-agent-r4vxc"))
CRONJOB = ("report", (("report-29400060", "report-29400060-gk2d7"),
                      ("report-29400120", "report-29400120-l94zc")))
NAKED = "debug-shell"


class _At:
    """Emit at ``ago`` seconds before the scenario's now."""

    def __init__(self, c: Cluster) -> None:
        self.c, self.now = c, c.now()

    def __call__(self, ago: float, ns: str, reason: str, message: str, *, name: str,
                 kind: str = "Pod", type: str = "Normal", component: str = "kubelet",
                 host: str | None = None, count: int = 1) -> None:
        self.c.emit(ns, reason, message, type, kind, name, component=component, host=host,
                    time=self.now - ago, count=count,
                    first_time=self.now - ago - 60 * (count - 1) if count > 1 else None)


def owners(c: Cluster) -> None:
    at = _At(c)
    w = c.workloads
    for node in NODES:
        w.add("Node", "", node)
    at(1900, "default", "NodeNotReady", f"Node {NODES[2]} status is now: NodeNotReady",
       kind="Node", name=NODES[2], type="Warning", component="node-controller")
    for index, (deployment, replicaset, pods) in enumerate(DEPLOYMENTS):
        w.add("Deployment", NS, deployment)
        w.add("ReplicaSet", NS, replicaset, ("Deployment", deployment))
        at(1800 - index * 300, NS, "ScalingReplicaSet",
           f"Scaled up replica set {replicaset} to {len(pods)}", kind="Deployment",
           name=deployment, component="deployment-controller")
        for number, pod in enumerate(pods):
            node = NODES[number % 2]
            w.add("Pod", NS, pod, ("ReplicaSet", replicaset), node=node)
            at(1799 - index * 300, NS, "SuccessfulCreate", f"Created pod: {pod}",
               kind="ReplicaSet", name=replicaset, component="replicaset-controller")
            at(1798 - index * 300, NS, "Scheduled", f"Successfully assigned {NS}/{pod} to "
               f"{node}", name=pod, component="default-scheduler")
            at(1790 - index * 300, NS, "Started", f"Started container {deployment}",
               name=pod, host=node)
    at(40, NS, "BackOff", "Back-off restarting failed container web in pod "
       "web-7d4b9c5c8f-2xkqp", name="web-7d4b9c5c8f-2xkqp", type="Warning", host=NODES[0],
       count=14)
    at(30, NS, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: "
       "503", name="api-5c9b7f6d8-x7k2p", type="Warning", host=NODES[1], count=6)
    statefulset, members = STATEFULSET
    w.add("StatefulSet", NS, statefulset)
    for ordinal, pod in enumerate(members):
        w.add("Pod", NS, pod, ("StatefulSet", statefulset), node=NODES[ordinal])
        at(1700, NS, "Started", "Started container postgres", name=pod, host=NODES[ordinal])
    at(300, NS, "FailedAttachVolume", 'Multi-Attach error for volume "pvc-3c1d" Volume is '
       "already exclusively attached to one node and can't be attached to another",
       name="db-1", type="Warning", component="attachdetach-controller")
    daemonset, agents = DAEMONSET
    w.add("DaemonSet", "kube-system", daemonset)
    for node, pod in zip(NODES, agents, strict=True):
        w.add("Pod", "kube-system", pod, ("DaemonSet", daemonset), node=node)
        at(1600, "kube-system", "Pulled", 'Container image "fluent/fluent-bit:3.1" already '
           "present on machine", name=pod, host=node)
    at(100, "kube-system", "Evicted", "The node was low on resource: memory.", name=agents[2],
       type="Warning", host=NODES[2])
    cronjob, runs = CRONJOB
    w.add("CronJob", NS, cronjob)
    for index, (job, pod) in enumerate(runs):
        w.add("Job", NS, job, ("CronJob", cronjob))
        w.add("Pod", NS, pod, ("Job", job), node=NODES[0])
        ago = 1200 - index * 600
        at(ago, NS, "SuccessfulCreate", f"Created job {job}", kind="CronJob", name=cronjob,
           component="cronjob-controller")
        at(ago - 1, NS, "SuccessfulCreate", f"Created pod: {pod}", kind="Job", name=job,
           component="job-controller")
        at(ago - 5, NS, "Started", "Started container report", name=pod, host=NODES[0])
    at(20, NS, "BackOff", "Back-off restarting failed container report", type="Warning",
       name=runs[1][1], host=NODES[0], count=5)
    at(10, NS, "BackoffLimitExceeded", "Job has reached the specified backoff limit",
       kind="Job", name=runs[1][0], type="Warning", component="job-controller")
    w.add("Pod", NS, NAKED, node=NODES[1])
    at(500, NS, "Pulled", 'Container image "busybox" already present on machine',
       name=NAKED, host=NODES[1])


_CREATED = re.compile(r"Created pod: (\S+)$")
_SCALED = re.compile(r"Scaled (?:up|down) replica set (\S+) to")


def demo_workloads(c: Cluster) -> None:
    """Register the objects of the events ``c`` holds, as their controllers described them."""
    with c.store.cond:
        objs: list[dict[str, Any]] = [v.obj for v in c.store.current.values()]
    w = c.workloads
    replicasets: dict[tuple[str, str], str | None] = {}  # -> its Deployment, if one said
    pods: list[tuple[str, str, str]] = []
    for obj in objs:
        involved = obj.get("involvedObject") or {}
        kind, name = involved.get("kind"), str(involved.get("name"))
        ns = str((obj.get("metadata") or {}).get("namespace") or "")
        message = str(obj.get("message") or "")
        if kind == "ReplicaSet" and (found := _CREATED.search(message)):
            replicasets.setdefault((ns, name), None)
            pods.append((ns, found.group(1), name))
        elif kind == "Deployment" and (found := _SCALED.search(message)):
            w.add("Deployment", ns, name)
            replicasets[(ns, found.group(1))] = name
        elif kind == "Node":
            w.add("Node", "", name)
    for (ns, replicaset), deployment in replicasets.items():
        w.add("ReplicaSet", ns, replicaset, ("Deployment", deployment) if deployment else None)
    for ns, pod, replicaset in pods:
        w.add("Pod", ns, pod, ("ReplicaSet", replicaset))
    # node-pressure's Pods of a StatefulSet, a DaemonSet and a Deployment, and coredns
    for ns, pod, owner_kind, owner in (
        ("catalog", "catalog-mysql-0", "StatefulSet", "catalog-mysql"),
        ("kube-system", "ebs-csi-node-7xk2p", "DaemonSet", "ebs-csi-node"),
        ("kube-system", "metrics-server-5c9b7f6d8-2n4kd", "ReplicaSet",
         "metrics-server-5c9b7f6d8"),
        ("kube-system", "coredns-5d78c9869d-4hx2j", "ReplicaSet", "coredns-5d78c9869d"),
    ):
        w.add(owner_kind, ns, owner)
        w.add("Pod", ns, pod, (owner_kind, owner))
        if owner_kind == "ReplicaSet":
            deployment = owner.rsplit("-", 1)[0]
            w.add("Deployment", ns, deployment)
            w.add("ReplicaSet", ns, owner, ("Deployment", deployment))


def exporter_documents(c: Cluster, cluster_name: str) -> list[dict[str, Any]]:
    """What kubernetes-event-exporter would store for ``c``'s events: each core/v1 event
    inlined with ``clusterName``, its ``involvedObject`` enriched with the object's
    ``ownerReferences`` (the exporter reads the object; one that is gone has none)."""
    from ktui.sim.apiserver.workloads import KINDS

    with c.store.cond:
        versions = c.store.sorted_current()
    docs = []
    for version in versions:
        event = {k: v for k, v in version.obj.items() if k not in ("kind", "apiVersion")}
        involved = dict(event.get("involvedObject") or {})
        kind, name = str(involved.get("kind") or ""), str(involved.get("name") or "")
        if kind in KINDS:
            found = c.workloads.get(KINDS[kind][2], str(involved.get("namespace") or ""), name)
            refs = (found or {}).get("metadata", {}).get("ownerReferences")
            if refs:
                involved["ownerReferences"] = refs
        docs.append({**event, "involvedObject": involved, "clusterName": cluster_name})
    return docs
