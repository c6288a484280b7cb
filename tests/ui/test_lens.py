"""The incident lens in the TUI, against the simulator: o, group rows, enter/esc, live
counts, :group, y on a group, e (the report), rollout ticks, what a reason means, owners
read from the cluster (and the naming rules where RBAC forbids it), time to diagnosis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import Static

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.model.event import from_core_v1
from ktui.model.grouping import OWNER, REASON, Group, group_events
from ktui.model.reasons import explain as explain_lines
from ktui.model.report import group_summary
from ktui.model.rollouts import rollouts
from ktui.sim import Grant, SimCluster, write_kubeconfig
from ktui.ui.app import KtuiApp
from ktui.ui.widgets.detail import DetailPane
from ktui.ui.widgets.event_table import EventTable
from ktui.ui.widgets.group_table import GroupTable
from ktui.ui.widgets.lens_bar import LensBar
from tests.ui.conftest import NOW, fixed_clock, loaded, wait_for


def truth(cluster: SimCluster, by: str = OWNER, warnings_only: bool = False) -> list[Group]:
    """The groups of the cluster's events, worked out by the model from the simulator's
    own objects (the naming rules: this fixture serves no workloads)."""
    events = sorted((from_core_v1(obj, context=cluster.name) for obj in cluster.events()),
                    key=lambda e: e.time)
    if warnings_only:
        events = [e for e in events if e.type == "Warning"]
    return group_events(events, by)


def lines(widget: object) -> list[str]:
    height = widget.size.height  # type: ignore[attr-defined]
    return [widget.render_line(y).text for y in range(height)]  # type: ignore[attr-defined]


def select(groups: GroupTable, display: str) -> Group:
    row = next(r for r in range(groups.row_count)
               if groups.group_at(r).display == display)  # type: ignore[union-attr]
    groups.move_cursor(row)
    selected = groups.selected
    assert selected is not None
    return selected


def rows(groups: GroupTable) -> dict[str, Group]:
    return {g.display: g for g in groups.groups}


async def test_o_cycles_owner_reason_none_and_rows_match_the_model(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        explorer = app.explorer
        groups, table = app.query_one(GroupTable), app.query_one(EventTable)
        assert groups.has_class("-hidden") and not table.has_class("-hidden")
        await pilot.press("o")
        assert explorer.lens.lens.by == OWNER
        assert not groups.has_class("-hidden") and table.has_class("-hidden")
        assert groups.has_focus
        expected = {g.display: (g.warnings, g.normals, g.size, len(g.objects))
                    for g in truth(clusters[0])}
        assert {g.display: (g.warnings, g.normals, g.size, len(g.objects))
                for g in groups.groups} == expected
        assert {"deployment/scenario-a", "deployment/scenario-b",
                "deployment/scenario-c"} <= set(expected)
        # newest first, and the header names the grouping and counts the rows
        shown = [groups.group_at(r).last_seen for r in range(groups.row_count)]  # type: ignore[union-attr]
        assert shown == sorted(shown, reverse=True)
        assert f"OWNER ({len(expected)})" in lines(groups)[0]
        assert all(r in ("name", "self") for r in
                   {groups.group_at(r).resolved_by for r in range(3)})  # type: ignore[union-attr]
        await pilot.press("o")
        assert explorer.lens.lens.by == REASON
        assert {g.display: g.size for g in groups.groups} == {
            g.display: g.size for g in truth(clusters[0], REASON)}
        assert "REASON (" in lines(groups)[0]
        await pilot.press("o")
        assert explorer.lens.lens.by is None
        assert groups.has_class("-hidden") and not table.has_class("-hidden")
        assert table.has_focus
        # o is in the command palette too
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert "key o" in commands["Group"] and "key e" in commands["Report"]


async def test_enter_opens_a_groups_events_and_esc_goes_back(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        groups, table = app.query_one(GroupTable), app.query_one(EventTable)
        await pilot.press("o")
        group = select(groups, "deployment/scenario-b")
        await pilot.press("enter")
        assert groups.has_class("-hidden") and not table.has_class("-hidden")
        assert table.has_focus
        assert table.row_count == group.size == 8
        names = {table.event_at(r).object.name for r in range(table.row_count)}  # type: ignore[union-attr]
        assert names == {"scenario-b", "scenario-b-cff56c84", "scenario-b-cff56c84-xn9hh"}
        bar = app.query_one(LensBar)
        assert bar.has_class("-active") and "deployment/scenario-b in test" in bar.text
        # the detail opens and closes inside the group; esc then goes back to the rows
        await pilot.press("enter")
        assert not app.query_one(DetailPane).has_class("-hidden")
        await pilot.press("escape")
        assert app.query_one(DetailPane).has_class("-hidden") and not table.has_class("-hidden")
        await pilot.press("w")  # filters apply inside the group too
        assert table.row_count == group.warnings == 3
        await pilot.press("escape")
        assert not groups.has_class("-hidden") and table.has_class("-hidden")
        assert not bar.has_class("-active") and groups.has_focus
        assert groups.selected is not None
        assert groups.selected.display == "deployment/scenario-b"
        assert app.explorer.query_state.types == {"Warning"}  # esc left the group, not w
        await pilot.press("escape")
        assert app.explorer.query_state.is_empty  # the next esc clears the filter


async def test_counts_stay_live_in_rows_and_in_an_opened_group(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    cluster = clusters[0]
    pod = "scenario-a-5f8b9c7d6-x2x9k"
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, cluster))
        groups, table = app.query_one(GroupTable), app.query_one(EventTable)
        await pilot.press("w", "o")
        before = rows(groups)["deployment/scenario-a"].warnings
        assert all(g.normals == 0 for g in groups.groups)  # w applies before grouping
        cluster.emit("test", "FailedMount", 'secret "misspelt-secret-name" not found (again)',
                     "Warning", "Pod", pod, time=NOW - 1)
        await wait_for(pilot, lambda: rows(groups)["deployment/scenario-a"].warnings
                       == before + 1)
        assert groups.selected is not None
        assert groups.selected.display == "deployment/scenario-a"  # the newest row now
        assert "(again)" in "\n".join(lines(groups))
        await pilot.press("enter")
        size = table.row_count
        cluster.emit("test", "FailedMount", "and again", "Warning", "Pod", pod, time=NOW)
        await wait_for(pilot, lambda: table.row_count == size + 1)
        assert table.event_at(0).message == "and again"  # type: ignore[union-attr]


async def test_the_group_command(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        groups = app.query_one(GroupTable)
        explorer = app.explorer
        explorer.run_command("group object")
        await pilot.pause()
        assert explorer.lens.lens.by == "object" and not groups.has_class("-hidden")
        assert {g.display for g in groups.groups} >= {"pod/scenario-b-cff56c84-xn9hh",
                                                      "deployment/scenario-b"}
        assert "OBJECT (" in lines(groups)[0]
        explorer.run_command("group pods[/]")
        await pilot.pause()
        assert explorer.lens.lens.by == "object"  # unchanged, and said literally
        assert any("unknown grouping 'pods[/]'" in str(n.message) and not n.markup
                   for n in app._notifications)
        explorer.run_command("group none")
        await pilot.pause()
        assert explorer.lens.lens.by is None and groups.has_class("-hidden")


async def test_y_on_a_group_copies_its_summary(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        groups = app.query_one(GroupTable)
        await pilot.press("o")
        group = select(groups, "deployment/scenario-a")
        await pilot.press("y")
        assert app.clipboard == group_summary(group)
        assert app.clipboard.startswith("deployment/scenario-a in test (grouped by name)")
        assert 'secret "misspelt-secret-name" not found' in app.clipboard
        await pilot.press("enter", "y")  # inside the group, y copies the event's JSON again
        assert app.clipboard.lstrip().startswith("{")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("KTUI_DATA_DIR", str(path))
    return path


async def test_e_writes_the_view_as_markdown(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster], data_dir: Path
) -> None:
    app = make_app()
    reports = data_dir / "reports"
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w", "o", "e")
        await wait_for(pilot, lambda: any("report written" in str(n.message)
                                          for n in app._notifications))
        (path,) = reports.iterdir()
        assert path.name == "demo-20251122T082640Z.md"  # the context, the (fixed) time
        text = path.read_text(encoding="utf-8")
        assert "- **Filter:** type:Warning" in text and "- **Grouped by:** owner" in text
        assert "deployment/scenario-b" in text and "misspelt-secret-name" in text
        assert any(str(path) in str(n.message) for n in app._notifications)
        app.clear_notifications()
        groups = app.query_one(GroupTable)
        select(groups, "deployment/scenario-c")
        await pilot.press("enter", "e")  # an opened group: its events
        await wait_for(pilot, lambda: len(list(reports.iterdir())) == 2)
        second = reports / "demo-20251122T082640Z-2.md"
        text = second.read_text(encoding="utf-8")
        assert "group:deployment/scenario-c" in text and "Grouped by" not in text
        assert "Insufficient cpu" in text and "scenario-b" not in text


async def test_a_report_that_cannot_be_written_is_said(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster], data_dir: Path
) -> None:
    data_dir.mkdir()
    (data_dir / "reports").write_text("a file where the directory should be")
    app = make_app()
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("e")
        await wait_for(pilot, lambda: any("report not written" in str(n.message)
                                          for n in app._notifications))
        assert app.is_running


def axis(app: KtuiApp) -> tuple[str, list[tuple[str, bool]]]:
    """The sparkline's axis line, and its rollout ticks (glyph, reversed)."""
    sparkline = app.explorer.sparkline
    strip = sparkline.render_line(sparkline.size.height - 1)
    ticks = [(s.text, bool(s.style and s.style.reverse)) for s in strip if s.text == "↑"]
    return strip.text, ticks


async def test_rollout_ticks_under_the_sparkline(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        sparkline = app.explorer.sparkline

        def drawn() -> bool:  # the sparkline follows the store at most twice a second
            histogram = sparkline.histogram
            return histogram is not None and sum(histogram.normal) + sum(
                histogram.warning) == len(app.explorer.live.store.visible)  # type: ignore[union-attr]

        await wait_for(pilot, drawn)
        events = sorted((from_core_v1(o, context="demo") for o in clusters[0].events()),
                        key=lambda e: e.time)

        def in_window() -> list[float]:
            histogram = sparkline.histogram
            assert histogram is not None
            end = histogram.start + histogram.interval * len(histogram.normal)
            return [r.time for r in rollouts(events) if histogram.start <= r.time < end]

        expected = in_window()
        assert expected and list(sparkline.rollouts) == expected and not sparkline.chosen
        _, ticks = axis(app)
        assert ticks and not any(reversed_ for _, reversed_ in ticks)
        await pilot.press("w")  # the rollouts' events are Normal: their ticks stay
        assert list(sparkline.rollouts) == in_window() and NOW - 1500 in in_window()
        await pilot.press("o")
        select(app.query_one(GroupTable), "deployment/scenario-b")
        await pilot.pause()
        mine = [r.time for r in rollouts(events)
                if r.deployment == ("Deployment", "test", "scenario-b")]
        assert list(sparkline.chosen) == mine == [NOW - 1500]
        assert any(reversed_ for _, reversed_ in axis(app)[1])  # it stands out
        select(app.query_one(GroupTable), "pod/nginx")  # no Deployment: none chosen
        await pilot.pause()
        assert not sparkline.chosen
        await pilot.press("colon", *"ns default", "enter")  # only the namespaces shown
        assert all(t not in sparkline.rollouts for t in mine)


async def test_the_detail_says_what_a_reason_means(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        table = app.query_one(EventTable)
        row = next(r for r in range(table.row_count)
                   if table.event_at(r).reason == "FailedMount")  # type: ignore[union-attr]
        table.move_cursor(row)
        await pilot.press("enter")
        explain = app.query_one("#detail-explain", Static)
        text = "\n".join(s.text for line in explain.render_lines(Region(0, 0, 80, 30))
                         for s in line)
        assert not explain.has_class("-none")
        said = explain_lines(table.selected)  # type: ignore[arg-type]
        assert said is not None and said[-1] == "$ kubectl get secret,configmap,pvc -n test"
        # wrapped to the pane: every word of the three lines, in order
        assert "".join(text.split()) == "".join("".join(said).split())
        row = next(r for r in range(table.row_count)
                   if table.event_at(r).reason == "Scheduled")  # type: ignore[union-attr]
        table.move_cursor(row)
        await pilot.pause()
        assert explain.has_class("-none")  # nothing to say about a Pod being scheduled


# -- owners read from the cluster --------------------------------------------------------

TOKENS = {"admin-token": Grant.all(), "no-pods": Grant(forbidden={"pods"})}


@pytest.fixture
def owners_cluster() -> Iterator[SimCluster]:
    cluster = SimCluster(name="shop", scenario="owners", seed=5, now=fixed_clock,
                         tokens=TOKENS)
    cluster.start()
    yield cluster
    cluster.stop()


def owners_app(cluster: SimCluster, tmp_path: Path, token: str) -> KtuiApp:
    path = tmp_path / f"kubeconfig-{token}"
    write_kubeconfig(str(path), [cluster], token=token)
    return KtuiApp(KubeCatalog(str(path)), settings=Settings(), clock=fixed_clock)


async def test_owners_come_from_ownerreferences_the_cluster_serves(
    owners_cluster: SimCluster, tmp_path: Path
) -> None:
    app = owners_app(owners_cluster, tmp_path, "admin-token")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, loaded(app, owners_cluster))
        groups = app.query_one(GroupTable)
        await pilot.press("o")
        # Only ownerReferences tie db-0/db-1 to their StatefulSet and log-agent-* to their
        # DaemonSet (no event is about either): read in the background, then regrouped.
        await wait_for(pilot, lambda: {"statefulset/db", "daemonset/log-agent"}
                       <= set(rows(groups)))
        found = rows(groups)
        assert found["statefulset/db"].resolved_by == "ownerReferences"
        assert found["daemonset/log-agent"].resolved_by == "ownerReferences"
        assert {o.name for o in found["statefulset/db"].objects} == {"db-0", "db-1"}
        assert found["deployment/web"].resolved_by == "ownerReferences"
        assert found["cronjob/report"].resolved_by == "ownerReferences"
        assert found["pod/debug-shell"].resolved_by == "self"
        assert any("refs" in line for line in lines(groups))


async def test_owners_fall_back_to_names_quietly_where_pods_are_forbidden(
    owners_cluster: SimCluster, tmp_path: Path
) -> None:
    app = owners_app(owners_cluster, tmp_path, "no-pods")
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_for(pilot, loaded(app, owners_cluster))
        groups = app.query_one(GroupTable)
        await pilot.press("o")
        fetcher = app.explorer.lens.lens.fetcher
        assert fetcher is not None

        def refused_and_regrouped() -> bool:
            # the regroup after what was read (ReplicaSets, Jobs) is done, not only owed
            reader = fetcher.reader("shop")
            return (reader is not None and ("pods", "shop") in reader.forbidden
                    and app.explorer.lens.lens.settled)

        await wait_for(pilot, refused_and_regrouped)
        found = rows(groups)
        # the naming rules: a Deployment's Pods by their hash; the StatefulSet's Pods
        # stay themselves (a name like db-0 proves nothing)
        assert found["deployment/web"].resolved_by == "name"
        assert "pod/db-0" in found and "statefulset/db" not in found
        assert not [n for n in app._notifications if n.severity == "error"]
        assert app.is_running


# -- time to diagnosis -------------------------------------------------------------------

CAUSES = ('"misspelt-secret-name"', '"wrong-image"', "Insufficient cpu")


async def test_time_to_diagnosis_w_o_shows_the_three_causes_at_80x24(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    """``ktui --demo`` at 80x24, then w and o: the causes of namespace test's three
    broken Deployments are readable on one screen at once (the message text, wrapped)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w", "o")
        await pilot.pause()
        groups = app.query_one(GroupTable)
        region = groups.region
        assert region.y + region.height <= 24 and region.width >= 79  # wholly on screen
        screen = "\n".join(lines(groups))
        for cause in CAUSES:
            assert cause in screen, (cause, screen)
        # and every cause sits under its own Deployment's row
        for deployment, cause in zip(("scenario-a", "scenario-b", "scenario-c"), CAUSES,
                                     strict=True):
            row = screen.index(f"deployment/{deployment}")
            following = screen[row:].split("deployment/", 2)[1]
            assert cause in following, (deployment, cause)


async def test_hostile_names_and_messages_in_group_rows(tmp_path: Path) -> None:
    from tests.ui.test_hostile import UNSAFE

    cluster = SimCluster(name="hostile", scenario="hostile", seed=3, now=fixed_clock)
    cluster.start()
    try:
        path = tmp_path / "kubeconfig"
        write_kubeconfig(str(path), [cluster], token="admin-token")
        app = KtuiApp(KubeCatalog(str(path)), settings=Settings(), clock=fixed_clock)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(pilot, loaded(app, cluster))
            groups = app.query_one(GroupTable)
            seen: list[str] = []
            for grouping in ("owner", "object", "reason"):
                app.explorer.run_command(f"group {grouping}")
                await pilot.pause()
                for row in range(groups.row_count):
                    groups.move_cursor(row)
                    await pilot.pause()
                    strips = [groups.render_line(y) for y in range(groups.size.height)]
                    for strip in strips:
                        for segment in strip:
                            assert not UNSAFE.search(segment.text), repr(segment.text[:80])
                            assert segment.style is None or segment.style.link is None
                    seen += [s.text for s in strips]
                    await pilot.press("enter")  # the bar over the group: inert too
                    bar = str(app.query_one(LensBar).render())
                    assert not UNSAFE.search(bar), repr(bar)
                    await pilot.press("escape")
            text = "\n".join(seen)
            assert "[bold red]x[/]" in text  # markup in a reason shows literally
            assert "pod/pod-[/]" in text and "\\x1b" in text  # controls made visible
    finally:
        cluster.stop()



async def test_several_contexts_group_apart_with_a_ctx_column(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster]
) -> None:
    app = make_app(context="demo,prod-eu-west-1")
    total = sum(len(c.events()) for c in clusters)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.explorer.live.store is not None
                       and len(app.explorer.live.store) == total)
        groups = app.query_one(GroupTable)
        await pilot.press("o")
        contexts = {g.context for g in groups.groups}
        assert contexts == {"demo", "prod-eu-west-1"}
        # an owner of the same name in two clusters is two rows
        expected = {(c.name, g.display) for c in clusters for g in truth(c)}
        assert {(g.context, g.display) for g in groups.groups} == expected
        assert groups.show_context and lines(groups)[0].startswith("CTX")
