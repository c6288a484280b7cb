"""What scenarios and trickles need of a cluster: the small part of
:class:`ktui.sim.cluster.SimCluster` they write through. They are written against this
protocol so that events/ never imports the cluster that runs them."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ktui.sim.apiserver.store import Store
from ktui.sim.apiserver.workloads import Workloads


class Cluster(Protocol):
    """A simulated cluster as scenarios see it (SimCluster implements it)."""

    name: str
    rng: random.Random
    store: Store
    workloads: Workloads
    now: Callable[[], float]

    def emit(self, namespace: str, reason: str, message: str, type: str = ...,
             kind: str = ..., name: str = ..., api: str = ..., component: str = ...,
             host: str | None = ..., time: float | None = ..., *, count: int = ...,
             first_time: float | None = ..., field_path: str | None = ...,
             object_api_version: str | None = ..., object_namespace: str | None = ...,
             reporting_instance: str | None = ..., action: str | None = ...,
             related: dict[str, Any] | None = ...) -> dict[str, Any]: ...

    def emit_raw(self, obj: Mapping[str, Any]) -> dict[str, Any]: ...

    def repeat(self, uid: str, n: int = ..., time: float | None = ...) -> dict[str, Any]: ...

    def load(self, n: int, namespaces: Sequence[str] = ..., span_s: float = ...,
             warning_ratio: float = ...) -> None: ...

    def add_background(self, fn: Background) -> None: ...


# run as fn(cluster, stop) in a thread while the cluster serves (see add_background)
Background = Callable[[Cluster, threading.Event], None]
