"""The usability field report (issue 14), each item as the on-call engineer met it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.ui.app import KtuiApp
from tests.ui.conftest import fixed_clock, loaded, wait_for


def _late(cluster: SimCluster, n: int) -> None:
    cluster.emit(namespace="test", reason="BackOff", type="Warning", kind="Pod",
                 name=f"late-{n}", message="Back-off restarting failed container")


async def test_the_open_detail_stays_on_the_event_being_read(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """14.1: Enter at once on row 1 with follow on, then events arrive: the detail, the
    cursor and y stay on the event being read; the header counts what arrived."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        explorer = app.explorer
        table = explorer.table
        assert table.follow and table.cursor == 0
        read = table.selected
        assert read is not None
        await pilot.press("enter")
        assert not explorer.detail.has_class("-hidden")
        _late(clusters[0], 1)
        _late(clusters[0], 2)
        await wait_for(pilot, lambda: table.pending == 2)
        assert table.selected is not None and table.selected.uid == read.uid
        assert explorer.detail.event is not None and explorer.detail.event.uid == read.uid
        # the newest rows keep coming in above the pinned event, in view
        assert table.row_of(table.selected) == 2 and int(table.scroll_y) == 0
        assert "2 new" in str(explorer.header.render())
        await pilot.press("z")  # full screen shows the same event
        assert explorer.detail.event is not None and explorer.detail.event.uid == read.uid
        await pilot.press("escape")
        await pilot.press("end")  # End goes back to following the newest
        assert table.follow and table.selected is not None
        assert table.selected.object.name == "late-2"


async def test_end_resumes_following_whatever_has_the_focus(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """14.6: after b the header says 'End resumes': End must, with the sidebar focused."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.explorer.table
        await pilot.press("j", "j")
        assert not table.follow
        await pilot.press("b")
        assert app.explorer.sidebar.has_focus_within or app.explorer.sidebar.has_focus
        await pilot.press("end")
        assert table.follow and table.cursor == 0


async def test_the_active_filter_is_shown_and_esc_clears_it(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """14.5: the filter in force is on screen, also after a context switch; esc on the
    table clears it, and the empty state says so."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        explorer = app.explorer
        bar = explorer.filter_bar
        assert not bar.display
        await pilot.press("w")
        assert bar.display and "type:Warning" in bar.text
        await pilot.press("slash", *"nothing-matches-this", "enter")
        assert explorer.table.row_count == 0
        assert "esc clears" in str(explorer.table.empty_message)
        assert "nothing-matches-this" in bar.text and bar.text.endswith("…") is False
        await pilot.press("escape")
        assert explorer.query_state.is_empty and not bar.display
        assert explorer.table.row_count == len(clusters[0].events())


async def test_the_filter_line_is_cut_with_an_ellipsis_at_80_columns(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("slash", *("word" * 30), "enter")
        line = app.explorer.filter_bar.render_line(0).text.rstrip()
        assert line.endswith("…") and len(line) <= 80


@pytest.fixture
def teams(tmp_path: Path) -> Iterator[SimCluster]:
    tokens = {"team-token": Grant(namespaces={"team-a", "team-b"}, groups={""})}
    cluster = SimCluster(name="teams", scenario="lifecycle", seed=9, now=fixed_clock,
                         tokens=tokens)
    cluster.load(30, namespaces=["team-a", "team-b", "team-c"])
    cluster.start()
    yield cluster
    cluster.stop()


async def test_ns_adds_and_drops_namespace_watches_under_rbac(
    tmp_path: Path, teams: SimCluster
) -> None:
    """14.2: a user allowed team-a and team-b starts on team-a; :ns team-a team-b starts
    the watch of team-b; :ns team-c says it is forbidden, as the launch path does."""
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), [teams], token="team-token", namespace="team-a")
    app = KtuiApp(KubeCatalog(str(path)), settings=Settings(), clock=fixed_clock)

    def count(namespace: str) -> int:
        return sum(e["metadata"]["namespace"] == namespace for e in teams.events())

    async with app.run_test(size=(160, 48)) as pilot:
        explorer = app.explorer
        await wait_for(pilot, lambda: explorer.session is not None
                       and len(explorer.session.store) == count("team-a"), timeout=20)
        await pilot.press("colon", *"ns team-a team-b", "enter")
        await wait_for(pilot, lambda: explorer.session is not None
                       and explorer.session.store.namespaces.get("team-b") is not None
                       and explorer.session.store.namespaces["team-b"].total == count("team-b"),
                       timeout=20)
        assert explorer.table.row_count == count("team-a") + count("team-b")
        await pilot.press("colon", *"ns team-c", "enter")
        await wait_for(pilot, lambda: "forbidden" in explorer.header.state.state
                       and "team-c" in explorer.header.state.state, timeout=20)
        assert "team-c" in str(explorer.table.empty_message)


async def test_in_full_screen_detail_movement_keys_scroll_the_event(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """14.6: in z, PgDn and j scroll the long message instead of moving to another event;
    the footer shows the detail's keys, not the sidebar's."""
    clusters[0].emit(namespace="test", reason="Failed", type="Warning", kind="Pod",
                     name="long-1", message="line of a long message " * 9000)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        explorer = app.explorer
        await wait_for(pilot, lambda: explorer.table.row_count == len(clusters[0].events()))
        table = explorer.table
        row = next(r for r in range(table.row_count)
                   if table.event_at(r).object.name == "long-1")  # type: ignore[union-attr]
        table.move_cursor(row)
        await pilot.press("z")
        await pilot.pause()
        assert explorer.detail.has_focus
        await pilot.press("pagedown", "j", "j")
        await pilot.pause()
        assert explorer.detail.scroll_y > 0
        assert table.cursor == row and table.selected is not None
        assert table.selected.object.name == "long-1"
        footer = " ".join(str(key.description) for key in app.screen.query("FooterKey"))
        assert "Page down" in footer and "Toggle ns" not in footer
        await pilot.press("z")
        assert table.has_focus


async def test_x_hides_expired_events_and_the_header_counts_them(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """14.9: ktui keeps expired events (struck through): the header says how many are
    live and how many expired, and x hides the expired ones."""
    app = make_app()
    cluster = clusters[0]
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        explorer = app.explorer
        total = explorer.table.row_count
        gone = [e["metadata"]["uid"] for e in cluster.events()[:3]]
        for uid in gone:
            cluster.expire(uid)
        await wait_for(pilot, lambda: explorer.header.state.expired == 3)
        assert "3 expired" in str(explorer.header.render())
        await pilot.press("x")
        assert explorer.table.row_count == total - 3
        assert explorer.header.state.expired_hidden == 3
        await pilot.press("x")
        assert explorer.table.row_count == total


async def test_y_inside_tmux_without_clipboard_says_what_to_set_and_Y_writes_a_file(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """14.7: Y writes the event's JSON under $KTUI_DATA_DIR/exports and says where."""
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("Y")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        written = [m.removeprefix("wrote ") for m in messages if m.startswith("wrote ")]
        assert written
        path = Path(written[-1])
        data_dir = Path(__import__("os").environ["KTUI_DATA_DIR"])
        assert path.is_relative_to(data_dir / "exports") and path.exists()
        selected = app.explorer.table.selected
        assert selected is not None and selected.uid in path.read_text()


async def test_the_footer_keeps_help_and_quit_at_80_columns(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.pause()
        keys = {str(key.description): key for key in app.screen.query("FooterKey")}
        for name in ("Help", "Quit"):  # shown whole, inside the 80 columns
            assert keys[name].display and keys[name].region.width > 0
            assert keys[name].region.right <= 80


async def test_r_retries_now_instead_of_waiting(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """Issue 10.4: a 429 asking for a minute's wait; r tries again at once."""
    clusters[0].faults.fail_next(1, status=429, retry_after=60)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        explorer = app.explorer
        await wait_for(pilot, lambda: explorer.session is not None
                       and explorer.session.status.retry_at is not None, timeout=20)
        await pilot.press("r")
        await wait_for(pilot, loaded(app, clusters[0]), timeout=15)
