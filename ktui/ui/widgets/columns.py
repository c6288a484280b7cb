"""The event table's columns: their order and widths, how they give way on a narrow
terminal, and the CTX column's colour per context."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from functools import lru_cache

from rich.style import Style

from ktui.records import record
from ktui.ui import cells


@record(slots=True)
class Column:
    key: str
    title: str
    width: int  # 0 = takes the remaining width
    right: bool = False


# In order; the context column shows only when several contexts share the table, the
# namespace column only when several namespaces are visible.
COLUMNS = (
    Column("context", "CTX", 10),
    Column("last_seen", "LAST SEEN", cells.AGE_WIDTH),  # absolute times: sized to fit
    Column("type", "TYPE", 7),
    Column("namespace", "NAMESPACE", 14),
    Column("reason", "REASON", 18),
    Column("object", "OBJECT", 30),
    Column("count", "COUNT", cells.COUNT_WIDTH, right=True),
    Column("message", "MESSAGE", 0),
)
# The columns a user (and a saved view) may hide; CTX follows the number of contexts.
COLUMN_KEYS = tuple(column.key for column in COLUMNS if column.key != "context")
MIN_MESSAGE = 20
# One colour per context in the CTX column: the ANSI palette, so 16-colour terminals and
# themes keep them apart; chosen by a stable hash of the name (not Python's, which varies).
_CONTEXT_COLOURS = ("cyan", "magenta", "green", "blue", "yellow", "bright_cyan",
                    "bright_magenta", "bright_green", "bright_blue")


def context_style(context: str, shown: tuple[str, ...] = ()) -> Style:
    """The CTX cell's style: by position among the contexts shown (distinct for up to
    nine), else by a stable hash of the name."""
    return _context_style(context, shown)


@lru_cache(maxsize=256)
def _context_style(context: str, shown: tuple[str, ...]) -> Style:
    if context in shown:
        index = shown.index(context) % len(_CONTEXT_COLOURS)
    else:
        index = zlib.crc32(context.encode("utf-8", "replace")) % len(_CONTEXT_COLOURS)
    return Style(color=_CONTEXT_COLOURS[index], bold=True)


def layout_columns(shown: Sequence[Column], width: int,
                   time_width: int) -> list[tuple[Column, int]]:
    """Each shown column with its width on a line of ``width`` cells; ``time_width``: the
    width absolute times need (0: ages)."""
    widths = {c.key: c.width for c in shown if c.width}
    if time_width and "last_seen" in widths:
        widths["last_seen"] = time_width
    # Narrow terminals: shrink the wide columns, then drop the least needed ones, before
    # the message gets less than a readable minimum. Absolute times never shrink: a clock
    # cut to "08:2" or "12-02" reads as another time.
    for key, minimum in (("object", 16), ("namespace", 9), ("context", 6), ("reason", 16),
                         ("last_seen", time_width or 5), ("count", 0), ("namespace", 0)):
        while key in widths and _message_width(widths, width) < MIN_MESSAGE:
            if minimum == 0:  # this column goes whole rather than shrink to nothing
                del widths[key]
            elif widths[key] > minimum:
                widths[key] -= 1
            else:
                break
    rest = max(_message_width(widths, width), 10)
    return [(c, widths.get(c.key, rest)) for c in shown if c.key in widths or not c.width]


def _message_width(widths: dict[str, int], width: int) -> int:
    return width - sum(widths.values()) - len(widths)
