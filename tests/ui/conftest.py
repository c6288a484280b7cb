"""UI tests run the real app against simulated clusters over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.sim import SimCluster, write_kubeconfig
from ktui.ui.app import KtuiApp

# A fixed "now" for every UI test: ages and the sparkline axis come out the same each run.
NOW = 1_763_800_000.0  # 2025-11-22T08:26:40Z


# The demo's scenarios without its steady trickle, so every run sees the same events.
STILL_DEMO = "scenario-a,scenario-b,scenario-c,lifecycle,rolling-update,node-pressure"


# Snapshot sizes: the smallest supported terminal and a roomy one (the ids name the SVGs).
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]

Compare = Callable[..., bool]
"""pytest-textual-snapshot's ``snap_compare`` fixture."""


def fixed_clock() -> float:
    return NOW


@pytest.fixture
def clusters() -> Iterator[list[SimCluster]]:
    pair = [
        SimCluster(name="demo", scenario=STILL_DEMO, seed=1, now=fixed_clock),
        SimCluster(name="prod-eu-west-1", scenario="lifecycle", seed=2, now=fixed_clock),
    ]
    for cluster in pair:
        cluster.start()
    yield pair
    for cluster in pair:
        cluster.stop()


@pytest.fixture
def hostile_kubeconfig(tmp_path: Path) -> Iterator[tuple[SimCluster, str]]:
    """A cluster of hostile events (markup, control sequences, huge text) and its
    kubeconfig."""
    cluster = SimCluster(name="hostile", scenario="hostile", seed=3, now=fixed_clock)
    cluster.start()
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), [cluster], token="admin-token")
    yield cluster, str(path)
    cluster.stop()


@pytest.fixture
def kubeconfig(tmp_path: Path, clusters: list[SimCluster]) -> str:
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), clusters, token="admin-token", current="demo")
    return str(path)


@pytest.fixture
def make_app(kubeconfig: str) -> Callable[..., KtuiApp]:
    def make(**kwargs: object) -> KtuiApp:
        kwargs.setdefault("clock", fixed_clock)
        kwargs.setdefault("settings", Settings())
        return KtuiApp(KubeCatalog(kubeconfig), **kwargs)  # type: ignore[arg-type]

    return make


async def wait_for(pilot: object, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run (timers, source thread) until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    raise AssertionError("condition not met within the timeout")


def loaded(app: KtuiApp, cluster: SimCluster) -> Callable[[], bool]:
    def check() -> bool:
        session = app.explorer.session
        return (
            session is not None
            and session.context == cluster.name
            and len(session.store) == len(cluster.events())
            and session.status.state.value == "watching"
        )

    return check


async def settle(pilot: Pilot, app: KtuiApp) -> None:
    """Before a snapshot, once the events are in: the sparkline is drawn, the grouping (if
    any) has taken every owner read and regrouped, and every message posted on the way (a
    cursor move, a resize) is handled. Conditions, not a pause that hopes."""
    explorer = app.explorer
    await wait_for(pilot, lambda: explorer.sparkline.histogram is not None
                   and explorer.lens.lens.settled)
    await pilot.pause()


def ready(app: KtuiApp, cluster: SimCluster, *keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """A snapshot's ``run_before``: wait until ``cluster`` is loaded and watched, press
    ``keys``, then let the screen settle."""

    async def run_before(pilot: Pilot) -> None:
        await wait_for(pilot, loaded(app, cluster))
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot, app)

    return run_before
