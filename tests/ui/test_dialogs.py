"""Every dialog ignores input once it is dismissing (issue 10, item 1).

A terminal delivers a double Enter (or a paste ending in newlines) as key events queued
back to back: the dialog sees its Submitted/Selected message twice. The second one used
to dismiss a screen that was already gone (``ScreenStackError: Can't pop screen``), which
ended the session. :func:`burst` queues keys the same way, without letting the app idle
between them (``pilot.press`` waits after each key, which hides the bug).

Real app, real simulator over HTTP, views in a temporary KTUI_CONFIG_DIR.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.screens.explorer import ExplorerScreen
from ktui.ui.screens.pickers import ContextPicker, Prompt
from ktui.ui.screens.views import Confirm, NamePrompt, ViewsScreen
from ktui.views.store import SavedView, ViewStore
from tests.ui.conftest import loaded, wait_for

SIZE = (140, 40)


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def store(config_dir: Path) -> ViewStore:
    return ViewStore(config_dir / "views")


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Queue ``keys`` at once, as a terminal read of ``\\r\\r`` does, then let the app
    handle them."""
    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        character = {"enter": "\r", "escape": "\x1b"}.get(key, key if len(key) == 1 else None)
        driver.send_message(events.Key(key, character))
    await pilot.pause()
    await pilot.pause()


async def until_screen(pilot: Pilot[Any], kind: type[object]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind))


@dataclass(frozen=True)
class Typed:
    """A value put into the dialog's input at once (a paste)."""

    value: str


Step = str | type | Typed
"""A key to press, a dialog to wait for, or a value for its input."""


@dataclass(frozen=True)
class Answered:
    """One dialog answered twice at once: how to open it, the burst, where the app must be
    after it (the explorer, or the views list for a dialog opened from there) and what
    the one answer must have done (``effect`` comes to equal ``expected``)."""

    opens: tuple[Step, ...]
    effect: Callable[[KtuiApp, ViewStore, list[SimCluster]], object] | None = None
    expected: object = None
    views: tuple[SavedView, ...] = ()
    burst: tuple[str, ...] = ("enter", "enter")
    back_in: type = ExplorerScreen


def names(store: ViewStore) -> list[str]:
    return [view.name for view in store.load_all()[0]]


DOUBLE_ANSWERS = {
    "filter-prompt": Answered(
        opens=("slash", "x", Prompt),
        effect=lambda app, store, clusters: app.explorer.query_state.text, expected="x"),
    "command-prompt": Answered(
        opens=("colon", Prompt, Typed("ns payments")),
        effect=lambda app, store, clusters: app.explorer.query_state.namespaces,
        expected=frozenset({"payments"})),
    # Live mode refuses the range with a note; the point is that one answer closes the
    # prompt once and the session goes on.
    "time-range-prompt": Answered(opens=("T", Prompt, Typed("6h"))),
    "context-picker": Answered(
        opens=("c", ContextPicker, "down"),
        effect=lambda app, store, clusters: loaded(app, clusters[1])(), expected=True),
    "views-list": Answered(
        views=(SavedView("warnings", types=("Warning",)),),
        opens=("v", ViewsScreen),
        effect=lambda app, store, clusters: app.explorer.query_state.types,
        expected=frozenset({"Warning"})),
    # A second submit would have found the view it had just saved and asked to replace
    # it (or crashed): the explorer is back, and one view is saved.
    "save-prompt-saves-once": Answered(
        opens=("ctrl+s", NamePrompt, *"mine"),
        effect=lambda app, store, clusters: names(store), expected=["mine"]),
    "rename-prompt": Answered(
        views=(SavedView("old"),),
        opens=("v", ViewsScreen, "r", NamePrompt, Typed("new")),
        back_in=ViewsScreen,  # back in the list, still open
        effect=lambda app, store, clusters: names(store), expected=["new"]),
    "delete-confirmation": Answered(
        views=(SavedView("gone"), SavedView("kept")),
        opens=("v", ViewsScreen, "d", Confirm),
        burst=("y", "y"),
        back_in=ViewsScreen,
        effect=lambda app, store, clusters: names(store), expected=["kept"]),
}


@pytest.mark.parametrize("case", DOUBLE_ANSWERS.values(), ids=DOUBLE_ANSWERS.keys())
async def test_a_double_answer_closes_the_dialog_once(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster], store: ViewStore,
    case: Answered,
) -> None:
    for view in case.views:
        store.save(view)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        for step in case.opens:
            if isinstance(step, Typed):
                app.screen.query_one(Input).value = step.value
            elif isinstance(step, type):
                await until_screen(pilot, step)
            else:
                await pilot.press(step)
        await burst(pilot, *case.burst)
        assert isinstance(app.screen, case.back_in)
        if case.back_in is ExplorerScreen:
            assert len(app.screen_stack) == 1
        effect = case.effect
        if effect is not None:
            await wait_for(pilot, lambda: effect(app, store, clusters) == case.expected)
        if case.back_in is ExplorerScreen:
            await pilot.press("slash")  # the app still answers
            assert isinstance(app.screen, Prompt)
    assert app.return_code in (None, 0)


async def test_password_prompt_double_enter(make_app: Callable[..., KtuiApp],
                                            clusters: list[SimCluster]) -> None:
    app = make_app()
    answers: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        # ask_password is called from a history worker thread and waits for the modal.
        asker = threading.Thread(target=lambda: answers.append(app.ask_password()))
        asker.start()
        await until_screen(pilot, Prompt)
        await pilot.press("s", "3", "c")
        await burst(pilot, "enter", "enter")
        await wait_for(pilot, lambda: not asker.is_alive())
        assert not isinstance(app.screen, Prompt)
    assert answers == ["s3c"]


async def test_double_escape_closes_one_dialog_at_a_time(
    make_app: Callable[..., KtuiApp], clusters: list[SimCluster], store: ViewStore
) -> None:
    store.save(SavedView("one"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("v")
        await until_screen(pilot, ViewsScreen)
        await pilot.press("r")
        await until_screen(pilot, NamePrompt)
        await burst(pilot, "escape", "escape")
        assert len(app.screen_stack) == 1
        await pilot.press("slash")
        await burst(pilot, "escape", "escape", "escape")
        assert len(app.screen_stack) == 1
