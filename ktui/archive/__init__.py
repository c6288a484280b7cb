"""The local event archive: every event ktui sees, kept past the cluster's one-hour TTL.

One SQLite file, ``$KTUI_DATA_DIR/archive.sqlite3`` (:func:`ktui.paths.archive_file`),
shared by every ktui process of the user (the TUI, ``ktui record``). No Textual here.

Writing (``writer``, ``recorder``, ``ops``, ``rows``, ``prune``)::

    writer = ArchiveWriter(paths.archive_file(), retention=7 * 86400).start()
    channel = writer.tap(server_url, context_name, scope=lambda: source.watched)
    source.run(channel, stop)        # every change reaches the archive, uncoalesced;
                                     # the consumer drains the channel as usual
    writer.status                    # state, counts, the problem to show (said once
                                     # through on_problem)
    writer.close()                   # flushes

Reading (``history``, ``sql_query``): :class:`ArchiveHistory` answers history mode like
the OpenSearch source does (same :mod:`ktui.feeds.history` types).

The file layout and its rules are in :mod:`ktui.archive.schema`; a damaged or foreign
file is refused and left untouched, a locked one retried (:mod:`ktui.archive.writer`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktui.archive.history import ArchiveHistory
    from ktui.archive.options import ArchiveOptions
    from ktui.archive.recorder import UNKNOWN_SCOPE, ArchiveTap, Recorder
    from ktui.archive.schema import (
        ArchiveError,
        ArchiveLocked,
        ArchiveUnreadable,
        ArchiveUnwritable,
        cluster_key,
    )
    from ktui.archive.status import WriterState, WriterStatus
    from ktui.archive.writer import ArchiveWriter

# Each name loads its module when first used: the options and the status types are read
# before the TUI's first frame, the writer's and history's modules (and sqlite3) after it.
_HOME = {
    "ArchiveHistory": "history",
    "ArchiveOptions": "options",
    "UNKNOWN_SCOPE": "recorder",
    "ArchiveTap": "recorder",
    "Recorder": "recorder",
    "ArchiveError": "schema",
    "ArchiveLocked": "schema",
    "ArchiveUnreadable": "schema",
    "ArchiveUnwritable": "schema",
    "cluster_key": "schema",
    "WriterState": "status",
    "WriterStatus": "status",
    "ArchiveWriter": "writer",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'ktui.archive' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ktui.archive.{home}"), name)


__all__ = [
    "UNKNOWN_SCOPE",
    "ArchiveError",
    "ArchiveHistory",
    "ArchiveLocked",
    "ArchiveOptions",
    "ArchiveTap",
    "ArchiveUnreadable",
    "ArchiveUnwritable",
    "ArchiveWriter",
    "Recorder",
    "WriterState",
    "WriterStatus",
    "cluster_key",
]
