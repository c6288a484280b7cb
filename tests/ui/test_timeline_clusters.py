"""The TUI's merged window reads OpenSearch as ``ktui events --since`` does (issue 11): a
context's documents are filtered by ``clusterName`` only when ``[clusters]`` in
settings.toml names one for that context. Against the simulated cluster and osmem-server
holding older copies of live events, events the cluster deleted, and another cluster's
documents."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opensearchpy import OpenSearch

from ktui.config import Settings
from ktui.explorer.history import HistorySession
from ktui.explorer.timeline_store import TimelineStore
from ktui.kube.catalog import KubeCatalog
from ktui.model.timerange import TimeRange
from ktui.opensearch.source import HistorySource, OpenSearchConfig
from ktui.sim import SimCluster
from ktui.sim.exporter import index_documents
from ktui.ui.app import KtuiApp
from tests.opensearch.test_events_timeline import exporter_doc
from tests.ui.conftest import NOW, fixed_clock, loaded, wait_for

WINDOW = TimeRange.between(NOW - 3600, NOW)  # absolute: the cluster's times are NOW's


@dataclass
class Indexed:
    url: str
    index: str
    live: set[str]  # the cluster's uids in the window
    gone: set[str]  # eks-demo documents of events the cluster deleted
    other: set[str]  # another cluster's documents


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, OpenSearch]]:
    from osmem_server import OsmemServer

    osmem = OsmemServer.start(japanese=False)
    try:
        yield osmem.url, OpenSearch(hosts=[osmem.url], timeout=120)
    finally:
        osmem.close()


def _copy(obj: dict[str, Any], uid: str, seconds_ago: float) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - seconds_ago))
    meta = {**obj["metadata"], "uid": uid, "name": f"{uid}.1", "resourceVersion": "1"}
    return {**obj, "metadata": meta, "lastTimestamp": stamp, "firstTimestamp": stamp,
            "eventTime": None, "series": None, "count": 1}


@pytest.fixture
def indexed(server: tuple[str, OpenSearch], clusters: list[SimCluster]) -> Indexed:
    url, client = server
    sim = clusters[0]
    objects = [o for o in sim.events() if o["metadata"]["namespace"] == "test"]
    live = {o["metadata"]["uid"] for o in sim.events()}
    docs = [exporter_doc({**o, "count": 1, "metadata": {**o["metadata"],
                                                         "resourceVersion": "1"}}, "eks-demo")
            for o in objects[:5]]
    gone = {f"gone-{i}" for i in range(3)}
    docs += [exporter_doc(_copy(objects[0], uid, 900 + i), "eks-demo")
             for i, uid in enumerate(sorted(gone))]
    other = {f"other-{i}" for i in range(4)}
    docs += [exporter_doc(_copy(objects[0], uid, 1200 + i), "other")
             for i, uid in enumerate(sorted(other))]
    prefix = f"tlc-{os.getpid()}-{time.monotonic_ns()}-"
    index_documents(client, docs, "single", prefix=prefix, use_event_id=True)
    client.indices.refresh(index=prefix + "*")
    return Indexed(url, prefix + "*", live, gone, other)


@pytest.fixture
def make_app(kubeconfig: str, indexed: Indexed) -> Callable[[Settings], KtuiApp]:
    def make(settings: Settings) -> KtuiApp:
        config = OpenSearchConfig(url=indexed.url, index=indexed.index)
        session = HistorySession(lambda: HistorySource(config))
        session.time_range = WINDOW
        return KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session,
                       settings=settings)

    return make


def merged_uids(app: KtuiApp) -> set[str] | None:
    store = app.explorer.table.store
    if not isinstance(store, TimelineStore):
        return None
    return {event.uid for event in store.visible}


@pytest.mark.parametrize("named", [True, False], ids=["clusters-names-it", "no-clusters"])
async def test_clusters_in_settings_filter_the_merged_window(
    make_app: Callable[[Settings], KtuiApp], clusters: list[SimCluster], indexed: Indexed,
    named: bool,
) -> None:
    """Before: the other cluster's documents showed (as expired rows) even with
    ``[clusters]`` naming this context's cluster."""
    settings = Settings(clusters={"demo": "eks-demo"} if named else {})
    app = make_app(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("h")
        await wait_for(pilot, lambda: merged_uids(app) is not None, timeout=30)
        live_store = app.explorer.live.store
        assert live_store is not None
        in_window = {e.uid for e in live_store.all_events if e.time >= NOW - 3600}
        want = in_window | indexed.gone | (set() if named else indexed.other)
        assert merged_uids(app) == want
        session = app.explorer.history.session
        assert session.total == 5 + len(indexed.gone) + (0 if named else len(indexed.other))
        # the filter bar shows the user's filter, not the cluster's
        assert "eks-demo" not in app.explorer.query_state.describe()
        await pilot.press("q")
