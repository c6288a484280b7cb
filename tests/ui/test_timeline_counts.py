"""The merged window's sidebar counts, totals and sparkline are the union by uid (issue 11):
an event both in history and live counts once, whatever page of history holds it.

The archive holds more than one page of the window (PAGE_SIZE events a page): filler
events the cluster has deleted, newer than everything else, fill the first page; older
versions of live events sit on the second. Before, the feed added every live event to
history's own aggregations and subtracted only the loaded page's copies: the live events
whose copies were on an unloaded page counted twice.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

import pytest

from ktui import paths
from ktui.archive import ArchiveWriter
from ktui.cli.ui_cmd import archive_history
from ktui.config import Settings
from ktui.explorer.history import PAGE_SIZE, HistorySession
from ktui.explorer.timeline_store import TimelineStore
from ktui.kube.catalog import KubeCatalog
from ktui.model.event import Event, ObjectRef, from_core_v1
from ktui.model.query import parse_query
from ktui.model.timerange import TimeRange
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from tests.ui.conftest import NOW, fixed_clock, loaded, wait_for

WINDOW = TimeRange.between(NOW - 3600, NOW)
FILLER = PAGE_SIZE + 100


@dataclasses.dataclass
class World:
    live: list[Event]  # the cluster's events in the window
    filler: list[Event]  # only in the archive (deleted by the cluster)
    copies: set[str]  # live uids with an older copy in the archive, on the second page


@pytest.fixture
def world(clusters: list[SimCluster]) -> World:
    sim = clusters[0]
    live = [e for e in (from_core_v1(o, context=sim.name) for o in sim.events())
            if e.time >= NOW - 3600]
    assert len(live) >= 10
    copies = [dataclasses.replace(e, count=1, time=NOW - 3300, first_seen=NOW - 3300,
                                  resource_version="1") for e in live[:10]]
    filler = [Event(uid=f"filler-{i}", namespace=("test", "payments")[i % 2],
                    type=("Normal", "Warning")[i % 3 == 0], reason="BackOff",
                    message=f"filler {i}", object=ObjectRef("Pod", f"f-{i}", "test"),
                    name=f"f-{i}.1", context=sim.name, time=NOW - 1800 + i,
                    first_seen=NOW - 1800, resource_version=str(100 + i))
              for i in range(FILLER)]
    writer = ArchiveWriter(paths.archive_file(), retention=None, max_size=None).start()
    recorder = writer.recorder(sim.url, sim.name)
    recorder.changes(upserts=[*copies, *filler])
    recorder.changes(deleted=filler)
    assert writer.flush(60)
    writer.close()
    return World(live, filler, {e.uid for e in copies})


@pytest.fixture
def make_app(kubeconfig: str, world: World) -> Callable[[], KtuiApp]:
    def make() -> KtuiApp:
        session = HistorySession(None, store="archive", for_context=archive_history(kubeconfig))
        session.time_range = WINDOW
        return KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session,
                       settings=Settings())

    return make


def union(world: World, keep: Callable[[Event], bool]) -> list[Event]:
    return [e for e in (*world.live, *world.filler) if keep(e)]


async def settled(pilot: object, app: KtuiApp, want: list[Event]) -> None:
    """Wait until the merged window counts ``want``; else fail with what it counts."""
    feed = app.explorer.history

    def exact() -> bool:
        store = app.explorer.table.store
        if not isinstance(store, TimelineStore):
            return False
        histogram = feed.histogram(60, NOW)
        return (feed.counts().total == len(want) and histogram is not None
                and sum(histogram.normal) + sum(histogram.warning) == len(want))

    try:
        await wait_for(pilot, exact, timeout=30)
    except AssertionError:
        histogram = feed.histogram(60, NOW)
        drawn = sum(histogram.normal) + sum(histogram.warning) if histogram else None
        raise AssertionError(f"the union has {len(want)} events; the feed counts "
                             f"{feed.counts().total}, the sparkline {drawn}") from None


async def test_an_event_in_history_and_live_counts_once(
    make_app: Callable[[], KtuiApp], clusters: list[SimCluster], world: World
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("h")
        want = union(world, lambda e: True)
        await settled(pilot, app, want)
        feed = app.explorer.history
        counts = feed.counts()
        by_namespace = Counter(e.namespace for e in want)
        assert {ns: c.total for ns, c in counts.namespaces.items()} == dict(by_namespace)
        warnings = Counter(e.namespace for e in want if e.type == "Warning")
        assert {ns: c.warnings for ns, c in counts.namespaces.items() if c.warnings} == \
            dict(warnings)
        assert counts.warnings == sum(warnings.values())
        summary = feed.summary()
        assert summary.total == len(want) and summary.warnings == sum(warnings.values())
        histogram = feed.histogram(60, NOW)
        assert histogram is not None
        assert sum(histogram.warning) == sum(warnings.values())
        # every bucket holds its events once, at the time the table shows them
        for event in want:
            assert histogram.bucket_of(event.time) is not None
        expected = Counter(histogram.bucket_of(e.time) for e in want)
        drawn = Counter({i: n + w for i, (n, w) in
                         enumerate(zip(histogram.normal, histogram.warning, strict=True)) if n + w})
        assert drawn == expected
        await pilot.press("q")


@pytest.mark.parametrize("how", ["query", "key"])
async def test_with_a_type_filter_the_counts_are_the_filtered_union(
    make_app: Callable[[], KtuiApp], clusters: list[SimCluster], world: World, how: str
) -> None:
    """The sidebar counted every live event of the window, whatever the filter."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        if how == "query":
            app.explorer.apply_query(parse_query("type:Warning"))
        else:
            await pilot.press("w")
        await pilot.press("h")
        want = union(world, lambda e: e.type == "Warning")
        await settled(pilot, app, want)
        counts = app.explorer.history.counts()
        assert {ns: c.total for ns, c in counts.namespaces.items()} == \
            dict(Counter(e.namespace for e in want))
        await pilot.press("q")
