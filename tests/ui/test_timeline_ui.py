"""A history window that reaches now shows the live events merged in (issue 11), in the
real app against a simulated cluster, with the local archive as the history store.

The archive holds older versions of some of the cluster's events, events the cluster has
deleted since (TTL), and one from before the window. The cluster's clock and the app's
are pinned to NOW, so "the window reaches now" is exact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from ktui import paths
from ktui.archive import ArchiveWriter
from ktui.cli.ui_cmd import archive_history
from ktui.explorer.history import HistorySession
from ktui.explorer.timeline_store import TimelineStore
from ktui.kube.catalog import KubeCatalog
from ktui.model.event import Event, ObjectRef, from_core_v1
from ktui.model.timerange import TimeRange
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from tests.ui.conftest import NOW, fixed_clock, loaded, wait_for

WINDOW = TimeRange.between(NOW - 3600, NOW)  # absolute: the cluster's times are NOW's


@dataclasses.dataclass
class Archived:
    older: dict[str, Event]  # uid -> an older version of a live event
    expired: set[str]  # deleted by the cluster, known only to the archive
    before: str  # an archived event from before the window


@pytest.fixture
def archived(clusters: list[SimCluster]) -> Archived:
    sim = clusters[0]
    live = [from_core_v1(obj, context=sim.name) for obj in sim.events()]
    recent = [e for e in live if e.time >= NOW - 3600]
    assert len(recent) >= 5
    older = {e.uid: dataclasses.replace(e, count=1, time=e.time - 30, resource_version="1")
             for e in recent[:4]}
    gone = [Event(uid=f"gone-{i}", namespace="test", type="Warning", reason="BackOff",
                  message=f"gone {i}", object=ObjectRef("Pod", f"old-{i}", "test"),
                  name=f"old-{i}.1", context=sim.name, time=NOW - 600 - i,
                  first_seen=NOW - 900, resource_version=str(10 + i)) for i in range(3)]
    before = Event(uid="before", namespace="test", reason="Pulled", name="b.1",
                   context=sim.name, time=NOW - 3 * 3600, resource_version="9")
    writer = ArchiveWriter(paths.archive_file(), retention=None, max_size=None).start()
    recorder = writer.recorder(sim.url, sim.name)
    recorder.changes(upserts=[*older.values(), *gone, before])
    recorder.changes(deleted=gone)
    assert writer.flush(30)
    writer.close()
    return Archived(older, {e.uid for e in gone}, before.uid)


@pytest.fixture
def make_timeline_app(kubeconfig: str, archived: Archived) -> Callable[..., KtuiApp]:
    def make(sync_limit: int | None = None) -> KtuiApp:
        session = HistorySession(None, store="archive", for_context=archive_history(kubeconfig))
        session.time_range = WINDOW
        app = KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session)
        if sync_limit is not None:
            app.explorer.history.sync_limit = sync_limit
        return app

    return make


def merged(app: KtuiApp) -> TimelineStore | None:
    store = app.explorer.table.store
    return store if isinstance(store, TimelineStore) else None


def row_text(app: KtuiApp, uid: str) -> str:
    table = app.explorer.table
    for row in range(table.row_count):
        event = table.event_at(row)
        if event is not None and event.uid == uid:
            table.scroll_to(y=max(row - 2, 0), animate=False)
            return table.render_line(row - int(table.scroll_y) + 1).text
    raise AssertionError(f"{uid} is not in the table")


async def test_a_window_reaching_now_merges_the_live_events(
    make_timeline_app: Callable[..., KtuiApp], clusters: list[SimCluster], archived: Archived
) -> None:
    sim = clusters[0]
    app = make_timeline_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, sim))
        await pilot.press("h")
        await wait_for(pilot, lambda: merged(app) is not None, timeout=30)
        store = merged(app)
        assert store is not None
        live_store = app.explorer.live.store
        assert live_store is not None
        in_window = {e.uid for e in live_store.all_events if e.time >= NOW - 3600}
        uids = [e.uid for e in store.visible]
        assert len(uids) == len(set(uids))  # one row per event
        assert set(uids) == in_window | archived.expired
        assert archived.before not in uids
        assert store.live_uids == in_window
        for uid in in_window:  # the live version, not the archived older one
            assert store.get(uid) is live_store.get(uid)
        for uid in archived.expired:
            event = store.get(uid)
            assert event is not None and event.expired and not store.is_live(event)
        times = [e.time for e in store.visible]
        assert times == sorted(times)
        header = app.explorer.header.state
        assert header.live == len(in_window) and header.scope.endswith("archive + live")
        shown = len(in_window) + len(archived.expired)
        assert (f"{shown:,} of {shown:,} · • {len(in_window):,} live · "
                f"{len(archived.expired):,} history only · ") in str(app.explorer.header.render())
        # the live rows carry a dot before their age; the archive-only ones do not
        live_uid = next(iter(archived.older))
        assert "•" in row_text(app, live_uid).split()[0]
        assert "•" not in row_text(app, next(iter(archived.expired)))

        # A new event in the cluster joins the merged window.
        new = sim.emit("test", "Created", "while merged", name="newcomer", time=NOW)
        uid = new["metadata"]["uid"]
        await wait_for(pilot, lambda: (store.get(uid) is not None and store.is_live(
            store.get(uid))))  # type: ignore[arg-type]
        assert app.explorer.header.state.live == len(in_window) + 1

        # Stepping back leaves live behind; stepping forward to now brings it back.
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: merged(app) is None
                       and app.explorer.history.session.loading_since is None, timeout=30)
        assert app.explorer.header.state.live == 0
        assert "+ live" not in app.explorer.header.state.scope
        shown = app.explorer.table.store
        assert shown is app.explorer.history.session.store  # the archive's events alone
        assert {e.uid for e in shown.visible} <= (  # type: ignore[union-attr]
            set(archived.older) | archived.expired | {archived.before})
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: merged(app) is not None, timeout=30)
        # h toggles pure live and history
        await pilot.press("h")
        assert app.explorer.mode == "live" and merged(app) is None
        await pilot.press("h")
        await wait_for(pilot, lambda: merged(app) is not None, timeout=30)
        await pilot.press("q")


async def test_a_large_merge_runs_in_a_thread_and_the_filter_applies(
    make_timeline_app: Callable[..., KtuiApp], clusters: list[SimCluster], archived: Archived
) -> None:
    sim = clusters[0]
    app = make_timeline_app(sync_limit=0)  # every merge in the background
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, sim))
        await pilot.press("w", "h")
        await wait_for(pilot, lambda: merged(app) is not None, timeout=30)
        store = merged(app)
        assert store is not None
        assert store.visible and all(e.type == "Warning" for e in store.visible)
        live_store = app.explorer.live.store
        assert live_store is not None
        want = {e.uid for e in live_store.all_events
                if e.time >= NOW - 3600 and e.type == "Warning"} | archived.expired
        assert {e.uid for e in store.visible} == want
        counts = app.explorer.history.counts()
        assert counts.total >= len(want)
        histogram = app.explorer.sparkline.histogram
        assert histogram is not None and sum(histogram.warning) == len(want)
        await pilot.press("q")
