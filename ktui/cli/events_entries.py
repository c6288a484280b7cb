"""The merged timeline's output (``ktui events --since`` without ``--history``, one
context or several): events with their origin, in the chosen format; notes on stderr."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ktui.cli.events_lens import Lens
    from ktui.model.timeline import Entry


def note(text: str, prefix: str = "ktui: note: ") -> None:
    from ktui.model.safe_text import one_line

    print(f"{prefix}{one_line(text)}", file=sys.stderr)


class EntryPrinter:
    """The timeline in the chosen format: JSON records carry their origin."""

    def __init__(self, fmt: str, *, watch: bool, namespace_column: bool,
                 context_column: bool = False, out: IO[str] | None = None) -> None:
        from ktui.cli.output import TableWriter

        self.fmt = fmt
        self.watch = watch
        self.table = TableWriter(namespace_column=namespace_column,
                                 context_column=context_column)
        self.out = out or sys.stdout
        self.namespace_column = namespace_column
        self.printed_any = False
        self.lens: Lens | None = None

    def print_entries(self, entries: list[Entry], *, stream: bool = False) -> None:
        import json

        from ktui.model.record import line_with_origin, record_with_origin

        out = self.out
        if self.lens is not None:  # groups or a report: made of events, whatever origin
            self.lens.write([entry.event for entry in entries], out)
        elif self.fmt == "jsonl":
            out.write("".join([line_with_origin(e.event, e.origin) + "\n" for e in entries]))
        elif self.fmt == "json":
            records = [record_with_origin(e.event, e.origin) for e in entries]
            if stream or self.watch:  # a stream cannot be one array: one object each
                out.write("".join(json.dumps(r, indent=2) + "\n" for r in records))
            else:
                out.write(json.dumps(records, indent=2) + "\n" if records else "[]\n")
        elif entries:
            events = [entry.event for entry in entries]
            out.write(self.table.render(events, header=not self.printed_any))
            self.printed_any = True
        elif not stream:
            print("No events found.", file=sys.stderr)
        out.flush()
