"""The archive's options as plain values: what ``[archive]`` in settings.toml says
(parsed and checked by :mod:`ktui.config`, the one settings loader).

    [archive]
    enabled = true       # false: ktui writes nothing (history can still read the file)
    retention = "7d"     # events last seen longer ago are pruned (15m, 6h, 7d, 2w)
    max_size = "1GB"     # the oldest events go first beyond this (KB MB GB, or KiB MiB GiB)
"""

from __future__ import annotations

from ktui.config import ArchiveSettings
from ktui.model.timerange import format_duration
from ktui.records import record

_DEFAULTS = ArchiveSettings()


@record(slots=True)  # read before the first frame: cheap to define
class ArchiveOptions:
    enabled: bool = True
    retention: float = _DEFAULTS.retention_seconds  # seconds
    max_size: int = _DEFAULTS.max_bytes  # bytes

    def describe(self) -> str:
        if not self.enabled:
            return "archiving off"
        return f"retention {format_duration(self.retention)}, at most {self.max_size:,} bytes"

    @classmethod
    def from_settings(cls, settings: ArchiveSettings) -> ArchiveOptions:
        return cls(settings.enabled, settings.retention_seconds, settings.max_bytes)
