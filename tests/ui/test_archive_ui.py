"""The TUI and the local archive, built as ``ktui`` builds itself (ktui.cli.ui_cmd.build),
against a simulated cluster: what it watches is archived (unless turned off, or the demo),
history reads the archive when no OpenSearch is configured, and a damaged archive is said
once and left as it is while the live view goes on."""

from __future__ import annotations

import argparse
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ktui import paths
from ktui.archive import ArchiveHistory, ArchiveOptions
from ktui.cli import _ui_parser
from ktui.cli.tui_archive import TuiArchive
from ktui.cli.ui_cmd import build
from ktui.model.event import from_core_v1
from ktui.model.query import Query
from ktui.model.timerange import TimeRange
from ktui.sim import SimCluster, write_kubeconfig
from tests.conftest import wait_until
from tests.ui.conftest import loaded, wait_for

SCRUBBED = ("KTUI_OPENSEARCH_URL", "OPENSEARCH_HOST", "KTUI_PRODUCTION_PATTERN")


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(directory))
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    return directory


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[SimCluster, str]]:
    sim = SimCluster(name="arc", scenario="lifecycle", seed=4)
    sim.load(300, namespaces=["test", "payments"])
    sim.start()
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), [sim], token="admin-token", current="arc")
    yield sim, str(path)
    sim.stop()


def args(*argv: str) -> argparse.Namespace:
    return _ui_parser().parse_args(list(argv))


def captured(app: Any) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    notify = app.notify

    def capture(message: str, **kwargs: Any) -> None:
        shown.append((message, kwargs.get("title", "")))
        notify(message, **kwargs)

    app.notify = capture
    return shown


def archived_uids(server: str) -> set[str]:
    source = ArchiveHistory(paths.archive_file(), server)
    try:
        return {e.uid for batch in source.iter_all(Query(), TimeRange.last("7d"))
                for e in batch}
    finally:
        source.close()


async def test_what_the_tui_watches_is_archived_and_history_reads_it(
    config_dir: Path, cluster: tuple[SimCluster, str]
) -> None:
    sim, kubeconfig = cluster
    app, stop = build(args("--kubeconfig", kubeconfig))
    archive = app.explorer.live.archive
    assert isinstance(archive, TuiArchive)
    want = {obj["metadata"]["uid"] for obj in sim.events()}
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, loaded(app, sim))
            await wait_for(pilot, lambda: app.explorer.header.state.archiving)
            assert "· archiving" in str(app.explorer.header.render())
            assert archive.writer.flush(30)
            assert archived_uids(sim.url) == want
            # No OpenSearch configured: h shows the archive of this context's cluster.
            await pilot.press("h")
            history = app.explorer.history
            await wait_for(pilot, lambda: history.session.status.state.value == "watching"
                           and history.session.total == len(want), timeout=30)
            assert history.session.store_name == "archive"
            assert "· archive" in str(app.explorer.header.render())
            assert {e.uid for e in history.store.all_events} <= want
            await pilot.press("q")
    finally:
        stop()
    assert archive.writer.status.state.value == "closed"


async def test_archive_off_writes_nothing(
    config_dir: Path, cluster: tuple[SimCluster, str]
) -> None:
    sim, kubeconfig = cluster
    (config_dir / "settings.toml").write_text("[archive]\nenabled = false\n", encoding="utf-8")
    app, stop = build(args("--kubeconfig", kubeconfig))
    assert app.explorer.live.archive is None
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, loaded(app, sim))
            assert not app.explorer.header.state.archiving
            assert "archiving" not in str(app.explorer.header.render())
            await pilot.press("q")
    finally:
        stop()
    assert not paths.archive_file().exists()


async def test_a_damaged_archive_is_said_once_and_left_alone(
    config_dir: Path, cluster: tuple[SimCluster, str]
) -> None:
    sim, kubeconfig = cluster
    path = paths.archive_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is not a database\n" * 300
    path.write_bytes(garbage)
    app, stop = build(args("--kubeconfig", kubeconfig))
    shown = captured(app)

    def told() -> list[str]:
        return [message for message, title in shown if title == "archive"]

    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, loaded(app, sim))
            await wait_for(pilot, lambda: bool(told()))
            assert len(told()) == 1
            assert "not a readable ktui archive" in told()[0]
            assert told()[0].endswith("ktui goes on without archiving.")
            assert not app.explorer.header.state.archiving
            sim.emit("test", "Created", "after the damage", name="late")
            await wait_for(pilot, loaded(app, sim))  # the live view goes on
            app.explorer._tick()  # the screen asks every second: nothing new to tell
            assert app.explorer.live.archive_notice() == ""
            assert len(told()) == 1
            await pilot.press("q")
    finally:
        stop()
    assert path.read_bytes() == garbage


def test_the_demo_is_not_archived(config_dir: Path) -> None:
    app, stop = build(args("--demo"))
    try:
        assert app.explorer.live.archive is None
        assert app.explorer.history.session.store_name == "OpenSearch"
    finally:
        stop()


def test_a_locked_archive_is_said_once_and_archiving_resumes(
    config_dir: Path, cluster: tuple[SimCluster, str]
) -> None:
    """Another program holds the archive's write lock: said once (what ktui does about
    it), the live channel goes on, and the changes are written once the lock goes."""
    sim, kubeconfig = cluster
    path = paths.archive_file()
    first = TuiArchive(path, kubeconfig, ArchiveOptions())
    first.channel("arc")  # creates the archive
    assert first.writer.flush(30) and first.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    archive = TuiArchive(path, kubeconfig, ArchiveOptions(), busy_timeout=0.05)
    channel = archive.channel("arc")
    threads: list[str] = []
    server = archive._server

    def spy(context: str) -> str | None:  # where the kubeconfig is read
        threads.append(threading.current_thread().name)
        return server(context)

    archive._server = spy  # type: ignore[method-assign]
    feed = threading.Thread(target=archive.bind, args=(channel, "arc", object()),
                            name="ktui-live-arc")
    feed.start()
    feed.join(10)
    assert threads == ["ktui-live-arc"]
    event = from_core_v1(sim.events()[0], context="arc")
    channel.put([event])
    assert channel.drain().upserts == [event]  # the live view gets it regardless
    said: list[str] = []

    def told() -> bool:
        text = archive.notice()
        if text:
            said.append(text)
        return bool(said)

    wait_until(told)
    assert len(said) == 1
    assert "is locked by another program" in said[0] and said[0].endswith(
        "ktui keeps trying; events may be left out meanwhile.")
    assert not archive.active
    holder.execute("COMMIT")
    holder.close()
    assert archive.writer.flush(30)
    assert archive.active and archive.notice() == ""
    assert event.uid in archived_uids(sim.url)
    assert archive.close()
