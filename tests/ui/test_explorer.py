"""Pilot tests of the explorer against the simulator: every key and behaviour."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from ktui.config import Settings
from ktui.model.event import from_core_v1
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.widgets.detail import DetailPane
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.header import EventHeader
from ktui.ui.widgets.sidebar import NamespaceSidebar
from tests.ui.conftest import loaded, wait_for


def _lines(app: KtuiApp) -> str:
    table = app.query_one(EventTable)
    rows = []
    for y in range(table.size.height):
        rows.append(table.render_line(y).text)
    return "\n".join(rows)


async def test_shows_every_event_newest_first(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.query_one(EventTable)
        assert table.row_count == len(clusters[0].events())
        times = [table.event_at(row).time for row in range(table.row_count)]  # type: ignore[union-attr]
        assert times == sorted(times, reverse=True)
        assert "LAST SEEN" in _lines(app) and "MESSAGE" in _lines(app)


async def test_type_keys_filter(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.query_one(EventTable)
        truth = [from_core_v1(obj) for obj in clusters[0].events()]
        await pilot.press("w")
        assert table.row_count == sum(1 for e in truth if e.type == "Warning") > 0
        assert all(table.event_at(r).type == "Warning" for r in range(table.row_count))  # type: ignore[union-attr]
        await pilot.press("n")
        assert table.row_count == sum(1 for e in truth if e.type == "Normal") > 0
        await pilot.press("a")
        assert table.row_count == len(truth)


async def test_filter_prompt_applies_and_rejects_bad_queries(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.query_one(EventTable)
        await pilot.press("slash")
        await pilot.press(*"type:Warning ns:test")
        await pilot.press("enter")
        assert app.explorer.query_state.text == "type:Warning ns:test"
        reasons = {table.event_at(r).reason for r in range(table.row_count)}  # type: ignore[union-attr]
        assert {"FailedMount", "FailedScheduling"} <= reasons
        before = table.row_count
        await pilot.press("slash")
        for _ in range(30):
            await pilot.press("backspace")
        await pilot.press(*"colour:red")
        await pilot.press("enter")
        # The prompt stays open with the error; nothing changed.
        error = app.screen.query_one("#prompt-error")
        assert "unknown field 'colour'" in str(error.render())
        await pilot.press("escape")
        assert app.explorer.query_state.text == "type:Warning ns:test" and table.row_count == before


async def test_namespace_sidebar_selects_one_several_and_all(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        sidebar = app.query_one(NamespaceSidebar)
        table = app.query_one(EventTable)
        names = sidebar.names
        assert "test" in names
        sidebar.focus()
        for _ in range(names.index("test") + 1):
            await pilot.press("j")
        await pilot.press("enter")
        assert app.explorer.query_state.namespaces == {"test"}
        assert {table.event_at(r).namespace for r in range(table.row_count)} == {"test"}  # type: ignore[union-attr]
        await pilot.press("k")
        await pilot.press("space")
        assert len(app.explorer.query_state.namespaces) == 2
        await pilot.press("0")
        assert not app.explorer.query_state.namespaces
        assert table.row_count == len(clusters[0].events())


async def test_context_switch_keeps_each_contexts_events(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        demo_store = app.explorer.session.store  # type: ignore[union-attr]
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("down", "enter")
        await wait_for(pilot, loaded(app, clusters[1]))
        assert app.query_one(EventHeader).state.production
        assert app.query_one(EventHeader).has_class("-production")
        assert not app.explorer.live.sessions.by_context["demo"].running
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("up", "enter")
        await wait_for(pilot, loaded(app, clusters[0]))
        assert app.explorer.session.store is demo_store  # type: ignore[union-attr]


async def test_detail_shows_the_whole_object(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        detail = app.query_one(DetailPane)
        assert detail.has_class("-hidden")
        await pilot.press("enter")
        assert not detail.has_class("-hidden")
        selected = app.query_one(EventTable).selected
        assert detail.event is selected
        await pilot.press("j")
        assert detail.event is app.query_one(EventTable).selected
        await pilot.press("z")
        assert app.screen.maximized is detail
        await pilot.press("escape")  # first back to the split view,
        assert app.screen.maximized is None and not detail.has_class("-hidden")
        await pilot.press("escape")  # then the detail closes
        assert detail.has_class("-hidden")


async def test_follow_pauses_counts_new_and_resumes(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.query_one(EventTable)
        assert table.follow and table.cursor == 0
        await pilot.press("j", "j")
        assert not table.follow
        held = table.selected
        clusters[0].emit(namespace="test", reason="BackOff", type="Warning", kind="Pod",
                         name="late-1", message="Back-off restarting failed container")
        await wait_for(pilot, lambda: table.pending == 1)
        assert table.selected is not None and table.selected.uid == held.uid  # type: ignore[union-attr]
        assert "1 new" in str(app.query_one(EventHeader).render())
        await pilot.press("end")
        assert table.follow and table.cursor == 0
        assert table.selected.object.name == "late-1"  # type: ignore[union-attr]


async def test_copy_puts_the_event_json_on_the_clipboard(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("y")
        copied = json.loads(app.clipboard)
        assert copied["metadata"]["uid"] == app.query_one(EventTable).selected.uid  # type: ignore[union-attr]


async def test_sort_and_time_toggles(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.query_one(EventTable)
        newest = table.event_at(0)
        await pilot.press("s")
        assert table.event_at(table.row_count - 1) is newest
        await pilot.press("t")
        assert table.absolute_time
        assert table.render_line(1).text[2] == ":"  # "08:20:00": today's time of day


async def test_unreachable_cluster_is_shown_not_raised(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    clusters[0].stop()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.explorer.session is not None
                       and app.explorer.session.status.error is not None)
        await wait_for(pilot, lambda: "⚠" in _lines(app))  # drawn at the next pump
        header = str(app.query_one(EventHeader).render())
        assert "demo" in header
        # The app still answers keys.
        await pilot.press("w")
        assert app.explorer.query_state.types == {"Warning"}


async def test_quit(make_app: Callable[..., KtuiApp], clusters: list[SimCluster]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 or app.return_code is None


async def test_events_keep_flowing_while_a_prompt_is_open(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        for opener in ("slash", "colon", "c", "question_mark"):
            await pilot.press(opener)
            await pilot.pause()
            assert len(app.screen_stack) == 2
            before = len(app.explorer.session.store)  # type: ignore[union-attr]
            clusters[0].emit(namespace="default", reason="Pulled", kind="Pod", name="bg",
                             message=f"arrived under {opener}")
            await wait_for(pilot, lambda n=before: len(app.explorer.session.store) == n + 1)  # type: ignore[union-attr, misc]
            await pilot.pause(0.3)  # at least one pump with the modal on top
            await pilot.press("escape")
            await pilot.pause()
            assert len(app.screen_stack) == 1


async def test_command_palette_offers_every_action(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in ("Warnings", "Normal", "All types", "Filter", "Context", "Follow",
                      "Copy JSON", "History", "Detail", "Toggle ns", "Quit"):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Warnings")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.explorer.query_state.types == {"Warning"})


async def test_keys_can_be_remapped_by_binding_id(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app(settings=Settings(keys={"types.warning": "W", "quit": "ctrl+q"}))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w")
        assert not app.explorer.query_state.types  # the old key no longer does it
        await pilot.press("W")
        assert app.explorer.query_state.types == {"Warning"}


async def test_no_color_renders(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: Textual strips colours with a filter that needs a style on every segment."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)  # the empty table's message is drawn first
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w", "enter", "b")
        await pilot.pause(0.3)
        assert app.explorer.table.row_count > 0


async def test_the_table_has_the_focus_from_the_start(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """No other widget holds the focus first (the sidebar did, until on_mount moved it:
    a restyle and a repaint of the sidebar before the first frame was done)."""
    from textual import events

    focus_changes: list[type[events.Event]] = []

    def hook(message: object) -> None:
        if isinstance(message, events.Focus | events.Blur):
            focus_changes.append(type(message))

    app = make_app()
    async with app.run_test(size=(160, 48), message_hook=hook) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        assert app.screen.focused is app.query_one(EventTable)
        assert events.Blur not in focus_changes  # nothing had the focus before the table


async def test_sidebar_counts_follow_new_events_after_a_filter_change(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """A filter change leaves the namespace counts as they were (they count every event);
    an event arriving afterwards still shows in them, on the sidebar's painted lines."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        sidebar = app.query_one(NamespaceSidebar)

        def painted(namespace: str) -> str:
            lines = [sidebar.render_line(y).text for y in range(sidebar.size.height)]
            return next(line for line in lines if f" {namespace} " in f"{line} ")

        before, everything = painted("test"), len(clusters[0].events())
        total = sidebar.counts["test"].total
        await pilot.press("n")  # normal events only: no count changes
        assert sidebar.counts["test"].total == total and painted("test") == before
        clusters[0].emit(namespace="test", reason="BackOff", type="Warning", kind="Pod",
                         name="late-2", message="Back-off restarting failed container")
        await wait_for(pilot, lambda: sidebar.counts["test"].total == total + 1)
        await wait_for(pilot, lambda: f"{total + 1:>5}" in painted("test"))
        assert f"{everything + 1:>5}" in painted("namespaces")  # "All namespaces"
