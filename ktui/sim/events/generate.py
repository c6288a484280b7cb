"""Bulk and storm event generation: plausible events, fast (tens of thousands a second)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

DEFAULT_NAMESPACES = ("default", "kube-system", "test", "payments", "orders", "catalog",
                      "ui", "assets")
NODES = tuple(f"ip-10-42-{a}-{b}.us-west-2.compute.internal"
              for a, b in ((104, 177), (153, 25), (190, 29), (127, 4), (11, 201)))

# (type, reason, kind, component, api, message template). {pod} {node} {ns} {img} {rs} {n}
Template = tuple[str, str, str, str, str, str]

NORMAL_TEMPLATES: tuple[Template, ...] = (
    ("Normal", "Scheduled", "Pod", "default-scheduler", "events.k8s.io/v1",
     "Successfully assigned {ns}/{pod} to {node}"),
    ("Normal", "Pulling", "Pod", "kubelet", "v1", 'Pulling image "{img}"'),
    ("Normal", "Pulled", "Pod", "kubelet", "v1",
     'Successfully pulled image "{img}" in 627.545722ms (627.553403ms including waiting)'),
    ("Normal", "Pulled", "Pod", "kubelet", "v1",
     'Container image "{img}" already present on machine'),
    ("Normal", "Created", "Pod", "kubelet", "v1", "Created container {app}"),
    ("Normal", "Started", "Pod", "kubelet", "v1", "Started container {app}"),
    ("Normal", "Killing", "Pod", "kubelet", "v1", "Stopping container {app}"),
    ("Normal", "SuccessfulCreate", "ReplicaSet", "replicaset-controller", "v1",
     "Created pod: {pod}"),
    ("Normal", "SuccessfulDelete", "ReplicaSet", "replicaset-controller", "v1",
     "Deleted pod: {pod}"),
    ("Normal", "ScalingReplicaSet", "Deployment", "deployment-controller", "v1",
     "Scaled up replica set {rs} to {n}"),
)
WARNING_TEMPLATES: tuple[Template, ...] = (
    ("Warning", "BackOff", "Pod", "kubelet", "v1", "Back-off restarting failed container"),
    ("Warning", "Unhealthy", "Pod", "kubelet", "v1",
     'Readiness probe failed: Get "http://10.42.127.4:8080/actuator/health/liveness": '
     "dial tcp 10.42.127.4:8080: connect: connection refused"),
    ("Warning", "Failed", "Pod", "kubelet", "v1", "Error: ImagePullBackOff"),
    ("Warning", "FailedMount", "Pod", "kubelet", "v1",
     'MountVolume.SetUp failed for volume "secret-volume" : secret "misspelt-secret-name" '
     "not found"),
    ("Warning", "FailedScheduling", "Pod", "default-scheduler", "events.k8s.io/v1",
     "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
     "3 No preemption victims found for incoming pod."),
)
APPS = ("web", "api", "worker", "cart", "checkout", "catalog", "orders", "ui", "assets",
        "redis", "coredns", "metrics")


@dataclass(slots=True)
class Spec:
    """Arguments for one emit, produced by the generator."""

    namespace: str
    reason: str
    message: str
    type: str
    kind: str
    name: str
    api: str
    component: str
    host: str | None


class Generator:
    """Random but plausible events for ``load`` and ``storm``."""

    def __init__(self, rng: random.Random, namespaces: Sequence[str] = DEFAULT_NAMESPACES,
                 warning_ratio: float = 0.2) -> None:
        self.rng = rng
        self.namespaces = list(namespaces) or list(DEFAULT_NAMESPACES)
        self.warning_ratio = warning_ratio
        # a fixed population of workloads per namespace, like a real cluster
        self.workloads: dict[str, list[tuple[str, str, list[str]]]] = {}
        for ns in self.namespaces:
            items = []
            for app in rng.sample(APPS, 4):
                rs = f"{app}-{template_hash(rng)}"
                pods = [f"{rs}-{_suffix(rng)}" for _ in range(6)]
                items.append((app, rs, pods))
            self.workloads[ns] = items
        self.pool = [self.make() for _ in range(512)]

    def next(self) -> Spec:
        """One event; drawn from a pool of varied specs, refreshed as it is used."""
        i = self.rng.randrange(len(self.pool))
        spec = self.pool[i]
        if self.rng.random() < 0.05:
            self.pool[i] = self.make()
        return spec

    def make(self) -> Spec:
        rng = self.rng
        ns = rng.choice(self.namespaces)
        app, rs, pods = rng.choice(self.workloads[ns])
        pod = rng.choice(pods)
        warning = rng.random() < self.warning_ratio
        type_, reason, kind, component, api, tmpl = rng.choice(
            WARNING_TEMPLATES if warning else NORMAL_TEMPLATES)
        node = rng.choice(NODES)
        message = tmpl.format(ns=ns, pod=pod, node=node, img=f"public.ecr.aws/ktui/{app}:1.4",
                              app=app, rs=rs, n=rng.randint(1, 5))
        name = {"Pod": pod, "ReplicaSet": rs, "Deployment": app}.get(kind, pod)
        host = node if component == "kubelet" else None
        return Spec(ns, reason, message, type_, kind, name, api, component, host)


_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(5))


def template_hash(rng: random.Random) -> str:
    """A pod-template-hash as Kubernetes makes one: ``rand.SafeEncodeString`` of an
    FNV-32a sum written in decimal (so only 456789bcdf occur), 8 to 10 characters."""
    return "".join(_ALPHABET[ord(digit) % len(_ALPHABET)]
                   for digit in str(rng.randrange(10**7, 2**32)))


class StormTarget(Protocol):
    """What a storm needs of its cluster (SimCluster implements it): bulk ADDED in one
    store transaction, returning the uids, and one MODIFIED per uid."""

    name: str

    def _emit_specs(self, specs: Sequence[Spec], times: Sequence[float] | None = None
                    ) -> list[str]: ...

    def _repeat_many(self, uids: Iterable[str]) -> int: ...


class StormThread(threading.Thread):
    """Emits at ``rate_per_s`` for ``duration_s`` in ~10 ms batches; some are repeats.

    ``emitted`` counts ADDED, ``repeated`` MODIFIED; ``stop()`` ends it early.
    """

    def __init__(self, cluster: StormTarget, rate_per_s: float, duration_s: float,
                 generator: Generator, repeat_ratio: float = 0.1,
                 stopped: Callable[[], bool] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(name=f"ktui-sim-storm-{cluster.name}", daemon=True)
        self.cluster = cluster
        self.rate = rate_per_s
        self.duration = duration_s
        self.generator = generator
        self.repeat_ratio = repeat_ratio
        self.emitted = 0
        self.repeated = 0
        self._stop_event = threading.Event()
        self._stopped = stopped or (lambda: False)
        self._clock = clock  # paces the storm (a test's clock makes the count exact)

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        start = self._clock()
        end = start + self.duration
        recent: list[str] = []
        done = 0
        while not self._stop_event.is_set() and not self._stopped():
            now = self._clock()
            if now >= end:
                break
            due = int(self.rate * (now - start)) - done
            # at most 50 ms worth per batch: a storm the CPU cannot sustain falls behind
            # (``emitted`` tells by how much) instead of ending in one giant late batch
            cap = max(1, int(self.rate * 0.05))
            if due > cap:
                done += due - cap
                due = cap
            if due > 0:
                n_rep = int(due * self.repeat_ratio) if recent else 0
                specs = [self.generator.next() for _ in range(due - n_rep)]
                uids = self.cluster._emit_specs(specs)
                reps = [self.generator.rng.choice(recent) for _ in range(n_rep)]
                self.repeated += self.cluster._repeat_many(reps)
                recent = (recent + uids)[-500:]
                self.emitted += len(uids)
                done += due
            self._stop_event.wait(0.01)
