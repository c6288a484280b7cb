"""Snapshots of the saved-view screens over the real app and simulator.

Regenerate with ``pytest tests/ui/test_views_snapshots.py --snapshot-update`` and look at
the SVGs in ``__snapshots__/test_views_snapshots/`` before committing them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ktui.model.timerange import TimeRange
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.screens.views import NamePrompt, ViewsScreen
from ktui.views.store import SavedView, ViewStore
from tests.ui.conftest import SIZES, loaded, wait_for
from tests.ui.test_views_ui import make_views_app


@pytest.fixture(autouse=True)
def views_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config" / "views"


@pytest.fixture
def app(kubeconfig: str) -> KtuiApp:
    return make_views_app(kubeconfig)


@pytest.mark.parametrize("size", SIZES)
def test_save_prompt(snap_compare: Any, app: KtuiApp, clusters: list[SimCluster],
                     size: tuple[int, int]) -> None:
    """ctrl+s over warnings in payments: title, what will be saved, the typed name."""

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w")
        app.explorer.apply_query(app.explorer.query_state.with_namespaces({"payments"}).with_text("-reason:Pulled"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, NamePrompt))
        await pilot.press(*"payments warnings")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_views_list_with_problems(snap_compare: Any, app: KtuiApp,
                                  clusters: list[SimCluster], views_path: Path,
                                  size: tuple[int, int]) -> None:
    """Three views (one history, one for the other context, one hostile name) and, in
    the error colour, a corrupt file and one from a newer ktui."""
    store = ViewStore(views_path)
    store.save(SavedView("payments warnings", types=("Warning",), namespaces=("payments",),
                         query="-reason:Pulled"))
    store.save(SavedView("last night", mode="history", time_range=TimeRange.last("12h"),
                         query="reason~BackOff", sort="oldest"))
    store.save(SavedView("prod", context="prod-eu-west-1", columns=("last_seen", "reason")))
    store.save(SavedView("[red]not red[/] \x1b[2J", query="kind:Pod"))
    (views_path / "corrupt.toml").write_bytes(b'name = "corrupt\n')
    (views_path / "future.toml").write_bytes(b'schema = 2\nname = "future"\n')

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewsScreen))

    assert snap_compare(app, terminal_size=size, run_before=run_before)
