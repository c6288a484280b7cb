"""End to end: `ktui --demo` in a real terminal (tmux), driven by keys like a person."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, session: str, env: dict[str, str]) -> None:
        self.session, self.env = session, env

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True,
                              env=self.env).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def wait_for(self, *needles: str, timeout: float = 20.0) -> str:
        return self.wait_until(lambda text: all(needle in text for needle in needles),
                               f"{needles} on screen", timeout)

    def wait_until(self, check: Callable[[str], bool], what: str,
                   timeout: float = 20.0) -> str:
        """The screen, as soon as ``check`` holds for it (polled)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"not {what}:\n{text}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "KTUI_CONFIG_DIR": str(tmp_path / "config"),
        "KUBECONFIG": str(tmp_path / "none"),
        "TERM": "xterm-256color",
        "TMUX": "",
    }
    session = f"ktui-e2e-{uuid.uuid4().hex[:8]}"
    socket_env = {**env, "TMUX_TMPDIR": str(tmp_path)}
    mux = Tmux(session, socket_env)
    command = f"{sys.executable} -m ktui --demo"
    mux.run("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    try:
        yield mux
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=socket_env,
                       capture_output=True, check=False)


def test_warnings_of_namespace_test_show_the_three_scenarios(tmux: Tmux) -> None:
    tmux.wait_for("demo", "SEEN", "watching")
    tmux.keys("w")
    tmux.keys("/")
    tmux.wait_for("-reason:Pulled")  # the prompt is open
    tmux.keys("ns:test", "Enter")
    screen = tmux.wait_for("FailedMount", "FailedScheduling")
    lines = screen.splitlines()
    header = next(index for index, line in enumerate(lines) if "REASON" in line)
    start = lines[header].index("REASON")
    # Event rows only: the footer and lines holding just the scrollbar are not rows.
    rows = [line for line in lines[header + 1 : -1] if line[:start].strip()]
    reasons = {row[start:].split()[0] for row in rows}
    # scenario-a FailedMount, scenario-b Failed (image pull), scenario-c FailedScheduling
    assert reasons == {"FailedMount", "Failed", "FailedScheduling"}
    assert all(row.split()[1] == "Warning" for row in rows if row.strip())
    tmux.keys("q")


@pytest.fixture
def hostile_tmux(tmp_path: Path) -> Iterator[Tmux]:
    from ktui.sim import SimCluster, write_kubeconfig

    cluster = SimCluster(name="hostile", scenario="hostile", seed=3)
    cluster.start()
    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(str(kubeconfig), [cluster], token="admin-token")
    env = {**os.environ, "HOME": str(tmp_path), "KTUI_CONFIG_DIR": str(tmp_path / "config"),
           "TERM": "xterm-256color", "TMUX": "", "TMUX_TMPDIR": str(tmp_path)}
    session = f"ktui-hostile-{uuid.uuid4().hex[:8]}"
    mux = Tmux(session, env)
    mux.run("new-session", "-d", "-s", session, "-x", "160", "-y", "40")
    mux.run("set-option", "-t", session, "set-clipboard", "on")
    mux.run("select-pane", "-t", session, "-T", "before")
    mux.keys(f"{sys.executable} -m ktui --kubeconfig {kubeconfig}", "Enter")
    try:
        yield mux
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=env,
                       capture_output=True, check=False)
        cluster.stop()


def test_hostile_events_do_not_touch_the_terminal(hostile_tmux: Tmux) -> None:
    """Title, clipboard and screen stay ktui's: OSC 0/52 and CSI 2J in events are inert."""
    hostile_tmux.wait_for("hostile", "watching")
    for _ in range(25):  # walk every row, with the detail open, so all text is drawn
        hostile_tmux.keys("j")
    hostile_tmux.keys("Enter")
    for _ in range(25):
        hostile_tmux.keys("k")
    screen = hostile_tmux.wait_for("watching", "\\x1b")  # escapes are shown, visibly
    assert "REASON" in screen and "NAMESPACES" in screen  # the screen was not cleared
    title = hostile_tmux.run("display-message", "-p", "-t", hostile_tmux.session,
                             "#{pane_title}").strip()
    assert title == "before"
    buffers = hostile_tmux.run("list-buffers")
    assert "hello" not in buffers and "aGVsbG8" not in buffers
    assert buffers.strip() == ""


def _prompt_input(screen: str) -> str | None:
    """What a prompt's input shows (its line between the ▊ and ▎ edges), or None."""
    for line in screen.splitlines():
        if "▊" in line and "▎" in line and "▔" not in line and "▁" not in line:
            return line[line.index("▊") + 1 : line.rindex("▎")].strip()
    return None


def _rows(screen: str) -> list[str]:
    """The table's event rows: the lines under the column titles, less the footer."""
    lines = screen.splitlines()
    header = next(index for index, line in enumerate(lines) if "REASON" in line)
    start = lines[header].index("REASON")
    return [line for line in lines[header + 1 : -1] if line[:start].strip()]


def test_history_of_warnings_then_a_saved_view_brings_it_back(tmux: Tmux) -> None:
    """h keeps the filter in OpenSearch history (the demo's in-memory OpenSearch, loaded
    in the background), T changes the range, ctrl+s saves it, 1 reopens it from live."""
    tmux.wait_for("demo", "SEEN", "watching")
    tmux.keys("w", "h")
    tmux.wait_for("HISTORY", "last 1h")
    tmux.keys("T")
    tmux.wait_for("Time range")
    tmux.keys("BSpace", "BSpace", "BSpace")
    # Typed only once the old range is gone: keys sent in one burst can outrun the prompt.
    tmux.wait_until(lambda screen: _prompt_input(screen) == "", "the prompt emptied")
    tmux.keys("24h", "Enter")
    # The demo loads its documents in the background: ask again until they are there,
    # each time once the previous search has answered (a new one would cancel it).
    deadline = time.monotonic() + 40
    while True:
        screen = tmux.wait_until(
            lambda s: "HISTORY" in s and "last 1d" in s and "querying" not in s,
            "the search answered")
        if " loaded" in screen and _rows(screen):
            break
        assert time.monotonic() < deadline, screen
        tmux.keys("T")  # the same range again: a new search
        tmux.wait_for("Time range")
        tmux.keys("Enter")
        # the prompt closes in the frame that shows the new search's state (querying, or
        # already its answer): the loop's wait then sees this search's answer
        tmux.wait_until(lambda s: "Time range" not in s, "the prompt closed")
    rows = _rows(screen)
    assert rows and all(row.split()[1] == "Warning" for row in rows), screen

    tmux.keys("C-s")
    tmux.wait_for("Save view")
    tmux.keys("day of warnings", "Enter")
    tmux.wait_for("saved view day of warnings")
    tmux.keys("h", "a")
    tmux.wait_for("LIVE")
    tmux.keys("1")
    screen = tmux.wait_for("HISTORY", "last 1d", " loaded")
    rows = _rows(screen)
    assert rows and all(row.split()[1] == "Warning" for row in rows), screen
    tmux.keys("q")


def _style_before(line: str, word: str) -> str:
    """The SGR sequences in force where ``word`` starts on a captured line (-e)."""
    index = line.index(word)
    codes = re.findall(r"\x1b\[([0-9;]*)m", line[:index])
    since_reset = codes[len(codes) - 1 - codes[::-1].index("0"):] if "0" in codes else codes
    return ";".join(since_reset)


def test_a_16_colour_terminal_gets_16_colours_and_warnings_still_stand_out(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "KTUI_CONFIG_DIR": str(tmp_path / "config"),
           "KUBECONFIG": str(tmp_path / "none"), "TERM": "xterm", "TMUX": "",
           "TEXTUAL_COLOR_SYSTEM": "standard", "TMUX_TMPDIR": str(tmp_path)}
    session = f"ktui-16-{uuid.uuid4().hex[:8]}"
    mux = Tmux(session, env)
    mux.run("new-session", "-d", "-s", session, "-x", "120", "-y", "30",
            f"{sys.executable} -m ktui --demo")
    try:
        mux.wait_for("demo", "watching", "Warning", "Normal")
        screen = mux.run("capture-pane", "-e", "-p", "-t", session)
        assert "\x1b[" in screen  # coloured
        assert not re.search(r"\x1b\[[0-9;]*(?:38|48);[25];", screen)  # no 256/RGB colours
        lines = screen.splitlines()

        def plain(line: str) -> str:
            return re.sub(r"\x1b\[[0-9;]*m", "", line)

        header = next(i for i, line in enumerate(lines) if "REASON" in plain(line))
        rows = lines[header + 2:]  # not the first row: the cursor's style is its own
        warning = next(line for line in rows if " Warning " in plain(line))
        normal = next(line for line in rows if " Normal " in plain(line))
        assert _style_before(warning, "Warning") != _style_before(normal, "Normal")
        mux.keys("q")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=env,
                       capture_output=True, check=False)


COPIER = """\
import sys
from textual.app import App
from textual.widgets import Static
from ktui.ui.clipboard import copy_text


class Copier(App[None]):
    def compose(self):
        yield Static("copying")

    def on_mount(self) -> None:
        note = copy_text(self, sys.argv[1])
        self.query_one(Static).update("NOTE: " + (note or "none"))


Copier().run()
"""


@pytest.mark.parametrize(
    ("clipboard", "passthrough", "arrives", "advice"),
    [("on", "off", True, False), ("external", "off", False, True),
     ("external", "on", False, False)],
    ids=["set-clipboard-on", "tmux-default", "allow-passthrough"],
)
def test_copy_inside_tmux_arrives_or_says_what_to_set(
    tmp_path: Path, clipboard: str, passthrough: str, arrives: bool, advice: bool
) -> None:
    """Issue 14.7: with tmux's default `set-clipboard external` the toast said "copied"
    but tmux dropped the OSC 52. With `on`, tmux takes it (a paste buffer here, the
    terminal's clipboard outside); with `allow-passthrough on` the sequence goes wrapped
    to the outer terminal (none here, so no buffer); with neither, the helper says so."""
    script = tmp_path / "copier.py"
    script.write_text(COPIER)
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm-256color", "TMUX": "",
           "TMUX_TMPDIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[2])}
    session = f"ktui-copy-{uuid.uuid4().hex[:8]}"
    mux = Tmux(session, env)
    mux.run("new-session", "-d", "-s", session, "-x", "200", "-y", "10")
    try:
        mux.run("set-option", "-s", "set-clipboard", clipboard)
        mux.run("set-option", "-g", "allow-passthrough", passthrough)
        payload = '{"kind": "Event", "reason": "BackOff"}'
        mux.keys(f"{sys.executable} {script} '{payload}'", "Enter")
        screen = mux.wait_for("NOTE: ")
        buffers = mux.run("list-buffers", "-F", "#{buffer_name}").split()
        if arrives:
            assert buffers and mux.run("show-buffer").rstrip("\n") == payload
        else:
            assert buffers == []
        assert ("set -g set-clipboard on" in screen) is advice, screen
        assert ("NOTE: none" in screen) is not advice, screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=env,
                       capture_output=True, check=False)
