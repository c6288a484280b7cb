"""Typed settings from ``settings.toml`` (under the config dir) and the environment.

    [ui]
    production_pattern = "prod|live"   # contexts matching this get the red banner
    max_events = 200000                # retained per context; the oldest go first

    [keys]                             # remap by binding id (see `?` and the README)
    "types.warning" = "W"

    [opensearch]                       # see README: History mode
    url = "https://search.example:9200"

    [archive]                          # the local archive (ktui.archive.options)
    enabled = true
    retention = "7d"
    max_size = "1GB"

A broken file never stops ktui: the defaults apply and the problem is reported.
Secrets are never read from or written to this file by ktui (passwords come from the
environment or a prompt).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    production_pattern: str = "prod"
    """Regular expression (case-insensitive) naming production contexts."""
    max_events: int = 200_000
    """Events retained per context before the oldest are dropped."""
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> comma-separated keys, passed to Textual's keymap."""
    opensearch: dict[str, Any] = field(default_factory=dict)
    """The [opensearch] table, read by the history source."""
    archive: dict[str, Any] = field(default_factory=dict)
    """The [archive] table, read by :func:`ktui.archive.options_from_table`."""
    problems: tuple[str, ...] = ()
    """What was wrong with the file, one line each (shown in the UI)."""


def _table(data: Mapping[str, Any], name: str, problems: list[str]) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        problems.append(f"[{name}] must be a table; ignored")
        return {}
    return value


def load_settings(path: Path | None, environ: Mapping[str, str] = os.environ) -> Settings:
    """Read ``path`` (missing is fine), then apply ``KTUI_PRODUCTION_PATTERN``."""
    problems: list[str] = []
    data: Mapping[str, Any] = {}
    if path is not None and path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            problems.append(f"{path}: {error}; using defaults")
    ui = _table(data, "ui", problems)
    pattern = environ.get("KTUI_PRODUCTION_PATTERN") or ui.get("production_pattern", "prod")
    if not isinstance(pattern, str):
        problems.append("ui.production_pattern must be a string; using 'prod'")
        pattern = "prod"
    try:
        re.compile(pattern)
    except re.error as error:
        problems.append(f"ui.production_pattern {pattern!r}: {error}; using 'prod'")
        pattern = "prod"
    max_events = ui.get("max_events", 200_000)
    if not isinstance(max_events, int) or max_events < 1000:
        problems.append("ui.max_events must be an integer >= 1000; using 200000")
        max_events = 200_000
    keys = {
        str(binding): str(value)
        for binding, value in _table(data, "keys", problems).items()
        if isinstance(value, str)
    }
    return Settings(
        production_pattern=pattern,
        max_events=max_events,
        keys=keys,
        opensearch=dict(_table(data, "opensearch", problems)),
        archive=dict(_table(data, "archive", problems)),
        problems=tuple(problems),
    )
