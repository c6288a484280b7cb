"""The incident lens in history mode, against osmem-server loaded with exporter documents
(the fixtures of test_history_ui): group rows from the documents' own ownerReferences,
rollout ticks from the pages loaded, an opened group across a new search."""

from __future__ import annotations

from collections.abc import Callable

from ktui.model.grouping import OWNER, group_events
from ktui.model.owners import BY_OWNER_REFERENCES
from ktui.model.rollouts import rollouts
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.group_table import GroupTable
from tests.ui.conftest import loaded, wait_for
from tests.ui.test_history_ui import (  # noqa: F401 - fixtures, registered by importing
    History,
    history,
    history_loaded,
    make_history_app,
)


async def test_grouping_and_rollouts_in_history(
    make_history_app: Callable[..., KtuiApp],  # noqa: F811
    clusters: list[SimCluster],
    history: History,  # noqa: F811
) -> None:
    app = make_history_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("h")
        await wait_for(pilot, history_loaded(app), timeout=30)
        await pilot.press("o")
        groups = app.query_one(GroupTable)
        store = app.explorer.history.store
        # a fresh grouping of the loaded events: the documents' ownerReferences and names
        expected = group_events(store.visible, OWNER)
        assert [(g.display, g.size, g.resolved_by) for g in groups.groups] == [
            (g.display, g.size, g.resolved_by) for g in expected]
        assert any(g.resolved_by == BY_OWNER_REFERENCES for g in groups.groups)
        sparkline = app.explorer.sparkline
        histogram = sparkline.histogram
        assert histogram is not None
        end = histogram.start + histogram.interval * len(histogram.normal)
        ticks = [r.time for r in rollouts(store.all_events) if histogram.start <= r.time < end]
        assert ticks and list(sparkline.rollouts) == ticks
        # an opened group stays open across a new search (w): its warnings, from the new
        # pages
        group = max(groups.groups, key=lambda g: (g.warnings > 0, g.normals, g.size))
        assert group.warnings
        groups.move_cursor(groups.row_of((group.context, group.key)))  # type: ignore[arg-type]
        await pilot.press("enter")
        table = app.query_one(EventTable)
        assert table.row_count == group.size
        await pilot.press("w")
        await wait_for(pilot, history_loaded(app), timeout=30)
        await wait_for(pilot, lambda: app.explorer.history.store is not store
                       and app.explorer.lens.lens.view.visible is not group.events)
        now_shown = group_events(app.explorer.history.store.visible, OWNER)
        again = next(g for g in now_shown if g.key == group.key)
        assert not table.has_class("-hidden")
        assert table.row_count == again.size == again.warnings > 0
        assert all(e.type == "Warning" for e in table.store.visible)  # type: ignore[union-attr]
