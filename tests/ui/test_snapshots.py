"""Snapshots of the explorer at 80x24 and 160x48, fixed clock, simulated clusters.

Review `snapshot_report.html` before accepting a change with --snapshot-update.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from tests.ui.conftest import SIZES, Compare, fixed_clock, ready, wait_for


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "keys",
    [(), ("w",), ("colon", *"ns test", "enter"), ("j", "enter"), ("c",)],
    ids=["all", "warnings", "one-namespace", "detail", "context-switcher"],
)
def test_explorer(snap_compare: Compare, make_app: Callable[..., KtuiApp],
                  clusters: list[SimCluster], size: tuple[int, int], keys: tuple[str, ...]) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=ready(app, clusters[0], *keys))


BROKEN_KUBECONFIG = """\
apiVersion: v1
kind: Config
contexts:
- name: staging
  context: {cluster: staging, user: staging
"""


@pytest.fixture
def broken_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kubeconfig with a YAML error: the app must say so and keep running. (The
    unreachable-server state retries with a countdown, so it is tested by a pilot test
    rather than pinned in a snapshot.)"""
    (tmp_path / "kubeconfig").write_text(BROKEN_KUBECONFIG)
    monkeypatch.chdir(tmp_path)  # a relative path keeps the message the same every run
    return "kubeconfig"


@pytest.mark.parametrize("size", SIZES)
def test_error_state(snap_compare: Compare, broken_kubeconfig: str, size: tuple[int, int]) -> None:
    app = KtuiApp(KubeCatalog(broken_kubeconfig), settings=Settings(), clock=fixed_clock)

    async def run_before(pilot: Pilot) -> None:
        # show_error sets the message, the header and the notification at once: what is
        # left to settle are the messages it posted
        await wait_for(pilot, lambda: "⚠" in str(app.explorer.table.empty_message))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_hostile_events(snap_compare: Compare, hostile_kubeconfig: tuple[SimCluster, str],
                        size: tuple[int, int]) -> None:
    cluster, kubeconfig = hostile_kubeconfig
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock)
    assert snap_compare(app, terminal_size=size, run_before=ready(app, cluster, "enter"))
