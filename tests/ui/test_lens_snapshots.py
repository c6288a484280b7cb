"""Snapshots of the incident lens at 80x24 and 160x48: group rows by owner (all events,
warnings only, hostile text) and an opened group. Fixed clock, simulated clusters.

Review `snapshot_report.html` before accepting a change with --snapshot-update.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from tests.ui.conftest import SIZES, Compare, fixed_clock, ready


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "keys",
    [("o",), ("w", "o"), ("o", "j", "enter")],
    ids=["by-owner", "warnings-by-owner", "group-opened"],
)
def test_lens(snap_compare: Compare, make_app: Callable[..., KtuiApp],
              clusters: list[SimCluster], size: tuple[int, int], keys: tuple[str, ...]) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=ready(app, clusters[0], *keys))


@pytest.mark.parametrize("size", SIZES)
def test_hostile_group_rows(snap_compare: Compare, hostile_kubeconfig: tuple[SimCluster, str],
                           size: tuple[int, int]) -> None:
    cluster, kubeconfig = hostile_kubeconfig
    app = KtuiApp(KubeCatalog(kubeconfig), settings=Settings(), clock=fixed_clock)
    assert snap_compare(app, terminal_size=size, run_before=ready(app, cluster, "o"))
