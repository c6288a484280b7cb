"""``e`` in the explorer: the current view as a Markdown report in a file.

The text is :mod:`ktui.model.report`'s (every value escaped); this module picks what the
view shows (the events, or the group rows, or one opened group's events) and writes it
to ``$KTUI_DATA_DIR/reports/<context>-<UTC time>.md`` without ever replacing a file: a
second report in the same second gets ``-2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ktui import paths
from ktui.model.event import Event
from ktui.model.grouping import Group
from ktui.model.report import Heading, events_markdown, groups_markdown, report_file_name


def view_markdown(heading: Heading, events: Sequence[Event], groups: Sequence[Group] | None,
                  by: str | None) -> str:
    """The report of a view: its group rows when ``groups`` is given, else its events."""
    if groups is not None and by is not None:
        return groups_markdown(groups, heading, by)
    return events_markdown(events, heading)


def write_report(text: str, context: str, moment: float,
                 directory: Path | None = None) -> Path:
    """Write ``text`` to a new file in ``directory`` (default: the reports directory);
    its path. Raises OSError (the caller says it)."""
    directory = directory if directory is not None else paths.reports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = report_file_name(context, moment)
    stem = name.removesuffix(".md")
    for attempt in range(1, 1000):
        path = directory / (name if attempt == 1 else f"{stem}-{attempt}.md")
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as out:
                out.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory}: too many reports named {stem}")
