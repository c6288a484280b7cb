"""Issue 14 (usability), the items that live in widgets: Pilot tests of the real app
against the simulator, and of single widgets where the explorer screen wires them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.widgets.event_table import EventTable
from tests.ui.conftest import NOW, loaded, wait_for

DAY = 86400.0


def _last_seen_cells(table: EventTable) -> list[tuple[str, float]]:
    """Each shown row's LAST SEEN cell (up to the first column break) and its event's time."""
    width = next(w for column, w in table._columns() if column.key == "last_seen")
    cells = []
    for y in range(1, min(table.size.height, table.row_count + 1)):
        event = table.event_at(int(table.scroll_y) + y - 1)
        assert event is not None
        cells.append((table.render_line(y).text[:width].strip(), event.time))
    return cells


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("days_later", [0, 1], ids=["today", "yesterday"])
async def test_absolute_time_shows_the_time_of_day_whole(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster], size: tuple[int, int],
    days_later: int,
) -> None:
    """`t`: HH:MM:SS for today's events, MM-DD HH:MM for older ones, never cut (issue 14.3:
    the column showed `12-02 20:` at 160 columns and `12-02` at 80)."""
    app = make_app(clock=lambda: NOW + days_later * DAY)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("t")
        cells = _last_seen_cells(app.table)
        assert len(cells) > 5
        layout = "%H:%M:%S" if days_later == 0 else "%m-%d %H:%M"
        for text, moment in cells:
            assert text == datetime.fromtimestamp(moment, UTC).strftime(layout)
        await pilot.press("t")  # and back to ages
        assert all(not text[0].isdigit() or text[-1] in "smhdy"
                   for text, _ in _last_seen_cells(app.table))
