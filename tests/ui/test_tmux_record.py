"""End to end: ``ktui record`` in a real terminal pane (tmux), stopped as a person stops it
(ctrl+c in the pane, or ``tmux kill-pane``'s SIGHUP-free SIGTERM from a script): its
status lines show, it says what it archived, exits 0 without a traceback, and the archive
holds every event the cluster had."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ktui.archive import ArchiveHistory
from ktui.model.query import Query
from ktui.model.timerange import TimeRange
from ktui.sim import SimCluster, write_kubeconfig
from tests.ui.test_tmux_e2e import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@dataclass
class Pane:
    mux: Tmux
    sim: SimCluster
    archive: Path


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    sim = SimCluster(name="rec-pane", scenario="lifecycle", seed=9)
    sim.load(200, namespaces=["test", "payments"])
    sim.start()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", [sim])
    data = tmp_path / "data"
    env = {**os.environ, "HOME": str(tmp_path), "KTUI_CONFIG_DIR": str(tmp_path / "config"),
           "KTUI_DATA_DIR": str(data), "TERM": "xterm-256color", "TMUX": "",
           "TMUX_TMPDIR": str(tmp_path)}
    session = f"ktui-record-{uuid.uuid4().hex[:8]}"
    mux = Tmux(session, env)
    # The pane outlives the command so that its last lines and exit status can be read.
    command = (f"{sys.executable} -m ktui.cli record --kubeconfig {kubeconfig} "
               "--status-interval 0.5; echo exit=$?; sleep 600")
    mux.run("new-session", "-d", "-s", session, "-x", "160", "-y", "30", command)
    try:
        yield Pane(mux, sim, data / "archive.sqlite3")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=env,
                       capture_output=True, check=False)
        sim.stop()


def archived(pane: Pane) -> set[str]:
    source = ArchiveHistory(pane.archive, pane.sim.url)
    try:
        return {e.uid for batch in source.iter_all(Query(), TimeRange.last("7d"))
                for e in batch}
    finally:
        source.close()


def test_ctrl_c_in_the_pane_stops_ktui_record_cleanly(pane: Pane) -> None:
    mux = pane.mux
    mux.wait_for("ktui record: recording rec-pane", "ktui record: watching", timeout=60)
    late = pane.sim.emit("test", "Created", "while recording", name="late")
    mux.keys("C-c")
    screen = mux.wait_for("ktui record: stopped:", "exit=0", timeout=60)
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen
    stopped = next(line for line in screen.splitlines() if "ktui record: stopped:" in line)
    assert "events archived" in stopped and "dropped" not in stopped
    want = {obj["metadata"]["uid"] for obj in pane.sim.events()}
    assert late["metadata"]["uid"] in want
    assert archived(pane) == want


def test_sigterm_stops_it_too(pane: Pane) -> None:
    mux = pane.mux
    mux.wait_for("ktui record: watching", timeout=60)
    pid = mux.run("display-message", "-p", "-t", mux.session, "#{pane_pid}").strip()
    # the pane runs sh, whose child is ktui record
    children = subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True,
                              check=False).stdout.split()
    assert children, "ktui record is not running under the pane's shell"
    os.kill(int(children[0]), signal.SIGTERM)
    screen = mux.wait_for("ktui record: stopped:", "exit=0", timeout=60)
    assert "Traceback" not in screen
    assert archived(pane) == {obj["metadata"]["uid"] for obj in pane.sim.events()}
