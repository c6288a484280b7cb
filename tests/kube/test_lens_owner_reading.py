"""The live lens reading owners from the simulator (ktui.explorer.grouping.Lens with
ktui.explorer.owner_reading.OwnerFetcher): the first grouping goes by names, the reader's
thread reads ownerReferences, the next regroup uses them; a new connection (a restarted
source) gets a new reader and every object is sent to it again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui.explorer.feed import Mode
from ktui.explorer.grouping import Lens
from ktui.explorer.owner_reading import OwnerFetcher
from ktui.kube.source import KubeSource
from ktui.model.event import from_core_v1
from ktui.model.grouping import OWNER, Group
from ktui.model.store import EventStore
from ktui.sim import Grant, SimCluster, write_kubeconfig

TOKENS = {"admin-token": Grant.all(), "no-pods": Grant(forbidden={"pods"})}


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    with SimCluster(name="shop", scenario="owners", tokens=TOKENS) as sim:
        yield sim


def connected(cluster: SimCluster, tmp_path: Path, token: str = "admin-token") -> KubeSource:
    path = write_kubeconfig(tmp_path / f"kc-{token}-{time.monotonic_ns()}", [cluster],
                            token=token)
    source = KubeSource(kubeconfig=str(path))
    source.connect()
    return source


def store_of(cluster: SimCluster) -> EventStore:
    store = EventStore()
    store.apply(from_core_v1(obj, context="shop") for obj in cluster.events())
    return store


def rows(lens: Lens) -> dict[str, Group]:
    return {g.display: g for g in lens.groups}


def settle(lens: Lens, store: EventStore, fetcher: OwnerFetcher) -> None:
    """Regroup until the reader's thread has nothing left and its answers are taken."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lens.update(store, Mode.LIVE, ("shop",), force=True)
        if fetcher.pending == 0:
            lens.update(store, Mode.LIVE, ("shop",), force=True)
            return
        time.sleep(0.02)
    raise AssertionError("the owner reader never finished")


def test_owners_read_in_a_thread_then_regrouped(cluster: SimCluster, tmp_path: Path) -> None:
    sources: dict[str, Any] = {"shop": connected(cluster, tmp_path)}
    fetcher = OwnerFetcher(sources.get)
    lens = Lens(fetcher)
    lens.set(OWNER)
    store = store_of(cluster)
    assert lens.update(store, Mode.LIVE, ("shop",))
    # nothing read yet: the StatefulSet's and the DaemonSet's Pods are themselves
    assert "pod/db-0" in rows(lens) and "statefulset/db" not in rows(lens)
    settle(lens, store, fetcher)
    found = rows(lens)
    assert found["statefulset/db"].resolved_by == "ownerReferences"
    assert {o.name for o in found["daemonset/log-agent"].objects} == {
        "log-agent-bq9vz", "log-agent-tz6mk", "log-agent-r4vxc"}
    assert "pod/db-0" not in found
    requests = cluster.counters.copy()
    settle(lens, store, fetcher)  # nothing new: nothing read again
    assert cluster.counters == requests

    # the source restarts (a new connection): its reader starts empty, and is asked again
    sources["shop"] = connected(cluster, tmp_path)
    settle(lens, store, fetcher)
    found = rows(lens)
    assert found["statefulset/db"].resolved_by == "ownerReferences"
    assert cluster.counters != requests
    fetcher.stop()


def test_forbidden_pods_fall_back_to_names_without_a_word(
        cluster: SimCluster, tmp_path: Path) -> None:
    fetcher = OwnerFetcher({"shop": connected(cluster, tmp_path, "no-pods")}.get)
    lens = Lens(fetcher)
    lens.set(OWNER)
    store = store_of(cluster)
    settle(lens, store, fetcher)
    found = rows(lens)
    reader = fetcher.reader("shop")
    assert reader is not None and ("pods", "shop") in reader.forbidden
    assert found["deployment/web"].resolved_by == "name"
    assert found["cronjob/report"].resolved_by == "name"
    assert "pod/db-0" in found  # a StatefulSet's Pod is not guessed from its name
    fetcher.stop()


def test_no_source_no_reader(cluster: SimCluster) -> None:
    fetcher = OwnerFetcher(lambda context: None)
    lens = Lens(fetcher)
    lens.set(OWNER)
    assert lens.update(store_of(cluster), Mode.LIVE, ("shop",))
    assert fetcher.reader("shop") is None and fetcher.pending == 0 and fetcher.take() == []
