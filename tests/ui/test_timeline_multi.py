"""The TUI's merged window with several contexts (issues 11 and 13): ``h`` over a context
set reads each context's history (its archive by its cluster's server URL, or OpenSearch
filtered by its cluster name, as ``ktui events --history --context a,b`` does) and merges
each context's live events in. Two simulated clusters, their clocks pinned to NOW."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch

from ktui import paths
from ktui.archive import ArchiveWriter
from ktui.cli.ui_cmd import archive_history
from ktui.config import Settings
from ktui.explorer.history import HistorySession
from ktui.explorer.timeline_store import TimelineStore
from ktui.kube.catalog import KubeCatalog
from ktui.model.event import Event, ObjectRef, from_core_v1
from ktui.model.query import parse_query
from ktui.model.timerange import TimeRange
from ktui.opensearch.source import HistorySource, OpenSearchConfig
from ktui.sim import SimCluster
from ktui.sim.exporter import index_documents
from ktui.ui.app import KtuiApp
from tests.opensearch.test_events_timeline import exporter_doc
from tests.ui.conftest import NOW, fixed_clock, wait_for

WINDOW = TimeRange.between(NOW - 3600, NOW)
CONTEXTS = "demo,prod-eu-west-1"


def gone_events(sim: SimCluster) -> list[Event]:
    """Events only the history has (the cluster deleted them), labelled with the context."""
    return [Event(uid=f"gone-{sim.name}-{i}", namespace="test", type="Warning",
                  reason="BackOff", message=f"gone {i}", object=ObjectRef("Pod", f"o-{i}", "test"),
                  name=f"o-{i}.1", context=sim.name, time=NOW - 600 - i, first_seen=NOW - 900,
                  resource_version=str(10 + i)) for i in range(3)]


def live_in_window(sim: SimCluster) -> dict[str, Event]:
    events = (from_core_v1(o, context=sim.name) for o in sim.events())
    return {e.uid: e for e in events if e.time >= NOW - 3600}


def merged(app: KtuiApp) -> TimelineStore | None:
    store = app.explorer.table.store
    return store if isinstance(store, TimelineStore) else None


async def both_listed(pilot: object, app: KtuiApp, clusters: list[SimCluster],
                      failing: bool = False) -> None:
    want = sum(len(c.events()) for c in clusters)
    live = app.explorer.live
    await wait_for(pilot, lambda: (live.settled if failing else live.listed)
                   and live.store is not None and len(live.store) == want, timeout=30)


async def check_merged(pilot: object, app: KtuiApp, clusters: list[SimCluster],
                       gone: dict[str, list[Event]]) -> TimelineStore:
    await pilot.press("h")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: merged(app) is not None, timeout=30)
    store = merged(app)
    assert store is not None
    live = {c.name: live_in_window(c) for c in clusters}
    want = {(name, uid) for name, events in live.items() for uid in events}
    want |= {(e.context, e.uid) for events in gone.values() for e in events}
    shown = [(e.context, e.uid) for e in store.visible]
    assert len(shown) == len(set(shown))
    assert set(shown) == want
    for events in gone.values():  # history only: each in its own context, expired
        for event in events:
            got = store.get(event.uid)
            assert got is not None and got.expired and not store.is_live(got)
    assert store.live_uids == {uid for events in live.values() for uid in events}
    assert app.explorer.header.state.scope.endswith("+ live")
    # the CTX filter applies to the merged rows
    app.explorer.apply_query(parse_query("ctx:prod-eu-west-1"))
    await wait_for(pilot, lambda: (m := merged(app)) is not None and bool(m.visible)
                   and {e.context for e in m.visible} == {"prod-eu-west-1"}, timeout=30)
    return store


@pytest.mark.parametrize("failing", [False, True], ids=["two", "two-and-a-missing-one"])
async def test_each_contexts_archive_and_live_events_in_one_window(
    kubeconfig: str, clusters: list[SimCluster], failing: bool
) -> None:
    """Before: only the first context's archive was read; the other's history was lost.
    A context that fails (here: missing from the kubeconfig) holds nothing back."""
    gone = {sim.name: gone_events(sim) for sim in clusters}
    writer = ArchiveWriter(paths.archive_file(), retention=None, max_size=None).start()
    for sim in clusters:
        recorder = writer.recorder(sim.url, sim.name)
        older = [dataclasses.replace(e, count=1, time=e.time - 30, resource_version="1")
                 for e in list(live_in_window(sim).values())[:3]]
        recorder.changes(upserts=[*older, *gone[sim.name]])
        recorder.changes(deleted=gone[sim.name])
    assert writer.flush(30)
    writer.close()
    session = HistorySession(None, store="archive", for_context=archive_history(kubeconfig))
    session.time_range = WINDOW
    app = KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session,
                  settings=Settings(), context=CONTEXTS + (",nowhere" if failing else ""))
    async with app.run_test(size=(160, 48)) as pilot:
        await both_listed(pilot, app, clusters, failing)
        await check_merged(pilot, app, clusters, gone)
        if failing:
            assert "nowhere ✗" in app.explorer.header.state.state
        await pilot.press("q")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, OpenSearch]]:
    from osmem_server import OsmemServer

    osmem = OsmemServer.start(japanese=False)
    try:
        yield osmem.url, OpenSearch(hosts=[osmem.url], timeout=120)
    finally:
        osmem.close()


def _doc(event: Event, cluster: str) -> dict[str, object]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.time))
    return exporter_doc({
        "metadata": {"uid": event.uid, "name": event.name, "namespace": event.namespace,
                     "resourceVersion": event.resource_version},
        "type": event.type, "reason": event.reason, "message": event.message,
        "involvedObject": {"kind": "Pod", "name": event.object.name, "namespace": "test"},
        "count": 1, "firstTimestamp": stamp, "lastTimestamp": stamp,
    }, cluster)


async def test_opensearch_is_filtered_by_each_contexts_cluster_name(
    kubeconfig: str, clusters: list[SimCluster], server: tuple[str, OpenSearch]
) -> None:
    """demo's documents carry the clusterName [clusters] names, prod-eu-west-1's the
    kubeconfig's cluster name; a third cluster's documents are no context's."""
    url, client = server
    gone = {sim.name: gone_events(sim) for sim in clusters}
    names = {"demo": "eks-demo", "prod-eu-west-1": "prod-eu-west-1"}
    docs = [_doc(e, names[context]) for context, events in gone.items() for e in events]
    docs += [_doc(dataclasses.replace(e, uid=f"other-{i}"), "other")
             for i, e in enumerate(gone["demo"])]
    prefix = f"tlm-{os.getpid()}-{time.monotonic_ns()}-"
    index_documents(client, docs, "single", prefix=prefix, use_event_id=True)
    client.indices.refresh(index=prefix + "*")
    config = OpenSearchConfig(url=url, index=prefix + "*")
    session = HistorySession(lambda: HistorySource(config))
    session.time_range = WINDOW
    app = KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session,
                  settings=Settings(clusters={"demo": "eks-demo"}), context=CONTEXTS)
    async with app.run_test(size=(160, 48)) as pilot:
        await both_listed(pilot, app, clusters)
        await check_merged(pilot, app, clusters, gone)
        await pilot.press("q")
