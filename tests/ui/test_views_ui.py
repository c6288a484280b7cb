"""Saved views in the UI: ctrl+s, the v list, 1-9, the palette, problems, hostile names.

Real app, real simulator over HTTP, views in a temporary KTUI_CONFIG_DIR.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.color import Color
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from ktui.config import Settings
from ktui.kube.catalog import KubeCatalog
from ktui.sim import SimCluster
from ktui.ui.app import KtuiApp
from ktui.ui.screens.explorer import ExplorerScreen
from ktui.ui.screens.views import Confirm, NamePrompt, ViewsScreen
from ktui.ui.views_actions import ViewCommands
from ktui.views.store import SavedView, ViewStore
from tests.ui.conftest import fixed_clock, loaded, wait_for

SIZE = (160, 48)


def _bound(app_class: type[KtuiApp]) -> dict[str, str]:
    """key -> action of the class's own BINDINGS."""
    return {key.strip(): binding.action for binding in app_class.BINDINGS
            if isinstance(binding, Binding) for key in binding.key.split(",")}


WANTED = {"ctrl+s": "save_view", "v": "views", **{str(n): f"load_view({n})" for n in range(1, 10)}}


def make_views_app(kubeconfig: str) -> KtuiApp:
    return KtuiApp(KubeCatalog(kubeconfig), clock=fixed_clock, settings=Settings())


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def views_path(config_dir: Path) -> Path:
    return config_dir / "views"


@pytest.fixture
def store(views_path: Path) -> ViewStore:
    return ViewStore(views_path)


@pytest.fixture
def app(kubeconfig: str) -> KtuiApp:
    return make_views_app(kubeconfig)


@contextlib.asynccontextmanager
async def running(app: KtuiApp) -> AsyncIterator[Pilot[None]]:
    """run_test with toasts on: they are where markup in a message would crash the app."""
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        yield pilot
        # Toasts left at shutdown widen a window in which KtuiApp's pump timer runs after
        # its widgets are gone (NoMatches 'EventHeader'); dismiss them first.
        app.clear_notifications()
        await pilot.pause()


class Notes:
    """Every notification the app shows, as (message, severity, markup)."""

    def __init__(self, app: KtuiApp) -> None:
        self.seen: list[tuple[str, str, bool]] = []
        original = app.notify

        def notify(message: str, **kwargs: Any) -> None:
            self.seen.append((message, kwargs.get("severity", "information"),
                              kwargs.get("markup", True)))
            original(message, **kwargs)

        app.notify = notify  # type: ignore[method-assign]

    def errors(self) -> list[str]:
        return [m for m, severity, _ in self.seen if severity == "error"]

    def last(self) -> str:
        return self.seen[-1][0] if self.seen else ""


@pytest.fixture
def notes(app: KtuiApp) -> Iterator[Notes]:
    yield Notes(app)


async def _type_name(pilot: Any, name: str, clear: bool = False) -> None:
    prompt = pilot.app.screen
    assert isinstance(prompt, NamePrompt), prompt
    if clear:
        prompt.query_one(Input).value = ""
    await pilot.press(*name)  # printable names only; others are set on the Input directly
    await pilot.press("enter")
    await pilot.pause()


async def _set_filter(pilot: Any, text: str) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause()


def _bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _list_lines(screen: ViewsScreen) -> str:
    option_list = screen.query_one(OptionList)
    return "\n".join(option_list.render_line(y).text for y in range(option_list.size.height))


def test_app_py_wires_saved_views() -> None:
    assert WANTED.items() <= _bound(ExplorerScreen).items()
    providers = {source if isinstance(source, type) else source()
                 for source in KtuiApp.COMMANDS}
    assert ViewCommands in providers


# -- save -------------------------------------------------------------------------------


async def test_ctrl_s_saves_the_current_state_and_it_round_trips(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, views_path: Path,
    notes: Notes,
) -> None:
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("w")
        await _set_filter(pilot, "reason~Fail -kind:Node")
        app.explorer.apply_query(app.explorer.query_state.with_namespaces({"payments", "test"}))
        await pilot.press("s")  # oldest first
        app.explorer.table.set_columns(show_namespace=True, hidden=frozenset({"count", "type"}))
        state = app.explorer.query_state
        shown = app.explorer.table.row_count

        await pilot.press("ctrl+s")
        assert isinstance(app.screen, NamePrompt)
        await _type_name(pilot, "payments failures")
        assert not isinstance(app.screen, NamePrompt)
        assert "saved view payments failures" in notes.last()

        files = list(views_path.glob("*.toml"))
        assert [f.name for f in files] == ["payments-failures.toml"]
        view = store.get("payments failures")
        assert view.query == "reason~Fail -kind:Node"
        assert view.types == ("Warning",)
        assert view.namespaces == ("payments", "test")
        assert view.sort == "oldest"
        assert view.columns == ("last_seen", "namespace", "reason", "object", "message")
        assert view.context == "demo" and view.mode == "live"

        # Back to everything, then load it with 1: the same state, the same rows.
        await pilot.press("a", "0", "s")
        await _set_filter(pilot, "")
        app.explorer.table.set_columns(show_namespace=True, hidden=frozenset())
        assert app.explorer.table.row_count == len(clusters[0].events())
        await pilot.press("1")
        await pilot.pause()
        assert app.explorer.query_state == state
        assert app.explorer.table.newest_first is False
        assert app.explorer.table.hidden_columns == {"count", "type"}
        assert app.explorer.table.row_count == shown > 0
        assert not notes.errors()


async def test_blank_name_is_refused_in_the_prompt(
    app: KtuiApp, clusters: list[SimCluster], views_path: Path
) -> None:
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("ctrl+s")
        await _type_name(pilot, "   ")
        assert isinstance(app.screen, NamePrompt)
        error = app.screen.query_one("#view-name-error", Static)
        assert "non-blank" in str(error.render())
        await pilot.press("escape")
        assert not isinstance(app.screen, NamePrompt)
        assert not views_path.exists() or not list(views_path.glob("*.toml"))


async def test_saving_over_a_view_asks_and_no_keeps_it(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, views_path: Path,
    notes: Notes,
) -> None:
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await _set_filter(pilot, "reason~BackOff")
        await pilot.press("ctrl+s")
        await _type_name(pilot, "mine")
        before = _bytes(views_path)

        await _set_filter(pilot, "reason~Evicted")
        await pilot.press("ctrl+s")
        await _type_name(pilot, "mine")
        assert isinstance(app.screen, Confirm)
        assert "mine" in str(app.screen.question) and "Replace" in str(app.screen.question)
        await pilot.press("n")
        await pilot.pause()
        # Back at the prompt with the name, to pick another one; the file is untouched.
        assert isinstance(app.screen, NamePrompt)
        assert app.screen.query_one(Input).value == "mine"
        assert _bytes(views_path) == before
        await pilot.press("escape")
        assert _bytes(views_path) == before and store.get("mine").query == "reason~BackOff"

        # Enter on the question does nothing (only y confirms); Esc is no too.
        await pilot.press("ctrl+s")
        await _type_name(pilot, "mine")
        await pilot.press("enter")
        assert isinstance(app.screen, Confirm)
        await pilot.press("escape")
        await pilot.press("escape")
        assert _bytes(views_path) == before

        await pilot.press("ctrl+s")
        await _type_name(pilot, "mine")
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, Confirm | NamePrompt)
        assert store.get("mine").query == "reason~Evicted"
        assert "replaced view mine" in notes.last()
        assert [p.name for p in views_path.glob("*.toml")] == ["mine.toml"]
        assert not notes.errors()


# -- the list ---------------------------------------------------------------------------


async def test_list_loads_renames_and_deletes_with_confirmation(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, views_path: Path,
    notes: Notes,
) -> None:
    store.save(SavedView("alpha", types=("Warning",)))
    store.save(SavedView("beta", query="reason~Killing", namespaces=("payments",)))
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, ViewsScreen)
        lines = _list_lines(screen)
        assert "1 alpha" in lines and "2 beta" in lines
        assert "live · type:Warning" in lines and "ns:payments reason~Killing" in lines

        await pilot.press("down", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, ViewsScreen)
        assert app.explorer.query_state.text == "reason~Killing"
        assert app.explorer.query_state.namespaces == {"payments"}
        table = app.explorer.table
        assert {table.event_at(r).reason  # type: ignore[union-attr]
                for r in range(table.row_count)} == {"Killing"}

        # Rename alpha: a taken name is refused in the prompt, then a free one works.
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, ViewsScreen)
        await pilot.press("r")
        assert isinstance(app.screen, NamePrompt)
        assert app.screen.query_one(Input).value == "alpha"
        await _type_name(pilot, "beta", clear=True)
        assert isinstance(app.screen, NamePrompt)
        assert "already exists" in str(app.screen.query_one("#view-name-error", Static).render())
        await _type_name(pilot, "gamma", clear=True)
        assert app.screen is screen
        assert "1 beta" in _list_lines(screen) and "2 gamma" in _list_lines(screen)
        assert sorted(p.name for p in views_path.glob("*.toml")) == ["beta.toml", "gamma.toml"]
        assert store.get("gamma").types == ("Warning",)
        assert "renamed view alpha to gamma" in notes.last()

        # Delete gamma (highlighted after the rename): n keeps it, y removes it.
        await pilot.press("d")
        assert isinstance(app.screen, Confirm)
        assert "gamma" in str(app.screen.question)
        await pilot.press("n")
        assert app.screen is screen and (views_path / "gamma.toml").exists()
        await pilot.press("d")
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen
        assert not (views_path / "gamma.toml").exists()
        lines = _list_lines(screen)
        assert "1 beta" in lines and "gamma" not in lines
        assert "deleted view gamma" in notes.last()

        await pilot.press("escape")
        assert not isinstance(app.screen, ViewsScreen)
        assert not notes.errors()


async def test_empty_list_says_how_to_save(app: KtuiApp, clusters: list[SimCluster]) -> None:
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, ViewsScreen)
        assert "ctrl+s saves" in str(screen.query_one("#views-empty", Static).render())
        await pilot.press("r", "d", "enter")  # nothing to act on: nothing happens
        assert app.screen is screen
        await pilot.press("escape")


async def test_digits_load_the_first_nine_in_sorted_order(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, notes: Notes
) -> None:
    # load_all sorts case-folded: A-one, b-two, C-three.
    store.save(SavedView("b-two", query="reason~Pulled"))
    store.save(SavedView("C-three", query="reason~Started"))
    store.save(SavedView("A-one", query="reason~Created"))
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        for key, text in [("2", "reason~Pulled"), ("3", "reason~Started"),
                          ("1", "reason~Created")]:
            await pilot.press(key)
            await pilot.pause()
            assert app.explorer.query_state.text == text
        await pilot.press("4")
        await pilot.pause()
        assert app.explorer.query_state.text == "reason~Created"
        assert notes.seen[-1][:2] == ("no view 4: there are 3 saved views (v lists them)",
                                      "warning")


async def test_digit_without_views_says_so(
    app: KtuiApp, clusters: list[SimCluster], notes: Notes
) -> None:
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("1")
        await pilot.pause()
        assert "no view 1: there are no saved views yet" in notes.last()


async def test_a_view_for_another_context_switches_to_it(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore
) -> None:
    store.save(SavedView("prod", context="prod-eu-west-1", types=("Warning",)))
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("1")
        await wait_for(pilot, loaded(app, clusters[1]))
        assert app.explorer.query_state.types == {"Warning"}


# -- problems ---------------------------------------------------------------------------


BROKEN = {
    "corrupt.toml": b'name = "corrupt\nquery = [unclosed\n',
    "future.toml": b'schema = 2\nname = "future"\nquery = ""\n',
    "elsewhere.toml": b'schema = 1\nname = "elsewhere"\ncontext = "staging-us"\n',
}


async def test_problem_files_are_listed_and_never_touched(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, views_path: Path,
    notes: Notes,
) -> None:
    store.save(SavedView("good", query="reason~Unhealthy"))
    for name, data in BROKEN.items():
        (views_path / name).write_bytes(data)
    before = _bytes(views_path)
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, ViewsScreen)
        assert [v.name for v in screen.views] == ["good"]
        problems = str(screen.query_one("#views-problems", Static).render())
        lines = problems.splitlines()
        assert len(lines) == 3
        assert any(line.startswith("⚠ corrupt.toml: not valid TOML") for line in lines)
        assert any(line.startswith("⚠ future.toml: unknown schema version 2") for line in lines)
        assert any(line.startswith("⚠ elsewhere.toml: view 'elsewhere' is for context "
                                   "'staging-us', which is not in your kubeconfig")
                   for line in lines)
        error_colour = Color.parse(app.get_css_variables()["error"])
        assert screen.query_one("#views-problems").styles.color == error_colour
        await pilot.press("enter")
        await pilot.pause()
        assert app.explorer.query_state.text == "reason~Unhealthy"

        # Saving over a broken view by name is refused with an error, not a crash.
        await pilot.press("ctrl+s")
        await _type_name(pilot, "future")
        assert not isinstance(app.screen, NamePrompt | Confirm)
        assert any("future" in e and "cannot be loaded" in e for e in notes.errors())

        # 1 is still the good view; 2 does not exist (broken ones do not count).
        await pilot.press("2")
        await pilot.pause()
        assert "no view 2: there is one saved view" in notes.last()
    assert _bytes(views_path) == before


async def test_unreadable_views_directory_is_an_error_not_a_crash(
    app: KtuiApp, clusters: list[SimCluster], config_dir: Path, notes: Notes
) -> None:
    config_dir.mkdir(parents=True)
    (config_dir / "views").write_text("a file where the directory should be")
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("v")
        await pilot.pause()
        assert not isinstance(app.screen, ViewsScreen)
        await pilot.press("1")
        await pilot.press("ctrl+s")
        await _type_name(pilot, "x")
        await pilot.pause()
        assert len(notes.errors()) == 3
        assert all("\n" not in e for e in notes.errors())
        assert app.is_running


# -- hostile names ----------------------------------------------------------------------


HOSTILE = ["[red]x[/]", "\x1b[2J wipe", "[/] close", "right\u202eleft", "two\nlines"]


async def test_hostile_names_render_literally(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, notes: Notes
) -> None:
    for name in HOSTILE:
        store.save(SavedView(name, query="reason~Killing"))
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, ViewsScreen)
        lines = _list_lines(screen)
        for shown in ["[red]x[/]", "\\x1b[2J wipe", "[/] close", "right\\u202eleft",
                      "two\\nlines"]:
            assert shown in lines, (shown, lines)
        assert "\x1b" not in lines and "\u202e" not in lines

        # Rename and delete prompts show the name literally too; their messages are
        # escaped and sent without markup.
        names = [v.name for v in screen.views]
        screen.query_one(OptionList).highlighted = names.index("[/] close")
        await pilot.press("d")
        assert isinstance(app.screen, Confirm)
        assert "“[/] close”" in str(app.screen.question)
        await pilot.press("y")
        await pilot.pause()
        assert notes.seen[-1] == ("deleted view [/] close", "information", False)

        names = [v.name for v in screen.views]
        screen.query_one(OptionList).highlighted = names.index("\x1b[2J wipe")
        await pilot.press("r")
        prompt = app.screen
        assert isinstance(prompt, NamePrompt)
        assert "“\\x1b[2J wipe”" in str(prompt.title_text)
        assert prompt.query_one(Input).value == "\\x1b[2J wipe"
        # Submitted as shown (escaped): not a rename to the escaped text.
        seen = len(notes.seen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and len(notes.seen) == seen
        assert "\x1b[2J wipe" in [v.name for v in screen.views]
        await pilot.press("r")
        await _type_name(pilot, "[b]bold", clear=True)
        assert notes.seen[-1] == ("renamed view \\x1b[2J wipe to [b]bold", "information",
                                  False)
        assert "[b]bold" in _list_lines(screen)
        await pilot.press("escape")
        assert not notes.errors()
        assert app.is_running


async def test_loading_a_hostile_name_does_not_crash(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, notes: Notes
) -> None:
    store.save(SavedView("[/] close", query="reason~Killing"))
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        await pilot.press("1")
        await wait_for(pilot, lambda: app.explorer.query_state.text == "reason~Killing")
        assert notes.seen[-1] == ("view [/] close: reason~Killing", "information", False)
        assert app.is_running


# -- the command palette ----------------------------------------------------------------


def _palette_prompts(app: KtuiApp) -> list[str]:
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    option_list = palette.query_one(OptionList)
    return [str(option_list.get_option_at_index(i).prompt)
            for i in range(option_list.option_count)]


async def _palette(pilot: Any, query: str, expect: Callable[[list[str]], bool]) -> list[str]:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*query)
    found: list[str] = []

    def ready() -> bool:
        found[:] = _palette_prompts(pilot.app)
        return expect(found)

    await wait_for(pilot, ready, timeout=5)
    return found


async def _run_command(pilot: Any, query: str, command: str) -> None:
    """Type ``query`` in the palette and run our hit whose first line is ``command`` (the
    system commands also list key bindings, e.g. "Save view / key ctrl+s": not ours)."""
    def ours(found: list[str]) -> list[int]:
        return [i for i, prompt in enumerate(found)
                if prompt.split("\n")[0] == command and "\nkey " not in prompt]

    found = await _palette(pilot, query, lambda f: bool(ours(f)))
    pilot.app.screen.query_one(OptionList).highlighted = ours(found)[0]
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, CommandPalette))


async def test_palette_has_every_view_command(
    app: KtuiApp, clusters: list[SimCluster], store: ViewStore, views_path: Path
) -> None:
    store.save(SavedView("alpha", types=("Warning",)))
    store.save(SavedView("[red]beta[/]", query="reason~Killing"))
    async with running(app) as pilot:
        await wait_for(pilot, loaded(app, clusters[0]))
        found = await _palette(pilot, "view", lambda f: any("Delete view: alpha" in p for p in f))
        texts = " | ".join(found)
        for command in ["Save view", "Views…", "Load view: alpha", "Load view: [red]beta[/]",
                        "Rename view: alpha", "Delete view: alpha",
                        "Delete view: [red]beta[/]"]:
            assert command in texts, (command, texts)
        await pilot.press("escape")
        await pilot.pause()

        await _run_command(pilot, "load view: [red]", "Load view: [red]beta[/]")
        await wait_for(pilot, lambda: app.explorer.query_state.text == "reason~Killing")

        await _run_command(pilot, "delete view: alpha", "Delete view: alpha")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await pilot.pause()
        assert sorted(p.name for p in views_path.glob("*.toml")) == ["red-beta.toml"]

        await _run_command(pilot, "views…", "Views…")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewsScreen))
        await pilot.press("escape")

        await _run_command(pilot, "save view", "Save view")
        await wait_for(pilot, lambda: isinstance(app.screen, NamePrompt))
        await _type_name(pilot, "from palette")
        assert store.get("from palette").query == "reason~Killing"
