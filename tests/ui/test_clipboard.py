"""``y`` and ``Y``'s helpers (issue 14.7): the way to the clipboard inside tmux or not,
and an event written to a file under $KTUI_DATA_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ktui.model.event import from_core_v1
from ktui.ui.clipboard import (
    TMUX_ADVICE,
    TMUX_UNKNOWN,
    Route,
    export_event,
    osc52,
    route,
    tmux_passthrough,
)
from tests.fixtures.seed_events import SCALING_REPLICASET


def test_osc52_and_its_tmux_passthrough_form() -> None:
    assert osc52("hi") == "\x1b]52;c;aGk=\a"
    assert tmux_passthrough(osc52("hi")) == "\x1bPtmux;\x1b\x1b]52;c;aGk=\a\x1b\\"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"set-clipboard": "on", "allow-passthrough": "off"}, Route()),
        ({"set-clipboard": "external", "allow-passthrough": "on"}, Route(passthrough=True)),
        ({"set-clipboard": "off", "allow-passthrough": "all"}, Route(passthrough=True)),
        ({"set-clipboard": "external", "allow-passthrough": "off"}, Route(note=TMUX_ADVICE)),
        ({"set-clipboard": "external"}, Route(passthrough=True)),  # tmux < 3.3 passes through
        ({}, Route(passthrough=True, note=TMUX_UNKNOWN)),  # tmux did not answer
    ],
)
def test_inside_tmux_the_copy_takes_the_way_tmux_allows(
    options: dict[str, str], expected: Route
) -> None:
    assert route({"TMUX": "/tmp/tmux-0/default,1,0"}, options.get) == expected
    assert route({}, options.get) == Route()  # not in tmux: plain OSC 52, nothing to say
    if expected.note:
        assert "set -g set-clipboard on" in expected.note and "Y" in expected.note


def test_an_event_is_exported_to_a_new_file_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KTUI_DATA_DIR", str(tmp_path / "data"))
    hostile = {**SCALING_REPLICASET, "reason": "../../etc/passwd\x1b]0;x\a",
               "message": "bidi \u202e and DEL \x7f"}
    event = from_core_v1(hostile)
    first = export_event(event, now=lambda: 1_763_800_000.0)
    second = export_event(event, now=lambda: 1_763_800_000.0)  # same second: a new file
    assert first.parent == tmp_path / "data" / "exports" == second.parent
    assert first != second and first.exists() and second.exists()
    assert first.name == "20251122T082640Z-test-scenario-c-etc_passwd_0_x.json"
    assert second.name == "20251122T082640Z-test-scenario-c-etc_passwd_0_x-2.json"
    text = first.read_text(encoding="utf-8")
    assert json.loads(text) == hostile  # the whole object, exactly
    assert "\x1b" not in text and "\u202e" not in text and "\x7f" not in text  # escaped
