"""``ktui events --group owner|object|reason`` and ``-o markdown``: the incident lens for
scripts and for the incident channel, live or with ``--history``.

One row per group, ordered by last seen (oldest first, like the event listing). JSON
(``-o json`` an array, ``-o jsonl`` one object per line) has exactly these keys:
``group`` (``{kind, namespace, name}``; namespace ``""`` for cluster-scoped owners such
as Nodes; for ``--group reason`` kind and namespace are ``""`` and name is the reason),
``resolved_by`` (``ownerReferences``, ``name`` or ``self``; null for reasons),
``events``, ``warnings``, ``normals`` (counts of event objects), ``occurrences`` (their
summed count), ``reasons`` (``{reason: event objects}``, most frequent first),
``objects`` (``kind/name`` of each involved object), ``first_seen``, ``last_seen``
(RFC 3339, UTC, ``Z``) and ``message`` (the latest warning's, else the latest event's).
``-o markdown`` writes :mod:`ktui.model.report`'s report, with or without ``--group``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from ktui.model.event import format_time
from ktui.model.grouping import GROUPINGS, OWNER, REASON, Group, group_events
from ktui.model.owners import OwnerResolver
from ktui.model.report import Heading, events_markdown, groups_markdown, reasons_text
from ktui.model.timefmt import human_duration

if TYPE_CHECKING:
    from ktui.kube.owners import OwnerReader
    from ktui.model.event import Event

EXIT_USAGE = 2
REASONS_WIDTH = 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group",
        choices=GROUPINGS,
        help="one row per owner (deployment/web: its ReplicaSets' and Pods' events too), "
        "per involved object or per reason, ordered by last seen",
    )


def wanted(args: argparse.Namespace) -> bool:
    """Whether this listing is the lens's to print."""
    return bool(getattr(args, "group", None)) or args.output == "markdown"


def check(args: argparse.Namespace) -> None:
    """Usage errors: a report or a grouping is made of a finished list."""
    if getattr(args, "group", None) and args.output in ("raw", "raw-jsonl"):
        from ktui.cli.errors import CliError

        raise CliError(f"--group {args.group} prints rows, not the objects of -o "
                       f"{args.output}: choose one", EXIT_USAGE)
    if wanted(args) and args.watch:
        from ktui.cli.errors import CliError

        what = f"--group {args.group}" if args.group else "-o markdown"
        raise CliError(f"{what} cannot follow changes (--watch): run it without", EXIT_USAGE)


def _time(seconds: float) -> str | None:
    return format_time(seconds) if seconds else None


def group_record(group: Group, *, with_context: bool = False) -> dict[str, Any]:
    """The JSON object of one group (the keys of issue 12, in that order). Rows of
    several contexts (history of several clusters) name theirs: ``group.context``."""
    kind, namespace, name = group.key
    where: dict[str, str] = {"kind": kind, "namespace": namespace, "name": name}
    if with_context:
        where["context"] = group.context
    return {
        "group": where,
        "resolved_by": group.resolved_by,
        "events": group.size,
        "warnings": group.warnings,
        "normals": group.normals,
        "occurrences": group.occurrences,
        "reasons": dict(group.reasons),
        "objects": [obj.display if obj.kind else obj.name for obj in group.objects],
        "first_seen": _time(group.first_seen),
        "last_seen": _time(group.last_seen),
        "message": group.message,
    }


def group_table(groups: Sequence[Group], by: str, *, namespace_column: bool,
                context_column: bool = False, now: float | None = None) -> str:
    """kubectl-style columns (three spaces apart, MESSAGE last and unpadded), every cell
    through :func:`ktui.cli.output.clip` (controls escaped, width-aware)."""
    from ktui.cli.output import clip, display_width
    from ktui.model.safe_text import one_line

    moment = time.time() if now is None else now
    header = ["LAST SEEN", by.upper(), "BY", "WARNINGS", "NORMALS", "COUNT", "OBJECTS",
              "REASONS", "MESSAGE"]
    if by == REASON:
        header.remove("BY")
    elif namespace_column:
        header.insert(1, "NAMESPACE")
    if context_column and by != REASON:
        header.insert(1, "CONTEXT")
    context_column = context_column and by != REASON
    rows = [header]
    for g in groups:
        row = [human_duration(moment - g.last_seen) if g.last_seen else "<unknown>",
               clip(g.display), g.resolved_by or "", str(g.warnings), str(g.normals),
               str(g.occurrences), str(len(g.objects)),
               clip(reasons_text(g.reasons), REASONS_WIDTH), one_line(g.message)]
        if by == REASON:
            del row[2]
        elif namespace_column:
            row.insert(1, clip(g.namespace) or "-")
        if context_column:
            row.insert(1, clip(g.context) or "-")
        rows.append(row)
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["   ".join([*(c + " " * (w - display_width(c)) for c, w in
                           zip(row, widths, strict=False)), row[-1]]).rstrip()
             for row in rows]
    return "".join(line + "\n" for line in lines)


@dataclass
class Lens:
    """What to print, and about what: the grouping, the format and the heading."""

    group: str | None
    fmt: str
    heading: Heading
    namespace_column: bool = True
    reader: OwnerReader | None = None  # live: ownerReferences read from the cluster

    @classmethod
    def of(cls, args: argparse.Namespace, heading: Heading, *, namespace_column: bool,
           reader: OwnerReader | None = None) -> Lens:
        return cls(args.group, args.output, heading, namespace_column, reader)

    def resolvers(self, events: Sequence[Event]) -> Callable[[str], OwnerResolver]:
        """A resolver per context: owners from the cluster's ownerReferences where it
        lets us read them (fetched now: the CLI may block), from those the events carry
        (history, maybe of several clusters), else by name."""
        lookup = None
        if self.reader is not None:
            keys = {(e.object.kind, e.object.namespace, e.object.name) for e in events}
            self.reader.fetch(keys)
            lookup = self.reader.lookup
        by_context: dict[str, list[Event]] = {}
        for event in events:
            by_context.setdefault(event.context, []).append(event)
        resolvers: dict[str, OwnerResolver] = {}
        for context, own in by_context.items():
            resolvers[context] = OwnerResolver(lookup)
            resolvers[context].learn(own)
        return lambda context: resolvers.setdefault(context, OwnerResolver(lookup))

    def write(self, events: Sequence[Event], out: IO[str]) -> None:
        """Print ``events`` (matching, oldest first) as this lens says."""
        heading = Heading(self.heading.context, self.heading.filter, self.heading.start,
                          self.heading.end, written=time.time())
        if self.group is None:
            out.write(events_markdown(events, heading))
            return
        resolvers = self.resolvers(events) if self.group == OWNER else None
        groups = group_events(events, self.group, resolvers)
        several = len({g.context for g in groups}) > 1
        if self.fmt == "markdown":
            out.write(groups_markdown(groups, heading, self.group))
        elif self.fmt == "json":
            records = [group_record(g, with_context=several) for g in groups]
            out.write(json.dumps(records, indent=2) + "\n")
        elif self.fmt == "jsonl":
            out.write("".join(json.dumps(group_record(g, with_context=several),
                                         separators=(",", ":")) + "\n" for g in groups))
        elif groups:
            out.write(group_table(groups, self.group, namespace_column=self.namespace_column,
                                  context_column=several))
        else:
            import sys

            print("No events found.", file=sys.stderr)
