"""What a request handler needs from its cluster: the store, the tokens, the faults, the
clock and the serving options. The server builds one per start; watch.py reads it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ktui.sim.apiserver.auth import TokenTable
from ktui.sim.apiserver.faults import Faults
from ktui.sim.apiserver.store import Store
from ktui.sim.apiserver.workloads import Workloads

_COUNTING = threading.Lock()  # handler threads count at the same time


@dataclass
class Backend:
    """Everything a request handler needs from its cluster."""

    store: Store
    tokens: TokenTable
    faults: Faults
    now: Callable[[], float]
    bookmark_interval: float = 5.0
    default_watch_timeout: float = 1800.0
    stopping: threading.Event = field(default_factory=threading.Event)
    # kube-apiserver's response compression (APIResponseCompression, on by default):
    # bodies of 128 KiB or more are gzipped at level 1 when the client accepts gzip
    gzip: bool = False
    # the streaming list (sendInitialEvents, the WatchList feature): "on" (1.32+), "off"
    # (the feature gate off: such a watch is refused, 422), "ignored" (before 1.27: the
    # parameters are unknown, so the watch is a plain one)
    streaming_list: str = "on"
    counters: dict[str, int] = field(default_factory=dict)  # what was served, for tests
    workloads: Workloads | None = None  # Pods, ReplicaSets... with their ownerReferences

    def count(self, name: str) -> None:
        """One more ``name`` served (``counters``: what tests wait on or check)."""
        with _COUNTING:
            self.counters[name] = self.counters.get(name, 0) + 1
