"""A report to paste into the incident channel: GitHub-flavoured Markdown.

A heading (context, filter, time range, counts), then one table row per event or per
group. Every value from a cluster is untrusted, so each cell goes through :func:`cell`:

- ``\\`` is written ``\\\\`` and ``|`` ``\\|`` (the table's own syntax);
- the characters that start Markdown or HTML inline syntax (`` ` `` ``*`` ``_`` ``[``
  ``]`` ``<`` ``>`` ``~`` ``&``) are backslash-escaped, so a message cannot become a
  link, an image, an HTML tag or a character reference (``&#x202e;`` would be a bidi
  override once rendered), nor swallow the rest of the table in a code span;
- a line end (CRLF, CR or LF) becomes ``<br>``, a tab a space;
- every other C0 control, DEL, C1 control and bidi control becomes a visible escape
  (``\\x1b``, ``\\u202e``, its backslash escaped too), so the text shows that it was
  there and no terminal that ``cat``s the file acts on it;
- a cell is cut at :data:`CELL_LIMIT` characters (a 200 KB message helps no one).

The only control characters in the document are its own line ends (``\\n``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ktui.model.event import WARNING, Event, format_time
from ktui.model.grouping import REASON, Group
from ktui.model.safe_text import escape_controls

CELL_LIMIT = 2000
OBJECTS_SHOWN = 5
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

_MARKUP = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_END = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\\\x{code:02x}" if code <= 0xFF else f"\\\\u{code:04x}"


def cell(text: str, limit: int = CELL_LIMIT) -> str:
    """One untrusted value as the text of a table cell (see the module's rules)."""
    clipped = text[:limit]
    out = _MARKUP.sub(r"\\\1", clipped)
    out = _LINE_END.sub("<br>", out).replace("\t", " ")
    out = _CONTROL.sub(_visible, out)
    return out + "…" if len(text) > limit else out


def _time(seconds: float) -> str:
    return format_time(seconds) if seconds else "—"


@dataclass(frozen=True, slots=True)
class Heading:
    """What the report is about. ``start``/``end``: the time range asked for (history);
    None for a live listing, whose range is the span of its events."""

    context: str
    filter: str = ""
    start: float | None = None
    end: float | None = None
    written: float | None = None  # when the report was made


def _heading(heading: Heading, events: Sequence[Event], grouped: str | None,
             groups: int) -> list[str]:
    warnings = sum(1 for e in events if e.type == WARNING)
    normals = sum(1 for e in events if e.type == "Normal")
    others = len(events) - warnings - normals
    occurrences = sum(e.count for e in events)
    if heading.start is not None and heading.end is not None:
        span = f"{_time(heading.start)} – {_time(heading.end)}"
    elif events:
        first = min((e.first_seen or e.time for e in events), default=0.0)
        last = max((e.time for e in events), default=0.0)
        span = f"{_time(first)} – {_time(last)} (the events' own span)"
    else:
        span = "—"
    counts = f"{len(events):,} ({warnings:,} Warning, {normals:,} Normal"
    counts += f", {others:,} other)" if others else ")"
    lines = [
        f"## Kubernetes events: {cell(heading.context or 'unknown context', 200)}",
        "",
        f"- **Context:** {cell(heading.context or '—', 200)}",
        f"- **Filter:** {cell(heading.filter or 'all events', 500)}",
        f"- **Time range:** {span}",
        f"- **Events:** {counts}, {occurrences:,} occurrences",
    ]
    if grouped is not None:
        lines.append(f"- **Grouped by:** {grouped}, {groups:,} groups")
    if heading.written is not None:
        lines.append(f"- **Written:** {_time(heading.written)} by ktui")
    return [*lines, ""]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i in numeric else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def events_markdown(events: Sequence[Event], heading: Heading) -> str:
    """The report with one row per event, in the order given (oldest first)."""
    header = ["Last seen", "Namespace", "Type", "Reason", "Object", "Count", "Message"]
    rows = []
    for e in events:
        obj = e.object.display if e.object.kind else e.object.name
        count = f"{e.count:,}" + ("+" if e.count_is_lower_bound else "")
        rows.append([
            _time(e.time) + (" (expired)" if e.expired else ""),
            cell(e.namespace), cell(e.type), cell(e.reason), cell(obj), count,
            cell(e.message),
        ])
    numeric = {5}
    if len({e.context for e in events}) > 1:  # several clusters: say which
        header.insert(1, "Context")
        for row, event in zip(rows, events, strict=True):
            row.insert(1, cell(event.context))
        numeric = {6}
    lines = _heading(heading, events, None, 0)
    if rows:
        lines += _table(header, rows, numeric)
    else:
        lines.append("No events.")
    return "\n".join(lines) + "\n"


def reasons_text(reasons: dict[str, int]) -> str:
    return ", ".join(f"{reason or '(none)'} ×{count:,}" for reason, count in reasons.items())


def objects_text(group: Group, shown: int = OBJECTS_SHOWN) -> str:
    objects = group.objects
    names = [obj.display if obj.kind else obj.name for obj in objects[:shown]]
    more = f", … {len(objects) - shown:,} more" if len(objects) > shown else ""
    return f"{len(objects):,}: {', '.join(names)}{more}"


def groups_markdown(groups: Sequence[Group], heading: Heading, by: str) -> str:
    """The report with one row per group, in the order given (by last seen)."""
    header = ["Last seen", by.capitalize(), "Namespace", "Resolved by", "Warnings", "Normals",
              "Occurrences", "Reasons", "Objects", "First seen", "Message"]
    rows = []
    for g in groups:
        rows.append([
            _time(g.last_seen), cell(g.display), cell(g.namespace),
            g.resolved_by or "", f"{g.warnings:,}", f"{g.normals:,}", f"{g.occurrences:,}",
            cell(reasons_text(g.reasons)), cell(objects_text(g)), _time(g.first_seen),
            cell(g.message),
        ])
    if by == REASON:  # a reason has no namespace, no resolution, and is its own reasons
        for row in (header, *rows):
            del row[7], row[2:4]
    numeric = {2, 3, 4} if by == REASON else {4, 5, 6}
    if by != REASON and len({g.context for g in groups}) > 1:  # several clusters
        header.insert(1, "Context")
        for row, group in zip(rows, groups, strict=True):
            row.insert(1, cell(group.context))
        numeric = {n + 1 for n in numeric}
    events = [e for g in groups for e in g.events]
    lines = _heading(heading, events, by, len(groups))
    if rows:
        lines += _table(header, rows, numeric)
    else:
        lines.append("No events.")
    return "\n".join(lines) + "\n"


def group_summary(group: Group) -> str:
    """One plain paragraph about a group (what ``y`` copies from a group row): safe on a
    terminal (controls made visible), no Markdown."""
    where = f" in {group.namespace}" if group.namespace else ""
    how = f" (grouped by {group.resolved_by})" if group.resolved_by else ""
    shown = group.shown
    said = "latest warning" if shown.type == WARNING else "latest event"
    text = (
        f"{group.display}{where}{how}: {group.warnings:,} warnings and {group.normals:,} "
        f"normal events ({group.occurrences:,} occurrences) from {_time(group.first_seen)} "
        f"to {_time(group.last_seen)}; reasons: {reasons_text(group.reasons)}; objects "
        f"{objects_text(group)}; {said} ({shown.reason}): {shown.message}"
    )
    return escape_controls(text[: CELL_LIMIT * 2])


def report_file_name(context: str, moment: float) -> str:
    """``<context>-<UTC time>.md`` for a report written to a file. A context name is
    untrusted (``arn:aws:eks:...:cluster/prod``, ``../x``): everything but letters,
    digits, ``.``, ``_`` and ``-`` becomes ``_``, and it never starts with a dot."""
    from datetime import UTC, datetime

    safe = _UNSAFE_NAME.sub("_", context).strip("._")[:100] or "events"
    return f"{safe}-{datetime.fromtimestamp(moment, UTC):%Y%m%dT%H%M%SZ}.md"
