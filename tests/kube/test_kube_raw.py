"""The raw object of every event a KubeSource lists and watches comes back as the server
sent it, and the events of one stream share compressed blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ktui.model.rawblock import BLOCK
from ktui.sim import SimCluster
from tests.kube.test_kube_watch import (
    Consumer,
    churn,
    cluster,
    consumer,
    kubeconfig,
    settle,
    wait_for,
)

__all__ = ["cluster", "consumer", "kubeconfig"]  # the fixtures, used by name


def body(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without its type (list items have none, watch objects have it)."""
    return {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}


def test_listed_and_watched_events_keep_their_raw_objects_in_shared_blocks(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    c = consumer()
    settle(c, cluster)
    churn(cluster)  # watch lines: added, modified, deleted
    settle(c, cluster)
    with c._lock:
        events = list(c.mirror.events.values())
    for event in events:
        truth = cluster.get(event.uid)
        if truth is not None:
            assert body(event.raw) == body(truth)
        else:  # expired: its raw is the object the DELETED line carried
            assert event.raw["metadata"]["uid"] == event.uid
    blocks = {id(event.raw_block) for event in events}
    assert len(events) > 1200 and len(blocks) <= len(events) // BLOCK + 30


def test_listed_events_come_untracked_and_the_collector_runs_after_the_list(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    import gc

    was = gc.isenabled()
    gc.enable()
    try:
        c = consumer()
        settle(c, cluster)
        with c._lock:
            events = list(c.mirror.events.values())
        # out of the cycle collector's sight from the list thread on (ktui.model.untrack)
        assert events and not any(map(gc.is_tracked, events))
        assert gc.isenabled()  # each page's pause of the collector ended
    finally:
        if not was:
            gc.disable()


def test_the_raw_objects_of_a_list_are_compressed_once_it_is_handed_over(
    cluster: SimCluster, consumer: Callable[..., Consumer]
) -> None:
    # The lister holds its full blocks uncompressed while the pages stream in
    # (RawPacker.hold) and the source seals them after the hand-over: none stays that way.
    c = consumer()
    settle(c, cluster)

    def full_blocks_sealed() -> bool:
        with c._lock:
            events = list(c.mirror.events.values())
        blocks = {id(e.raw_block): e.raw_block for e in events if e.raw_block is not None}
        full = [block for block in blocks.values() if len(block) == BLOCK]
        return len(full) >= len(events) // BLOCK - 1 and all(b.sealed for b in full)

    wait_for(full_blocks_sealed)
