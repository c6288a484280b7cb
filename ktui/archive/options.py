"""The ``[archive]`` settings as plain values, and their parsing.

    [archive]
    enabled = true       # false: ktui writes nothing (history can still read the file)
    retention = "7d"     # events last seen longer ago are pruned (15m, 6h, 7d, 2w)
    max_size = "1GB"     # the oldest events go first beyond this (KB MB GB, or KiB MiB GiB)

The writer takes plain arguments (:class:`~ktui.archive.writer.ArchiveWriter`); whichever
settings loader reads settings.toml can hand :func:`options_from_table` the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ktui.model.timerange import format_duration, parse_duration

DEFAULT_RETENTION = "7d"
DEFAULT_MAX_SIZE = "1GB"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)\s*$", re.I)
_FACTORS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(text: str | int) -> int:
    """``"1GB"`` → 10**9, ``"512MiB"`` → 512 * 2**20, ``4096`` → 4096 bytes; ValueError
    otherwise."""
    if isinstance(text, bool):
        raise ValueError("a size must be a number of bytes or a text like 1GB")
    if isinstance(text, int):
        if text <= 0:
            raise ValueError("a size must be positive")
        return text
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a size like 500MB or 1GB")
    unit = match[2].lower()
    prefix = unit[:1] if unit[:1] in "kmgt" and unit else ""
    factor = _FACTORS[prefix]
    if "i" in unit:
        factor = 1024 ** ("kmgt".index(prefix) + 1) if prefix else 1
    value = int(float(match[1]) * factor)
    if value <= 0:
        raise ValueError(f"'{text}' is not a positive size")
    return value


@dataclass(frozen=True, slots=True)
class ArchiveOptions:
    enabled: bool = True
    retention: float = parse_duration(DEFAULT_RETENTION)  # seconds
    max_size: int = parse_size(DEFAULT_MAX_SIZE)  # bytes

    def describe(self) -> str:
        if not self.enabled:
            return "archiving off"
        return f"retention {format_duration(self.retention)}, at most {self.max_size:,} bytes"


def options_from_table(table: Mapping[str, Any]) -> tuple[ArchiveOptions, list[str]]:
    """The ``[archive]`` table as options; each bad value is one problem line and its
    default applies. Unknown keys are problems too (a typo must not pass silently)."""
    problems: list[str] = []
    defaults = ArchiveOptions()
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append("archive.enabled must be true or false; using true")
        enabled = True
    retention = defaults.retention
    if "retention" in table:
        try:
            value = table["retention"]
            if not isinstance(value, str):
                raise ValueError("must be a duration like 7d")
            retention = parse_duration(value)
        except ValueError as error:
            problems.append(f"archive.retention: {error}; using {DEFAULT_RETENTION}")
    max_size = defaults.max_size
    if "max_size" in table:
        try:
            max_size = parse_size(table["max_size"])
        except (ValueError, TypeError) as error:
            problems.append(f"archive.max_size: {error}; using {DEFAULT_MAX_SIZE}")
    for key in sorted(set(table) - {"enabled", "retention", "max_size"}):
        problems.append(f"archive.{key}: unknown setting (known: enabled, retention, max_size)")
    return ArchiveOptions(enabled, retention, max_size), problems
