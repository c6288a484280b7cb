"""What a group row says, and how it is laid out: the text of
:class:`~ktui.ui.widgets.group_table.GroupTable`'s rows.

A row is a summary line (last and first seen, warnings, normals, objects, namespace,
the group, how it was resolved, the reasons with their counts) and, under it, the
group's warning messages wrapped to the width: the cause reads without opening
anything. On a narrow terminal the reasons lead the messages rather than squeeze the
group's name. Every string from a cluster goes through
:func:`~ktui.model.safe_text.one_line` and is drawn as a segment, never parsed as markup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ktui.explorer.grouping import recent_messages
from ktui.model.event import WARNING
from ktui.model.grouping import OBJECT, OWNER, REASON, Group
from ktui.model.owners import BY_NAME, BY_OWNER_REFERENCES, BY_SELF
from ktui.model.report import objects_text, reasons_text
from ktui.model.safe_text import one_line
from ktui.ui import cells


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    short: str  # the title when the column is narrower than ``title``
    width: int  # 0 = the rest of the line
    right: bool = False


COLUMNS = (
    Column("context", "CTX", "CTX", 10),
    Column("last_seen", "LAST SEEN", "LAST", 9),
    Column("first_seen", "FIRST SEEN", "FIRST", 10),
    Column("warnings", "WARNINGS", "WARN", 8, right=True),
    Column("normals", "NORMAL", "NORM", 6, right=True),
    Column("objects", "OBJECTS", "OBJS", 7, right=True),
    Column("namespace", "NAMESPACE", "NS", 14),
    Column("group", "OWNER", "OWNER", 34),
    Column("by", "BY", "BY", 4),
    Column("reasons", "REASONS", "REASONS", 0),
)
# Narrow terminals: shrink these, in order, before the reasons leave the summary line
# for a line of their own under it.
SHRINK = (("namespace", 9), ("first_seen", 5), ("last_seen", 5), ("warnings", 4),
          ("objects", 4), ("normals", 4), ("context", 6), ("group", 24))
MIN_REASONS = 16
ABSOLUTE_WIDTH = 14  # "11-22 08:26:40"
TITLES = {OWNER: "OWNER", OBJECT: "OBJECT", REASON: "REASON"}
BY_TEXT = {BY_OWNER_REFERENCES: "refs", BY_NAME: "name", BY_SELF: "self"}
INDENT = "  › "
CONTINUED = "    "

Layout = tuple[tuple[Column, int], ...]
Line = list[tuple[str, str]]  # (text, style name: "", "warning" or "muted") of one line


@dataclass(frozen=True, slots=True)
class RowLayout:
    """The summary line's columns and widths; ``reasons_line``: the reasons (the
    objects, by reason) are not on it but lead the messages under it."""

    columns: Layout
    reasons_line: bool
    width: int


def message_lines_for(body: int) -> int:
    """Lines of messages a row may take: 2 on a 24-line terminal (four rows still fit),
    more on taller ones."""
    return min(max(body // 7, 2), 8)


def layout(width: int, by: str, *, show_context: bool, show_namespace: bool,
           absolute_time: bool) -> RowLayout:
    hidden = set()
    if not show_context or by == REASON:
        hidden.add("context")
    if not show_namespace or by == REASON:
        hidden.add("namespace")
    if by != OWNER:
        hidden.add("by")
    if by == REASON:
        hidden.add("objects")  # the last column names them
    shown = [c for c in COLUMNS if c.key not in hidden]
    widths = {c.key: c.width for c in shown if c.width}
    if absolute_time:
        widths["last_seen"] = widths["first_seen"] = ABSOLUTE_WIDTH
    for key, minimum in SHRINK:
        while key in widths and _rest(widths, width) < MIN_REASONS and widths[key] > minimum:
            widths[key] -= 1
    if _rest(widths, width) >= MIN_REASONS:
        rest = _rest(widths, width)
        return RowLayout(tuple((c, widths.get(c.key, rest)) for c in shown), False, width)
    # the reasons go under the summary, and the group takes the rest of the line
    del widths["group"]
    shown = [c for c in shown if c.key != "reasons"]
    used = sum(widths.values()) + len(shown) - 1
    return RowLayout(tuple((c, widths.get(c.key, max(width - used, 8))) for c in shown),
                     True, width)


def _rest(widths: dict[str, int], width: int) -> int:
    return width - sum(widths.values()) - len(widths)


def titles(row_layout: RowLayout, by: str, groups: int) -> list[tuple[str, int, bool]]:
    out = []
    for column, column_width in row_layout.columns:
        title = TITLES.get(by, "GROUP") if column.key == "group" else column.title
        if column.key == "reasons" and by == REASON:
            title = "OBJECTS"
        if len(title) > column_width:
            title = column.short
        if column.key == "group":
            title += f" ({groups:,})"
        out.append((title, column_width, column.right))
    return out


def last_column_text(group: Group, by: str) -> str:
    """The reasons with their counts (by reason: the objects)."""
    if by == REASON:
        return one_line(objects_text(group), 2048)
    return one_line(reasons_text(group.reasons), 2048)


def cell_text(group: Group, key: str, by: str, now: float, absolute_time: bool) -> str:
    if key == "context":
        return one_line(group.context, 128)
    if key in ("last_seen", "first_seen"):
        moment = group.last_seen if key == "last_seen" else group.first_seen
        if not moment:
            return "-"
        if absolute_time:
            return time.strftime("%m-%d %H:%M:%S", time.gmtime(moment))
        return cells.age(now - moment)
    if key == "warnings":
        return f"{group.warnings:,}"
    if key == "normals":
        return f"{group.normals:,}"
    if key == "objects":
        return f"{len(group.objects):,}"
    if key == "namespace":
        return one_line(group.namespace, 256) or "-"
    if key == "group":
        return one_line(group.display, 512)
    if key == "by":
        return BY_TEXT.get(group.resolved_by or "", "")
    return last_column_text(group, by)


def block(group: Group, row_layout: RowLayout, by: str, budget: int,
          console: Console) -> list[Line]:
    """The lines under a row's summary: its warning messages (see
    :func:`~ktui.explorer.grouping.recent_messages`), wrapped, ``budget`` lines at most.
    On a narrow terminal the reasons (by reason: the objects) lead the first one."""
    text_width = max(row_layout.width - len(INDENT), 10)
    lead = ""
    if row_layout.reasons_line:
        lead = fit(last_column_text(group, by), max(text_width * 2 // 5, 12)) + " › "
    wanted: list[tuple[str, str]] = []  # (line, what starts it: "lead", "first" or "")
    for index, event in enumerate(recent_messages(group, budget)):
        message = one_line(event.message, budget * text_width + 1) or "(no message)"
        head = lead if index == 0 else ""
        wrapped = [line.plain.rstrip() for line in
                   Text(head + message).wrap(console, text_width, overflow="fold")]
        start = "lead" if head and wrapped and wrapped[0].startswith(head.rstrip()) else "first"
        wanted += [(line, start if number == 0 else "") for number, line in enumerate(wrapped)]
        if len(wanted) > budget:
            break
    # a message cut in the middle ends with "…"; one left out whole is just not shown
    # (the reasons say how many events there are, enter shows them all)
    if len(wanted) > budget and not wanted[budget][1]:
        last, start = wanted[budget - 1]
        wanted[budget - 1] = (fit(last + " …", text_width), start)
    style = "warning" if group.shown.type == WARNING else "muted"
    lines: list[Line] = []
    for line, start in wanted[:budget]:
        if start == "lead":
            lines.append([("  ", ""), (lead, "muted"), (line[len(lead):], "")])
        elif start == "first":
            lines.append([(INDENT, style), (line, "")])
        else:
            lines.append([(CONTINUED, ""), (line, "")])
    return lines


def fit(text: str, width: int) -> str:
    """``text`` in ``width`` cells, ending with "…" when it had to be cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)) + "…"


def strip_of(cells_in: list[tuple[str, int, bool, Style]], width: int) -> Strip:
    """Cells (text, width, right-aligned, style) one space apart, as one line."""
    segments: list[Segment] = []
    last = len(cells_in) - 1
    for index, (text, column_width, right, style) in enumerate(cells_in):
        if cell_len(text) > column_width and column_width > 1:
            text = fit(text, column_width)
        elif right and cell_len(text) < column_width:
            text = " " * (column_width - cell_len(text)) + text
        segments.append(Segment(set_cell_size(text, column_width), style))
        if index != last:
            segments.append(Segment(" ", style))
    fill = cells_in[-1][3] if cells_in else None
    return Strip(segments).crop(0, width).adjust_cell_length(width, fill)
