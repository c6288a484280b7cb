"""Hostile events: markup, escape sequences, controls, huge and right-to-left text.

They must render literally and never reach the terminal as control sequences. The
check reads every segment the widgets produce, which is exactly what Textual writes.
"""

from __future__ import annotations

import re

from textual.geometry import Region
from textual.notifications import Notification
from textual.widgets import Static

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.widgets.detail import DetailPane
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.header import EventHeader
from ktui.ui.widgets.sidebar import NamespaceSidebar
from ktui.ui.widgets.wrapped import WrappedLines
from tests.ui.conftest import fixed_clock, loaded, wait_for

# What must never reach the terminal from event text: C0 (the layout's own newlines are
# not in strips), DEL, C1 and bidi overrides.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _strip_texts(widget: object, height: int) -> list[str]:
    return [widget.render_line(y).text for y in range(height)]  # type: ignore[attr-defined]


async def test_every_hostile_event_renders_inert(
    hostile_kubeconfig: tuple[SimCluster, str],
) -> None:
    cluster, kubeconfig = hostile_kubeconfig
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        table = app.query_one(EventTable)
        assert table.row_count == len(cluster.events()) > 10
        seen_markup = False
        for row in range(table.row_count):
            table.move_cursor(row)
            await pilot.pause()
            lines = _strip_texts(table, table.size.height)
            lines += _strip_texts(app.query_one(NamespaceSidebar), 20)
            lines.append(str(app.query_one(EventHeader).render()))
            for line in lines:
                assert not UNSAFE.search(line), repr(line)
            seen_markup |= any("[/]" in line or "[bold" in line for line in lines)
        assert seen_markup, "markup must show as literal text"

        # The detail pane shows each whole object, escaped, without crashing.
        await pilot.press("g", "enter")
        detail = app.query_one(DetailPane)
        for row in range(table.row_count):
            table.move_cursor(row)
            await pilot.pause()
            assert detail.event is table.selected
            lines = detail.query_one("#detail-summary", Static).render_lines(
                Region(0, 0, 120, 200)
            ) + detail.query_one("#detail-json", WrappedLines).render_lines(
                Region(0, 0, 120, 400))
            for segment in (segment for line in lines for segment in line):
                # Line breaks are the layout's (a message's own newlines wrap the pane).
                text = segment.text.replace("\n", "")
                assert not UNSAFE.search(text), repr(text[:80])
        await pilot.press("G")
        await pilot.pause()
        assert table.cursor == table.row_count - 1  # the hostile rows do not stop the jump


async def test_markup_in_messages_does_not_style_the_row(
    hostile_kubeconfig: tuple[SimCluster, str],
) -> None:
    cluster, kubeconfig = hostile_kubeconfig
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock)
    async with app.run_test(size=(200, 48)) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        table = app.query_one(EventTable)
        texts = [table.render_line(y).text for y in range(1, table.row_count + 1)]
        assert any("[link=" in text for text in texts)
        for y in range(1, table.row_count + 1):
            for segment in table.render_line(y):
                style = segment.style
                assert style is None or style.link is None, "no link may come from event text"


async def test_copying_a_hostile_event_says_so_literally(
    hostile_kubeconfig: tuple[SimCluster, str],
) -> None:
    """``y`` names the event in a toast: markup in its reason is text, not styling (and
    not a MarkupError that would end the app)."""
    cluster, kubeconfig = hostile_kubeconfig
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        table = app.query_one(EventTable)
        reasons = []
        # Each toast noted as it comes: it expires 5 s of wall time later, and the loop
        # may take longer than that on a busy machine.
        toasts: dict[str, Notification] = {}

        def copied() -> int:
            toasts.update((n.identity, n) for n in app._notifications
                          if n.message.startswith("copied"))
            return len(toasts)

        for row in range(table.row_count):
            table.move_cursor(row)
            await pilot.press("y")
            await wait_for(pilot, lambda n=row + 1: copied() == n)  # type: ignore[misc]
            event = table.selected
            assert event is not None
            reasons.append(event.reason)
        assert any("[" in reason for reason in reasons)  # the scenario has markup reasons
        assert len(toasts) == table.row_count and not any(n.markup for n in toasts.values())
        assert app.is_running
        app.clear_notifications()
        await pilot.pause()
