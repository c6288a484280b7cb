"""The live source against what a server should never send, and against a watch window
too short for its lists: it skips and counts what is not an event, never dies of the
unexpected, and gets the state back with at most one relist."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.feeds.status import State
from ktui.kube.auth import Credentials
from ktui.kube.backoff import Pause
from ktui.kube.kubeconfig import load, resolve
from ktui.kube.source import KubeSource
from ktui.kube.transport import Connection
from ktui.kube.watch import Worker
from ktui.model.event import Event
from ktui.sim import SimCluster, write_kubeconfig
from ktui.sim.apiserver.faults import ODD_LIST_ITEMS, ODD_WATCH_LINES
from tests.fixtures.clock import ManualClock
from tests.kube.test_kube_watch import FAST, Consumer, churn, settle, wait_for


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    sim = SimCluster(name="sim", scenario="empty", seed=5, bookmark_interval=0.3)
    sim.load(700, namespaces=["test", "other"])
    sim.start()
    yield sim
    sim.stop()


def consumer_of(cluster: SimCluster, tmp_path: Path, **options: object) -> Consumer:
    path = write_kubeconfig(tmp_path / "kc", [cluster])
    options.setdefault("settings", FAST)
    return Consumer(KubeSource(kubeconfig=str(path), seed=1, **options))  # type: ignore[arg-type]


# -- what is not an event -------------------------------------------------------------


def test_watch_lines_whose_object_is_not_an_object_are_skipped_and_counted(
    cluster: SimCluster, tmp_path: Path
) -> None:
    """Before: `{"type":"MODIFIED","object":null}` killed the feed for good."""
    cluster.faults.odd_watch_lines(times=2)  # the first watch, and the one after a cut
    c = consumer_of(cluster, tmp_path)
    try:
        settle(c, cluster)
        churn(cluster)
        settle(c, cluster)
        cluster.restart()
        churn(cluster)
        settle(c, cluster)
        assert cluster.faults.fired["odd_watch_lines"] == 2
        assert c.source.skipped == 2 * len(ODD_WATCH_LINES)
        assert c.state == State.WATCHING and c.mirror.resets == 0
    finally:
        c.close()


def test_list_items_that_are_not_objects_are_skipped_and_counted(
    cluster: SimCluster, tmp_path: Path
) -> None:
    """Before: a null item in a list page killed the feed (and `ktui events`)."""
    cluster.faults.odd_list_items(times=1)
    c = consumer_of(cluster, tmp_path)
    try:
        settle(c, cluster)
        assert c.source.skipped == len(ODD_LIST_ITEMS)
        churn(cluster)  # the watch moves past the list's rv (it has delivered)...
        settle(c, cluster)
        # Armed only now: a watch reconnecting before it delivered would take the state
        # by watching (no list), whatever the load makes of the timing.
        cluster.faults.odd_list_items(times=1)
        cluster.faults.gone_next_watch()
        cluster.restart()  # ...and resumes too old: a relist, which meets odd items too
        wait_for(lambda: c.mirror.resets == 1)
        settle(c, cluster)
        assert c.source.skipped == 2 * len(ODD_LIST_ITEMS) and c.source.relists == 1
    finally:
        c.close()


def test_an_unexpected_exception_in_a_watch_is_a_reconnect_then_a_relist(
    cluster: SimCluster, tmp_path: Path
) -> None:
    """Before: it ended the worker's thread (with several namespaces, silently). The
    exception here is the consumer's (its apply fails once): anything the source did not
    foresee goes the same way."""
    resolved = resolve(load(str(write_kubeconfig(tmp_path / "kc", [cluster]))))
    conn = Connection(resolved, Credentials(resolved))
    held: dict[str, Event] = {}
    texts: list[str] = []
    failures = [RuntimeError("the consumer tripped")]

    def apply(worker: object, upserts: list[Event], deleted: list[Event], reset: bool) -> None:
        if failures and not reset:
            raise failures.pop()
        if reset:
            held.clear()
        for event in [*upserts, *deleted]:
            held[event.uid] = event

    stop = threading.Event()
    clock = ManualClock()
    worker = Worker(
        conn, namespace=None, apis=["v1"], context="sim", field_selector="", keep_raw=False,
        settings=FAST, stop=stop, apply=apply, report=lambda w, s, text, *a: texts.append(text),
        rng=random.Random(1), pause=Pause(clock),
    )  # fmt: skip
    thread = threading.Thread(target=worker.follow, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(held) == 700)
        churn(cluster)  # the first change meets the failing apply
        wait_for(lambda: "relisting (after an unexpected error)" in texts)
        wait_for(lambda: {u: e.resource_version for u, e in held.items() if not e.expired}
                 == {e["metadata"]["uid"]: e["metadata"]["resourceVersion"]
                     for e in cluster.events()})
        assert "reconnecting (unexpected error: RuntimeError: the consumer tripped)" in texts
        assert len(clock.waits) == 1 and clock.waits[0] <= FAST.backoff_initial
        assert thread.is_alive()
    finally:
        stop.set()
        conn.interrupt()
        thread.join(5)


# -- a watch window shorter than a list ------------------------------------------------


@pytest.mark.parametrize("streaming", ["on", "off", "ignored"])
def test_a_410_right_after_the_list_takes_the_state_by_watching(
    tmp_path: Path, streaming: str
) -> None:
    """Before: it listed again, which under a storm met the same 410, for ever. Now the
    state comes from a watch: a streaming list where the server has one (ended by the
    annotated bookmark), else a watch without resourceVersion (ended by the first
    bookmark); it replaces what the consumer held, as a relist does."""
    sim = SimCluster(name="sim", scenario="empty", seed=5, bookmark_interval=0.3,
                     streaming_list=streaming)
    sim.load(700, namespaces=["test", "other"])
    with sim:
        sim.faults.gone_next_watch()  # the list's rv is already out of the window
        c = consumer_of(sim, tmp_path)
        try:
            settle(c, sim)
            # the source counts the resync before the consumer has drained its batch
            wait_for(lambda: c.source.resyncs == 1 and c.mirror.resets == 1)
            assert c.source.relists == 0
            assert any(t.startswith("relisting by watching") for t in c.texts())
            assert c.state == State.WATCHING
            churn(sim)  # and the same stream goes on
            settle(c, sim)
            assert c.mirror.resets == 1
        finally:
            c.close()


def test_a_relist_whose_watch_meets_410_is_the_only_relist(
    cluster: SimCluster, tmp_path: Path
) -> None:
    c = consumer_of(cluster, tmp_path)
    try:
        settle(c, cluster)
        churn(cluster)
        settle(c, cluster)
        cluster.faults.gone_next_watch()  # the resume: relist
        cluster.faults.gone_next_watch()  # the relist's watch: by watching, not again
        cluster.restart()
        wait_for(lambda: c.source.resyncs == 1)
        settle(c, cluster)
        assert c.source.relists == 1  # (its reset and the resync's may reach the consumer as one)
        churn(cluster)
        settle(c, cluster)
    finally:
        c.close()
