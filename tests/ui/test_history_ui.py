"""History mode in the TUI, against an OpenSearch-compatible server (osmem-server, or a
real cluster with KTUI_TEST_OPENSEARCH_URL) loaded with exporter documents."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from textual.pilot import Pilot

from ktui.explorer.history import HistorySession
from ktui.kube.catalog import KubeCatalog
from ktui.model.event import from_exporter
from ktui.model.timerange import TimeRange
from ktui.opensearch.source import HistorySource, OpenSearchConfig
from ktui.sim import SimCluster
from ktui.sim.exporter import generate, index_documents
from ktui.ui.app import KtuiApp
from ktui.ui.widgets.event_table import EventTable
from ktui.views.store import SavedView, ViewStore
from tests.opensearch.oracle import stored_documents
from tests.ui.conftest import NOW, SIZES, fixed_clock, loaded, settle, wait_for

DAYS = 2
START = NOW - DAYS * 86400
# Absolute (the data is pinned to NOW) and ending ten minutes before it: history alone. A
# window that reaches now also shows the live events (tests/ui/test_timeline_ui.py).
WINDOW = TimeRange.between(NOW - 6 * 3600 - 600, NOW - 600)


@dataclass
class History:
    url: str
    index: str
    docs: list[dict[str, Any]]
    user: str = ""
    password: str = ""

    def config(self, **overrides: Any) -> OpenSearchConfig:
        config = OpenSearchConfig(url=self.url, index=self.index, user=self.user,
                                  password=self.password)
        return dataclasses.replace(config, **overrides)


@pytest.fixture(scope="module")
def history() -> Iterator[History]:
    docs = generate(1200, days=DAYS, seed=11, start=START)
    url = os.environ.get("KTUI_TEST_OPENSEARCH_URL")
    if url:
        user = os.environ.get("KTUI_TEST_OPENSEARCH_USER", "")
        password = os.environ.get("KTUI_TEST_OPENSEARCH_PASSWORD", "")
        client = OpenSearch(hosts=[url], http_auth=(user, password) if user else None,
                            timeout=120)
        prefix = f"ktui-ui-{uuid.uuid4().hex[:8]}-"
        index_documents(client, docs, "single", prefix=prefix)
        client.indices.refresh(index=prefix + "*")
        try:
            yield History(url, prefix + "eks-kubernetes-events*", docs, user, password)
        finally:
            for name in list(client.indices.get(index=prefix + "*")):
                client.indices.delete(index=name, ignore_unavailable=True)
        return
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    try:
        client = OpenSearch(hosts=[server.url], timeout=120)
        index_documents(client, docs, "single")
        client.indices.refresh(index="eks-kubernetes-events")
        yield History(server.url, "eks-kubernetes-events*", docs)
    finally:
        server.close()


def truth(history: History, time_range: TimeRange, warnings_only: bool = False) -> set[str]:
    start, end = time_range.bounds()
    events = [from_exporter(doc) for doc in stored_documents(history.docs, True)]
    return {
        e.uid for e in events
        if start <= e.time <= end and (not warnings_only or e.type == "Warning")
    }


@pytest.fixture
def make_history_app(
    kubeconfig: str, history: History
) -> Callable[..., KtuiApp]:
    def make(**config: Any) -> KtuiApp:
        source_config = history.config(**config)
        session = HistorySession(lambda: HistorySource(source_config))
        session.time_range = WINDOW
        return KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session)

    return make


def history_loaded(app: KtuiApp) -> Callable[[], bool]:
    return lambda: (app.explorer.mode == "history"
                    and app.explorer.history.session.loading_since is None
                    and app.explorer.history.session.status.state.value in ("watching", "error"))


async def test_h_toggles_history_with_the_same_filter(
    make_history_app: Callable[..., KtuiApp], clusters: list[SimCluster], history: History
) -> None:
    app = make_history_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w", "h")
        await wait_for(pilot, history_loaded(app), timeout=30)
        assert app.explorer.header.state.mode == "HISTORY"
        expected = truth(history, WINDOW, warnings_only=True)
        assert app.explorer.history.session.total == len(expected)
        table = app.query_one(EventTable)
        shown = {table.event_at(r).uid for r in range(table.row_count)}  # type: ignore[union-attr]
        assert shown <= expected and len(shown) == min(len(expected), 500)
        times = [table.event_at(r).time for r in range(table.row_count)]  # type: ignore[union-attr]
        assert times == sorted(times, reverse=True)
        assert app.explorer.sparkline.histogram is not None
        assert sum(app.explorer.sparkline.histogram.warning) == len(expected)
        await pilot.press("h")
        assert app.explorer.mode == "live" and app.explorer.header.state.mode == "LIVE"
        assert app.explorer.query_state.types == {"Warning"}


async def test_scrolling_loads_every_page(
    make_history_app: Callable[..., KtuiApp], clusters: list[SimCluster], history: History
) -> None:
    app = make_history_app()
    whole = TimeRange.between(START, NOW)
    app.explorer.history.session.time_range = whole
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("h")
        await wait_for(pilot, history_loaded(app), timeout=30)
        expected = truth(history, whole)
        assert len(expected) > 1000
        for _ in range(10):
            session = app.explorer.history.session
            if session.cursor is None:  # the last page is in
                break
            before = len(session.store)
            await pilot.press("G")

            def next_page_in(n: int = before) -> bool:
                # the pump saw the cursor at the end, asked for a page and took it
                session = app.explorer.history.session
                return not session.page_loading and (len(session.store) > n
                                                     or session.cursor is None)

            await wait_for(pilot, next_page_in, timeout=30)
        assert {e.uid for e in app.explorer.history.session.store.all_events} == expected


async def test_time_range_keys(
    make_history_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_history_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("h")
        await wait_for(pilot, history_loaded(app), timeout=30)
        start, end = app.explorer.history.session.time_range.bounds()
        await pilot.press("left_square_bracket")
        await wait_for(pilot, history_loaded(app), timeout=30)
        assert app.explorer.history.time_range.bounds() == (start - 3 * 3600, end - 3 * 3600)
        await pilot.press("minus")  # zoom out: 6h -> 24h, same end
        await wait_for(pilot, history_loaded(app), timeout=30)
        new_start, new_end = app.explorer.history.session.time_range.bounds()
        assert new_end == end - 3 * 3600 and new_end - new_start == 24 * 3600
        await pilot.press("T")
        await pilot.pause()
        for _ in range(10):
            await pilot.press("backspace")
        await pilot.press(*"nonsense", "enter")
        assert "duration" in str(app.screen.query_one("#prompt-error").render())
        for _ in range(10):
            await pilot.press("backspace")
        await pilot.press(*"15m", "enter")
        await wait_for(pilot, history_loaded(app), timeout=30)
        assert app.explorer.history.session.time_range.relative == 15 * 60
        assert "last 15m" in app.explorer.header.state.scope


async def test_object_history_from_a_live_event(
    make_history_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_history_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        selected = app.explorer.table.selected
        assert selected is not None
        await pilot.press("H")
        await wait_for(pilot, history_loaded(app), timeout=30)
        assert app.explorer.mode == "history"
        assert f"name:{selected.object.name}" in app.explorer.query_state.text
        assert app.explorer.history.session.time_range.relative == 7 * 86400
        for row in range(app.explorer.table.row_count):
            assert app.explorer.table.event_at(row).object.name == selected.object.name  # type: ignore[union-attr]


async def test_opensearch_down_is_shown_and_live_still_works(
    kubeconfig: str, clusters: list[SimCluster]
) -> None:
    config = OpenSearchConfig(url="http://127.0.0.1:9", request_timeout=2)
    session = HistorySession(lambda: HistorySource(config))
    app = KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("h")
        await wait_for(pilot, history_loaded(app), timeout=30)
        assert app.explorer.history.session.status.state.value == "error"
        assert "⚠" in str(app.explorer.table.empty_message)
        assert app.explorer.header.state.state_is_error
        await pilot.press("h")
        assert app.explorer.mode == "live"
        assert app.explorer.table.row_count == len(clusters[0].events())


async def test_history_unconfigured_says_how(
    kubeconfig: str, clusters: list[SimCluster]
) -> None:
    session = HistorySession(None, "history mode: no OpenSearch URL: set OPENSEARCH_HOST")
    app = KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("h")
        await pilot.pause()
        assert app.explorer.mode == "live"
        assert any("OPENSEARCH_HOST" in str(n.message) for n in app._notifications)


# -- saved views in history mode ---------------------------------------------------------


async def test_a_view_saved_in_history_reopens_in_history_with_its_range(
    make_history_app: Callable[..., KtuiApp], clusters: list[SimCluster], history: History,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path))
    store = ViewStore(tmp_path / "views")
    app = make_history_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w", "h")
        await wait_for(pilot, history_loaded(app), timeout=30)
        await pilot.press("ctrl+s")
        await pilot.press(*"six hours of warnings", "enter")
        await pilot.pause()
        view = store.get("six hours of warnings")
        assert view.mode == "history" and view.types == ("Warning",)
        assert view.time_range is not None and view.time_range.bounds() == WINDOW.bounds()

        # Elsewhere: live, all types. Loading the view goes back to its history window.
        await pilot.press("h", "a")
        assert app.explorer.mode == "live"
        await pilot.press("1")
        await wait_for(pilot, history_loaded(app), timeout=30)
        assert app.explorer.mode == "history" and app.explorer.header.state.mode == "HISTORY"
        assert app.explorer.history.session.time_range.bounds() == WINDOW.bounds()
        assert app.explorer.query_state.types == {"Warning"}
        assert app.explorer.history.session.total == len(truth(history, WINDOW, warnings_only=True))

        # A live view from history mode returns to the live table.
        store.save(SavedView("live backoffs", query="reason~BackOff"))
        await pilot.press("1")  # sorted: "live backoffs" comes first now
        await pilot.pause()
        assert app.explorer.mode == "live" and app.explorer.header.state.mode == "LIVE"
        assert app.explorer.query_state.text == "reason~BackOff"
        table = app.explorer.table
        reasons = {table.event_at(r).reason for r in range(table.row_count)}  # type: ignore[union-attr]
        assert reasons == {"BackOff"}


async def test_a_history_view_without_history_loads_its_filter_live_and_says_why(
    kubeconfig: str, clusters: list[SimCluster], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path))
    ViewStore(tmp_path / "views").save(SavedView(
        "old warnings", mode="history", types=("Warning",), time_range=TimeRange.last("6h")))
    session = HistorySession(None, "history mode: no OpenSearch URL: set OPENSEARCH_HOST")
    app = KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("1")
        await pilot.pause()
        assert app.explorer.mode == "live" and app.explorer.query_state.types == {"Warning"}
        assert any("OPENSEARCH_HOST" in str(n.message) for n in app._notifications)
        warnings = sum(e.get("type") == "Warning" for e in clusters[0].events())
        assert app.explorer.table.row_count == warnings


async def test_start_in_a_history_view(
    kubeconfig: str, clusters: list[SimCluster], history: History
) -> None:
    """``ktui --view NAME`` hands the view to the app: it opens in it."""
    view = SavedView("warnings", mode="history", types=("Warning",), time_range=WINDOW)
    source_config = history.config()
    session = HistorySession(lambda: HistorySource(source_config))
    app = KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, history=session, view=view)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, history_loaded(app), timeout=30)
        assert app.explorer.query_state.types == {"Warning"}
        assert app.explorer.history.session.time_range.bounds() == WINDOW.bounds()
        assert app.explorer.history.session.total == len(truth(history, WINDOW, warnings_only=True))


def history_ready(app: KtuiApp, cluster: SimCluster) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await wait_for(pilot, loaded(app, cluster))
        await pilot.press("h")
        await wait_for(pilot, history_loaded(app), timeout=30)
        await settle(pilot, app)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_history_snapshot(snap_compare: Callable[..., bool],
                          make_history_app: Callable[..., KtuiApp],
                          clusters: list[SimCluster], size: tuple[int, int]) -> None:
    app = make_history_app()
    assert snap_compare(app, terminal_size=size, run_before=history_ready(app, clusters[0]))
