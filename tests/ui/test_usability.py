"""Issue 14 (usability), the items that live in widgets: Pilot tests of the real app
against the simulator, and of single widgets where the explorer screen wires them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from ktui.model.event import Event, from_core_v1
from ktui.model.histogram import Histogram
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.screens.explorer import ExplorerScreen
from ktui.ui.screens.pickers import HelpScreen
from ktui.ui.widgets.detail import DetailPane
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.footer import KtuiFooter, key_width
from ktui.ui.widgets.header import EventHeader, HeaderState
from ktui.ui.widgets.sparkline import EventSparkline
from ktui.ui.widgets.wrapped import WrappedLines
from tests.fixtures.seed_events import core_event
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
        cells = _last_seen_cells(app.explorer.table)
        assert len(cells) > 5
        layout = "%H:%M:%S" if days_later == 0 else "%m-%d %H:%M"
        for text, moment in cells:
            assert text == datetime.fromtimestamp(moment, UTC).strftime(layout)
        await pilot.press("t")  # and back to ages
        assert all(not text[0].isdigit() or text[-1] in "smhdy"
                   for text, _ in _last_seen_cells(app.explorer.table))


# -- 14.4: the detail wraps, beside the table and full screen; a huge event opens at once --


def screen_lines(app: App[object]) -> list[str]:
    """What the terminal shows, row by row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def _read_detail(app: KtuiApp, pilot: Pilot[object]) -> str:
    """Everything the detail pane shows, scrolled through page by page, as one line of
    words (the pane's border and the wrapping dropped)."""
    detail = app.explorer.detail
    region = detail.scrollable_content_region  # without the scrollbar
    seen: list[str] = []
    detail.scroll_home(animate=False)
    await pilot.pause()
    for _ in range(100):
        lines = screen_lines(app)[region.y : region.bottom]
        seen += [line[region.x : region.right] for line in lines]
        if detail.scroll_y >= detail.max_scroll_y:
            break
        detail.scroll_to(y=detail.scroll_y + region.height, animate=False)
        await pilot.pause()
    return " ".join(" ".join(seen).split())


SCHEDULING = ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are "
              "available: 3 No preemption victims found for incoming pod.")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("zoom", [False, True], ids=["beside", "full-screen"])
async def test_detail_wraps_the_message_and_json_strings(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster], size: tuple[int, int],
    zoom: bool,
) -> None:
    """Issue 14.4: `enter` `z` on a FailedScheduling event at 80 columns cut the message at
    "…preemption: 0/3 nod" (the full-screen pane was laid out 160 wide)."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("slash", *"reason:FailedScheduling", "space", *"name~scenario-c",
                          "enter")
        await pilot.press("enter", *(["z"] if zoom else []))
        await pilot.pause()
        detail = app.explorer.detail
        assert detail.event is not None and detail.event.message == SCHEDULING
        assert detail.region.right <= size[0]
        shown = await _read_detail(app, pilot)
        assert f"Message {SCHEDULING}" in shown  # the summary
        assert f'"message": "{SCHEDULING}",' in shown  # the JSON string, wrapped


class _DetailApp(App[None]):
    """The detail pane alone, at the width the explorer gives it full screen."""

    def compose(self) -> ComposeResult:
        yield DetailPane(id="detail")


def _huge_event(size: int, word: str = "lorem ipsum dolor sit amet ") -> Event:
    obj = core_event("u1", count=1, first="2025-11-22T08:00:00Z", last="2025-11-22T08:24:30Z")
    obj["message"] = (word * (size // len(word) + 1))[:size].strip() + " THE-END"
    return from_core_v1(obj)


@pytest.mark.parametrize("word", ["lorem ipsum dolor sit amet ", "容器镜像拉取失败，"],
                         ids=["ascii", "wide"])
async def test_a_huge_message_opens_bounded_and_is_all_there(word: str) -> None:
    """Issue 14.9: opening the detail of a 1 MB message blocked input for 2.7 s (a Static
    wrapped the whole text). The summary shows the start and says how long the message is;
    the JSON holds all of it, wrapped at the pane's width (wide characters count two)."""
    event = _huge_event(1_000_000 if word.isascii() else 200_000, word)
    app = _DetailApp()
    async with app.run_test(size=(80, 24)) as pilot:
        detail = app.query_one(DetailPane)
        detail.show(event)
        await pilot.pause()
        summary = str(detail.query_one("#detail-summary", Static).render())
        assert f"({len(event.message):,} characters: all of them in the JSON below)" in summary
        body = detail.query_one("#detail-json", WrappedLines)
        width = body.size.width
        rows = [body.row_text(y) for y in range(body.size.height)]
        assert body.size.height == len(body.rows(width)) > 1000
        assert all(cell_len(row) <= width for row in rows)
        start = next(y for y, row in enumerate(rows) if row.lstrip().startswith('"message"'))
        end = next(y for y in range(start, len(rows)) if rows[y].endswith('THE-END",'))
        text = "".join(row.lstrip() if y > start else row for y, row in
                       ((y, rows[y]) for y in range(start, end + 1)))
        # Rows break at spaces (dropped) or, in text without spaces, anywhere.
        assert text.replace(" ", "") == f'"message": "{event.message}",'.replace(" ", "")
        # The end of the message is on screen once scrolled there.
        detail.scroll_end(animate=False)
        await pilot.pause()
        assert any("THE-END" in line for line in screen_lines(app))


# -- 14.10 and 14.9: the header --------------------------------------------------------


class _WidgetApp(App[None]):
    """One widget under test, docked where the explorer has it."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def _header_lines(header: EventHeader) -> list[str]:
    return [header.render_line(y).text.rstrip() for y in range(header.size.height)]


PAUSED = HeaderState(context="arn:aws:eks:eu-west-1:123456789012:cluster/payments-prod",
                     state="watching", shown=163, total=387, warnings=26, pending=2,
                     paused=True)


@pytest.mark.parametrize("width", range(60, 121, 3))
async def test_the_header_is_cut_at_a_word_with_an_ellipsis(width: int) -> None:
    """Issue 14.10: the header cut "paused (2 new," mid-word. Whatever the width, what is
    shown is the start of the full line up to a word's end, then "…"."""
    header = EventHeader()
    async with _WidgetApp(header).run_test(size=(width, 5)) as pilot:
        header.show(PAUSED)
        await pilot.pause()
        full = header.full_text().plain
        [line] = _header_lines(header)
        assert len(full) > width, "the test needs a header that does not fit"
        assert line.endswith("…") and len(line) <= width
        shown = line[:-1]
        assert full.startswith(shown)
        assert not full[len(shown)].isalnum() or not shown[-1:].isalnum(), (shown, full)
        assert shown[-1:] not in (" ", "│", "·", ",", "(")


async def test_expired_events_are_counted_in_the_header() -> None:
    """Issue 14.9: ktui showed 387 where kubectl showed 371; the header says why."""
    header = EventHeader()
    async with _WidgetApp(header).run_test(size=(160, 5)) as pilot:
        header.show(HeaderState(context="demo", state="watching", shown=387, total=387,
                                warnings=26, expired=16))
        await pilot.pause()
        assert "387 of 387 · 371 live · 16 expired · 26 warnings" in _header_lines(header)[0]
        header.show(HeaderState(context="demo", state="watching", shown=371, total=387,
                                warnings=26, expired_hidden=16))
        await pilot.pause()
        assert "371 of 387 · 16 expired hidden · 26 warnings" in _header_lines(header)[0]
        header.show(HeaderState(context="demo", state="watching", shown=5, total=5))
        await pilot.pause()
        assert "expired" not in _header_lines(header)[0]


DEMO_HINT = ("no kubeconfig (~/.kube/config does not exist): simulated events. For a "
             "cluster: ktui --kubeconfig PATH, or set KUBECONFIG")


@pytest.mark.parametrize("width", [80, 160])
async def test_the_demo_started_for_want_of_a_kubeconfig_says_so(width: int) -> None:
    """Issue 14.10: with no kubeconfig ktui started the demo's realistic events silently.
    The badge leads the header and a second line says how to point ktui at a cluster."""
    header = EventHeader()
    async with _WidgetApp(header).run_test(size=(width, 5)) as pilot:
        header.show(HeaderState(context="demo", state="watching", shown=5, total=5,
                                demo=True, demo_hint=DEMO_HINT))
        await pilot.pause()
        first, *hint = _header_lines(header)
        assert first.startswith(" DEMO ") and "5 of 5" in first
        assert " ".join(line.strip() for line in hint) == DEMO_HINT  # wrapped, all of it
        assert len(hint) == (1 if width > len(DEMO_HINT) else 2)
        badge, rest = header.render_line(0).divide([6, width])[:2]
        assert badge.text == " DEMO " and {s.style for s in badge} != {s.style for s in rest}
        header.show(HeaderState(context="demo", state="watching", demo=True))  # --demo
        await pilot.pause()
        assert header.size.height == 1 and _header_lines(header)[0].startswith(" DEMO ")


# -- 14.10: the sparkline after a resize -------------------------------------------------


def _axis(sparkline: EventSparkline) -> str:
    return sparkline.render_line(sparkline.size.height - 1).text


async def test_the_sparkline_keeps_its_time_span_when_the_terminal_narrows() -> None:
    """Issue 14.10: after a resize the sparkline's right label lagged the clock by five
    minutes: a histogram made for 160 columns was cut to the first 80 buckets until the
    next one came. Now it is merged to fit, so the labels still span the whole window,
    and the widget asks its owner for a histogram of its new width."""
    sparkline = EventSparkline()
    app = _WidgetApp(sparkline)
    asked: list[int] = []
    start = datetime(2025, 11, 22, 8, 16, 0, tzinfo=UTC).timestamp()
    async with app.run_test(size=(160, 6), message_hook=lambda m: asked.extend(
            [m.buckets] if isinstance(m, EventSparkline.Resized) else [])) as pilot:
        histogram = Histogram(start, 600 / 160, tuple([1] * 159 + [9]), tuple([0] * 160))
        sparkline.show(histogram, marked=159)
        await pilot.pause()
        wide = _axis(sparkline)
        assert wide.startswith("08:16") and "08:26" in wide[-8:]
        await pilot.resize_terminal(80, 6)
        await pilot.pause()
        narrow = _axis(sparkline)
        assert narrow.startswith("08:16") and "08:26" in narrow, narrow
        assert "▲" in narrow[70:]  # the newest bucket is still the marked one, at the right
        assert "peak 10/bucket" in narrow  # merged buckets add up
        assert asked and asked[-1] == sparkline.buckets == 80


# -- 14.10: the footer keeps ? Help and q Quit -------------------------------------------


class _FooterApp(App[None]):
    """The explorer's keys over a focused event table, and ktui's footer."""

    BINDINGS = ExplorerScreen.BINDINGS

    def compose(self) -> ComposeResult:
        yield EventTable(id="table")
        yield KtuiFooter()

    def on_mount(self) -> None:
        self.query_one(EventTable).focus()


def _footer_keys(app: App[object]) -> list[tuple[str, Region]]:
    footer = app.query_one(KtuiFooter)
    return [(f"{key.key_display} {key.description}".strip(), key.region)
            for key in footer.query(FooterKey) if key.display and key.region.width]


@pytest.mark.parametrize("width", [60, 80, 100, 120, 160])
async def test_the_footer_keeps_help_and_quit_and_drops_others_whole(width: int) -> None:
    """Issue 14.10: at 80 columns the footer dropped `? Help` and `q Quit` (Textual's
    footer cuts whatever passes the edge). Keys are dropped whole, from the end of the
    list, and help and quit never."""
    app = _FooterApp()
    async with app.run_test(size=(width, 10)) as pilot:
        await pilot.pause()
        await pilot.pause()
        shown = _footer_keys(app)
        labels = [label for label, _ in shown]
        assert "? Help" in labels and "q Quit" in labels, labels
        regions = [region for _, region in shown]
        assert all(region.right <= width for region in regions)
        assert all(a.right <= b.x for a, b in zip(sorted(regions), sorted(regions)[1:],
                                                 strict=False)), shown  # none overlaps
        line = screen_lines(app)[-1]
        assert "? Help" in line and "q Quit" in line, line
        if width >= 160:
            assert "v Views" in labels and "⏎ Detail" in labels
        # what is dropped is dropped from the end: the shown keys are a prefix
        order = [b.description for b in ExplorerScreen.BINDINGS if b.show and b.action not in
                 ("help", "quit")]
        kept = [label.split(" ", 1)[1] for label in labels if label not in
                ("? Help", "q Quit", "⏎ Detail", "^p palette")]
        assert kept == order[: len(kept)], kept
        await pilot.resize_terminal(160, 10)  # and back when there is room
        await pilot.pause()
        await pilot.pause()
        assert len(_footer_keys(app)) >= len(shown)


@pytest.mark.parametrize("compact", [False, True])
async def test_a_footer_keys_width_is_what_it_renders(compact: bool) -> None:
    """The fit sums a key's parts instead of rendering it: the sum is the rendered width."""
    app = _FooterApp()
    async with app.run_test(size=(200, 10)) as pilot:
        footer = app.query_one(KtuiFooter)
        footer.compact = compact
        await pilot.pause()
        await pilot.pause()
        keys = list(footer.query(FooterKey))
        assert len(keys) > 8
        for key in keys:
            styles = key.styles
            rendered = key.render().cell_len + styles.gutter.width + styles.margin.width
            assert key_width(key) == rendered, (key.key_display, key.description)


class _Zoomable(Static, can_focus=True):
    BINDINGS = [("z", "zoom", "Zoom in")]

    def action_zoom(self) -> None:
        pass


class _TwoFocusApp(_FooterApp):
    def compose(self) -> ComposeResult:
        yield EventTable(id="table")
        yield _Zoomable("zoom", id="zoom")
        yield KtuiFooter()


async def test_the_footer_recomposes_on_a_change_of_bindings_only() -> None:
    """Textual recomposes its footer on every notice that the bindings may have changed
    (four or five in a row at start-up, 12-14 ms each, while the first list is read):
    the same bindings keep the same keys; other ones show."""
    app = _TwoFocusApp()
    async with app.run_test(size=(160, 10)) as pilot:
        await pilot.pause()
        footer = app.query_one(KtuiFooter)
        keys = list(footer.query(FooterKey))
        assert keys and "Zoom in" not in {str(key.description) for key in keys}
        app.screen.refresh_bindings()
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert list(footer.query(FooterKey)) == keys  # the very same widgets
        app.query_one("#zoom").focus()
        await wait_for(pilot, lambda: "Zoom in" in {
            str(key.description) for key in footer.query(FooterKey)})


async def test_help_explains_expired_rows_and_copying_inside_tmux() -> None:
    """Issues 14.9 and 14.7: `?` says what struck-through rows are and how to hide them,
    and what tmux needs for `y`; `Y` writes a file."""
    app = _WidgetApp(Static("explorer"))
    async with app.run_test(size=(80, 40)) as pilot:
        await app.push_screen(HelpScreen())
        await pilot.pause()
        text = " ".join(" ".join(screen_lines(app)).replace("│", " ").split())
        for words in ("struck-through rows: events past the cluster's TTL",
                      "kubectl no longer lists", "371 live · 16 expired", "x hides them",
                      "set -g set-clipboard on", "Y writes it to a file",
                      "HH:MM:SS today"):
            assert words in text, words
