"""Getting an event's JSON out of ktui: onto the clipboard (``y``) or into a file (``Y``).

The clipboard is reached with OSC 52, which asks the terminal to set it and works over
SSH. Inside tmux that works only where tmux lets it: with ``set-clipboard on`` tmux takes
the sequence (keeps it as a paste buffer and hands it to the terminal outside); with its
default, ``external``, tmux drops it without a word. tmux's passthrough (the sequence
wrapped in ``ESC P tmux; ... ESC \\``) goes to the outer terminal directly, which tmux 3.3
and later allow only with ``allow-passthrough on``. :func:`copy_text` asks tmux which of
these it allows, uses one that works, and otherwise returns what to tell the user.

:func:`export_event` writes the JSON to a file under ``$KTUI_DATA_DIR/exports`` and
returns its path: it works in every terminal, and for events too big for a clipboard.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ktui import paths
from ktui.ui.widgets.detail import event_json

if TYPE_CHECKING:
    from textual.app import App

    from ktui.model.event import Event

TMUX_ADVICE = ("inside tmux, which drops it: add `set -g set-clipboard on` to ~/.tmux.conf "
               "(then `tmux source ~/.tmux.conf`), or press Y to write the JSON to a file")
TMUX_UNKNOWN = ("inside tmux: if nothing was copied, add `set -g set-clipboard on` to "
                "~/.tmux.conf, or press Y to write the JSON to a file")

Option = Callable[[str], "str | None"]


def osc52(text: str) -> str:
    """The escape sequence that asks the terminal to put ``text`` on its clipboard."""
    return f"\x1b]52;c;{base64.b64encode(text.encode('utf-8')).decode('ascii')}\a"


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` for tmux to pass to the terminal outside it as it is."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def tmux_option(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The global value of a tmux option in the tmux that ``$TMUX`` names, or None when
    it cannot be read (no tmux command, an option this tmux does not have)."""
    try:
        done = subprocess.run(["tmux", "show-options", "-gv", name], capture_output=True,
                              text=True, timeout=2, check=False,
                              env=dict(os.environ if env is None else env))
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


@dataclass(frozen=True, slots=True)
class Route:
    """How a copy reaches the clipboard here."""

    passthrough: bool = False  # also send the sequence wrapped for tmux's passthrough
    note: str = ""  # '' when the copy should arrive; else what to tell the user


def route(env: Mapping[str, str], option: Option) -> Route:
    """The way to the clipboard in this terminal (``option``: a tmux option's value)."""
    if not env.get("TMUX"):
        return Route()
    clipboard = option("set-clipboard")
    if clipboard == "on":
        return Route()
    passthrough = option("allow-passthrough")
    if passthrough in ("on", "all"):
        return Route(passthrough=True)
    if clipboard is None:  # tmux did not answer: send both, and say what to check
        return Route(passthrough=True, note=TMUX_UNKNOWN)
    if passthrough is None:  # tmux before 3.3: no such option, passthrough always on
        return Route(passthrough=True)
    return Route(note=TMUX_ADVICE)


def copy_text(app: App[object], text: str, *, env: Mapping[str, str] | None = None,
              option: Option | None = None) -> str:
    """Put ``text`` on the clipboard the way that can work here; return '' when it
    should have arrived, else what to tell the user (why not, and what to set)."""
    environment = os.environ if env is None else env
    way = route(environment, option or (lambda name: tmux_option(name, environment)))
    app.copy_to_clipboard(text)  # plain OSC 52; app.clipboard holds the text too
    driver = app._driver  # Textual has no public call to write raw output
    if way.passthrough and driver is not None:
        driver.write(tmux_passthrough(osc52(text)))
    return way.note


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_part(text: str) -> str:
    """A piece of a file name from untrusted text: letters, digits, ``._-`` only."""
    return _UNSAFE.sub("_", text).strip("._")[:60] or "x"


def export_event(event: Event, *, directory: Path | None = None,
                 now: Callable[[], float] = time.time) -> Path:
    """Write the event's whole JSON (as ``y`` copies it) to a new file under
    ``$KTUI_DATA_DIR/exports`` and return its path; never overwrites a file. Raises
    ``OSError`` when it cannot be written (the caller says so)."""
    folder = directory or paths.exports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromtimestamp(now(), UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = "-".join([stamp, _file_part(event.namespace or "cluster"),
                     _file_part(event.object.name or event.name), _file_part(event.reason)])
    document = event_json(event, fold=False) + "\n"
    for attempt in range(1, 1000):
        path = folder / (f"{stem}.json" if attempt == 1 else f"{stem}-{attempt}.json")
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(document)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{folder / stem}: too many exports with this name")
