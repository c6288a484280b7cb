"""Pilot tests of the explorer's moving parts against the simulator: movement keys,
repeats and expiry on a live watch, credentials and RBAC as the UI shows them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.ui.app import KtuiApp
from tests.ui.conftest import NOW, fixed_clock, loaded, wait_for


async def test_movement_keys(make_app: Callable[..., KtuiApp], clusters: list[SimCluster]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.explorer.table
        last = table.row_count - 1
        page = table.size.height - 1  # the column titles take one line
        assert table.cursor == 0
        await pilot.press("j", "j", "k")
        assert table.cursor == 1
        await pilot.press("G")
        assert table.cursor == last
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("pagedown")
        assert 0 < table.cursor <= page
        moved = table.cursor
        await pilot.press("pagedown")
        assert table.cursor == min(2 * moved, last)
        await pilot.press("pageup", "pageup")
        assert table.cursor == 0
        # Leaving the top pauses follow; f turns it back on (at the newest event).
        await pilot.press("j")
        assert not table.follow
        await pilot.press("f")
        assert table.follow and table.cursor == 0
        await pilot.press("f")
        assert not table.follow


async def test_a_repeat_updates_its_row_and_an_expired_event_is_marked_not_dropped(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    cluster = clusters[0]
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        table = app.explorer.table
        rows = table.row_count
        oldest = table.event_at(rows - 1)
        assert oldest is not None and oldest.count == 1

        cluster.repeat(oldest.uid, n=4, time=NOW + 1)
        await wait_for(pilot, lambda: table.event_at(0) is not None
                       and table.event_at(0).uid == oldest.uid)  # type: ignore[union-attr]
        repeated = table.event_at(0)
        assert repeated is not None and repeated.count == 5
        assert table.row_count == rows  # the same row, moved to the top: not a new one
        assert "5·" in table.render_line(1).text

        before = [segment.style for segment in table.render_line(1)]
        cluster.expire(oldest.uid)
        await wait_for(pilot, lambda: table.event_at(0).expired)  # type: ignore[union-attr]
        assert table.row_count == rows and table.event_at(0).uid == oldest.uid  # type: ignore[union-attr]
        after = [segment.style for segment in table.render_line(1)]
        assert after != before  # the same row, drawn as expired (dimmed), still there


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[SimCluster]:
    tokens = {"admin-token": Grant.all(),
              "ns-token": Grant(namespaces={"test", "payments"}, groups={""})}
    cluster = SimCluster(name="guarded", scenario="scenario-a,scenario-b,lifecycle", seed=4,
                         now=fixed_clock, tokens=tokens)
    cluster.start()
    yield cluster
    cluster.stop()


def _app(tmp_path: Path, cluster: SimCluster, token: str, namespace: str | None = None
         ) -> KtuiApp:
    path = tmp_path / f"kubeconfig-{token}"
    write_kubeconfig(str(path), [cluster], token=token, namespace=namespace)
    return KtuiApp(KubeCatalog(str(path)), settings=Settings(), clock=fixed_clock)


async def test_a_rejected_token_says_what_to_do_and_the_app_keeps_running(
    tmp_path: Path, guarded: SimCluster
) -> None:
    app = _app(tmp_path, guarded, "expired-token")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "⚠" in str(app.explorer.table.empty_message))
        message = str(app.explorer.table.empty_message)
        assert "401" in message and "credentials" in message
        assert app.explorer.header.state.state_is_error
        await pilot.press("w")  # still answering keys
        assert app.explorer.query_state.types == {"Warning"} and app.is_running


async def test_rbac_narrowed_to_the_contexts_namespace_is_said_in_the_header(
    tmp_path: Path, guarded: SimCluster
) -> None:
    app = _app(tmp_path, guarded, "ns-token", namespace="test")
    expected = [e for e in guarded.events() if e["metadata"]["namespace"] == "test"]
    assert expected and len(expected) < len(guarded.events())
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.explorer.session is not None
                       and len(app.explorer.session.store) == len(expected), timeout=20)
        await wait_for(pilot, lambda: "forbidden cluster-wide" in app.explorer.header.state.state)
        assert not app.explorer.header.state.state_is_error
        table = app.explorer.table
        shown = {table.event_at(r).namespace for r in range(table.row_count)}  # type: ignore[union-attr]
        assert shown == {"test"}


async def test_rbac_with_no_namespace_to_fall_back_to_says_how_and_ns_watches_one(
    tmp_path: Path, guarded: SimCluster
) -> None:
    app = _app(tmp_path, guarded, "ns-token")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "⚠" in str(app.explorer.table.empty_message), timeout=20)
        assert "-n NAMESPACE" in str(app.explorer.table.empty_message)
        assert ":ns NAME" in str(app.explorer.table.empty_message)
        assert app.explorer.header.state.state_is_error and app.is_running

        # :ns names a namespace the token may read: ktui watches it there.
        await pilot.press("colon", *"ns test", "enter")
        expected = [e for e in guarded.events() if e["metadata"]["namespace"] == "test"]
        assert expected
        await wait_for(pilot, lambda: app.explorer.session is not None
                       and len(app.explorer.session.store) == len(expected)
                       and app.explorer.session.status.state.value == "watching"
                       and app.explorer.table.row_count == len(expected), timeout=20)
        assert not app.explorer.header.state.state_is_error
        table = app.explorer.table
        assert {table.event_at(r).namespace  # type: ignore[union-attr]
                for r in range(table.row_count)} == {"test"}


async def test_rows_added_while_watching_are_all_reachable(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """The table grows without a screen layout per batch (cursor_rows.set_virtual_size):
    its scroll range and scrollbar must still follow the row count."""
    app = make_app()
    cluster = clusters[0]
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        table = app.explorer.table
        for batch in range(3):
            for n in range(150):
                cluster.emit(namespace="test", reason="Pulled", message=f"batch {batch} #{n}",
                             name=f"pod-{batch}-{n}", time=NOW + batch * 200 + n)
            await wait_for(pilot, lambda: table.row_count == len(cluster.events()))
        await wait_for(pilot, lambda: table.virtual_size.height == table.row_count + 1)
        assert table.vertical_scrollbar.window_virtual_size == table.row_count + 1
        await pilot.press("G")
        await pilot.pause()
        assert table.cursor == table.row_count - 1
        assert table.scroll_y >= table.max_scroll_y - 1 > 0  # the column titles take a line
        oldest = table.event_at(table.row_count - 1)
        assert oldest is not None
        last_line = table.render_line(table.size.height - 1).text
        assert oldest.reason in last_line and oldest.message[:12] in last_line


async def test_a_namespace_arriving_while_watching_shows_in_the_sidebar(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """The sidebar grows without a screen layout (cursor_rows.set_virtual_size) while its
    rows fit: a new namespace's line still shows, and its range follows."""
    app = make_app()
    cluster = clusters[0]
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        sidebar = app.explorer.sidebar
        before = len(sidebar.rows)
        cluster.emit(namespace="zz-arrived", reason="Pulled", message="new namespace",
                     name="pod-new", time=NOW + 5)
        await wait_for(pilot, lambda: ("", "zz-arrived") in sidebar.rows)
        assert len(sidebar.rows) == before + 1
        assert sidebar.virtual_size.height == len(sidebar.rows) + 2
        await pilot.pause()
        lines = [sidebar.render_line(y).text for y in range(sidebar.size.height)]
        assert any("zz-arrived" in line for line in lines)
