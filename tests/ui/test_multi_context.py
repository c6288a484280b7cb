"""Several contexts in one table (issue 13), against three simulated API servers: one
healthy, one whose token is rejected, one that forbids the cluster-wide list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.model.query import parse_query
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.ui.app import KtuiApp
from ktui.ui.screens.pickers import ContextPicker
from tests.ui.conftest import SIZES, fixed_clock, settle, wait_for


@pytest.fixture
def three(tmp_path: Path) -> Iterator[tuple[list[SimCluster], str]]:
    east = SimCluster(name="east", scenario="scenario-a,lifecycle", seed=21, now=fixed_clock)
    west = SimCluster(name="west", scenario="lifecycle", seed=22, now=fixed_clock,
                      tokens={"someone-else": Grant.all()})  # admin-token: 401
    north = SimCluster(name="prod-north", scenario="scenario-b,lifecycle", seed=23,
                       now=fixed_clock,
                       tokens={"admin-token": Grant(namespaces={"test"}, groups={""})})
    clusters = [east, west, north]
    for cluster in clusters:
        cluster.start()
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), clusters, token="admin-token", current="east",
                     namespace="test")
    yield clusters, str(path)
    for cluster in clusters:
        cluster.stop()


def _in(cluster: SimCluster, namespace: str | None = None) -> int:
    return sum(namespace is None or e["metadata"]["namespace"] == namespace
               for e in cluster.events())


async def test_three_contexts_in_one_table(three: tuple[list[SimCluster], str]) -> None:
    (east, _west, north), kubeconfig = three
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock,
                  context="east,west,prod-north")
    async with app.run_test(size=(160, 48)) as pilot:
        explorer = app.explorer
        expected = _in(east) + _in(north, "test")

        def settled() -> bool:
            store = explorer.live.store
            state = explorer.header.state.state
            return (store is not None and len(store) == expected
                    and "west ✗ unauthorized" in state and "east ✓" in state
                    and "prod-north ✓" in state)

        await wait_for(pilot, settled, timeout=20)
        # a failing context never stops the others; a production one turns the banner red
        assert not explorer.header.state.state_is_error
        assert explorer.header.state.production
        assert "prod-north" in explorer.header.state.context
        table = explorer.table
        assert "CTX" in table.render_line(0).text
        shown = {table.event_at(r).context for r in range(table.row_count)}  # type: ignore[union-attr]
        assert shown == {"east", "prod-north"}
        assert explorer.live.store is not None
        assert set(explorer.live.store.context_namespaces) == {"east", "prod-north"}
        # the sidebar groups namespaces under their context, with counts
        sidebar = explorer.sidebar
        headings = [context for context, name in sidebar.rows if name is None]
        assert headings == ["east", "prod-north"]
        assert ("prod-north", "test") in sidebar.rows
        north_line = next(sidebar.render_line(y).text for y in range(1, len(sidebar.rows) + 2)
                          if "prod-north" in sidebar.render_line(y).text)
        assert str(_in(north, "test")) in north_line

        explorer.apply_query(parse_query("ctx:east"))
        assert table.row_count == _in(east)
        assert {table.event_at(r).context for r in range(table.row_count)} == {"east"}  # type: ignore[union-attr]
        explorer.apply_query(parse_query("ctx:east,prod-north type:Warning"))
        assert {table.event_at(r).context for r in range(table.row_count)} <= {"east", "prod-north"}  # type: ignore[union-attr]
        explorer.apply_query(parse_query(""))

        # east goes down: north keeps streaming; east comes back and streams again
        east.stop()
        await wait_for(pilot, lambda: "east ⟳" in explorer.header.state.state
                       or "east …" in explorer.header.state.state, timeout=20)
        north.emit(namespace="test", reason="BackOff", type="Warning", message="north goes on")
        await wait_for(pilot, lambda: any(
            e.message == "north goes on" for e in explorer.live.store.all_events),  # type: ignore[union-attr]
            timeout=20)
        east.start()
        east.emit(namespace="default", reason="Pulled", message="east is back")
        await wait_for(pilot, lambda: any(
            e.message == "east is back" for e in explorer.live.store.all_events),  # type: ignore[union-attr]
            timeout=30)
        await wait_for(pilot, lambda: "east ✓" in explorer.header.state.state, timeout=20)


async def test_the_sparkline_shows_the_selected_events_context(
    three: tuple[list[SimCluster], str]
) -> None:
    (east, _west, north), kubeconfig = three
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock,
                  context="east,west,prod-north")
    async with app.run_test(size=(160, 48)) as pilot:
        explorer = app.explorer
        table, sparkline = explorer.table, explorer.sparkline
        await wait_for(pilot, lambda: explorer.live.store is not None
                       and len(explorer.live.store) == _in(east) + _in(north, "test"),
                       timeout=20)

        def shows(context: str) -> bool:
            histogram = sparkline.histogram
            return histogram is not None and histogram.context == context

        for context in ("prod-north", "east"):
            # the cursor onto an event of that context: the sparkline follows it
            row = next(r for r in range(table.row_count)
                       if table.event_at(r).context == context)  # type: ignore[union-attr]
            await pilot.press("g", *["j"] * row)
            assert table.selected is not None and table.selected.context == context
            await wait_for(pilot, lambda context=context: shows(context))  # type: ignore[misc]
            histogram = sparkline.histogram
            assert histogram is not None
            end = histogram.start + histogram.interval * len(histogram.normal)
            mine = [e for e in table.store.visible  # type: ignore[union-attr]
                    if e.context == context and histogram.start <= e.time < end]
            assert sum(histogram.normal) + sum(histogram.warning) == len(mine)
            assert sum(histogram.warning) == sum(e.type == "Warning" for e in mine)
            axis = sparkline.render_line(sparkline.size.height - 1).text
            assert f"{context} · peak" in axis
        # a filter: the selected context's shown events only
        explorer.apply_query(parse_query("type:Warning"))
        await pilot.press("g")
        await pilot.pause()
        selected = table.selected
        assert selected is not None
        await wait_for(pilot, lambda: shows(selected.context))
        assert sparkline.histogram is not None and sum(sparkline.histogram.normal) == 0


async def test_one_context_has_no_ctx_column(three: tuple[list[SimCluster], str]) -> None:
    (east, _, _), kubeconfig = three
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock,
                  context="east")
    async with app.run_test(size=(160, 48)) as pilot:
        explorer = app.explorer
        await wait_for(pilot, lambda: explorer.session is not None
                       and len(explorer.session.store) == _in(east), timeout=20)
        assert "CTX" not in explorer.table.render_line(0).text
        assert explorer.header.state.context == "east"
        # the sparkline counts every shown event, as it always did, and names no context
        sparkline = explorer.sparkline
        await wait_for(pilot, lambda: sparkline.histogram is not None and sum(
            sparkline.histogram.normal) + sum(sparkline.histogram.warning) == _in(east))
        assert sparkline.histogram is not None and sparkline.histogram.context == ""
        assert "east" not in sparkline.render_line(sparkline.size.height - 1).text


async def test_a_saved_view_remembers_the_set_of_contexts(
    three: tuple[list[SimCluster], str]
) -> None:
    (east, _, north), kubeconfig = three
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock,
                  context="east,prod-north")
    async with app.run_test(size=(160, 48)) as pilot:
        explorer = app.explorer
        await wait_for(pilot, lambda: explorer.live.contexts != ())
        views = explorer.saved_views
        view = views.current("both")
        assert view.context == "east,prod-north"
        views.store().save(view)
        explorer.switch_context("east")
        assert explorer.live.contexts == ("east",)
        await pilot.pause()
        views.load_named("both")
        assert explorer.live.contexts == ("east", "prod-north")
        await wait_for(pilot, lambda: explorer.live.store is not None
                       and len(explorer.live.store) == _in(east) + _in(north, "test"),
                       timeout=20)


async def test_the_picker_marks_contexts_and_watches_the_marked_set(
    three: tuple[list[SimCluster], str]
) -> None:
    (east, _, north), kubeconfig = three
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock,
                  context="east")
    async with app.run_test(size=(80, 24)) as pilot:
        explorer = app.explorer
        await wait_for(pilot, lambda: explorer.live.contexts == ("east",))
        await pilot.press("c")
        picker = app.screen
        assert isinstance(picker, ContextPicker)
        steps = picker.contexts.index("prod-north") - picker.contexts.index("east")
        await pilot.press("space", *["down"] * steps, "space", "enter")
        await wait_for(pilot, lambda: explorer.live.contexts == ("east", "prod-north"))
        await wait_for(pilot, lambda: explorer.live.store is not None
                       and len(explorer.live.store) == _in(east) + _in(north, "test"),
                       timeout=20)
        assert "CTX" in explorer.table.render_line(0).text
        # without a mark, Enter switches to the highlighted context alone, as before
        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: explorer.live.contexts == ("east",))


@pytest.mark.parametrize("size", SIZES)
def test_three_contexts_snapshot(snap_compare: Callable[..., bool],
                                 three: tuple[list[SimCluster], str],
                                 size: tuple[int, int]) -> None:
    (east, _, north), kubeconfig = three
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock,
                  context="east,west,prod-north")

    async def run_before(pilot: Pilot) -> None:
        def settled() -> bool:
            store, state = app.explorer.live.store, app.explorer.header.state.state
            return (store is not None and len(store) == _in(east) + _in(north, "test")
                    and "west ✗" in state and "east ✓" in state and "prod-north ✓" in state)

        await wait_for(pilot, settled, timeout=20)
        # the sparkline as every event makes it, not as its last rate-limited refresh left
        # it (which depended on when the lists' pumps came)
        app.explorer.refresh_sparkline(force=True)
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
