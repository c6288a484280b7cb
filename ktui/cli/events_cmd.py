"""``ktui events``: print a cluster's events in time order, once or following changes.

    ktui events [--kubeconfig P] [--context C] [-n NS ... | -A] [--type Normal|Warning]
                [--query Q] [--watch] [--timeout SECONDS]
                [-o table|json|jsonl|raw|raw-jsonl|markdown] [--group owner|object|reason]
    ktui events --history [--opensearch-url URL] [--index PATTERN]
                [--since 1h | --from T [--to T]] [-n NS ... | -A] [--type T] [--query Q] [-o ...]
    ktui events --since 3h [--archive | --opensearch-url URL] [--context A[,B] | --all-contexts]
                [-n NS | -A] [--watch] [-o ...]
    ktui events --view NAME [flags that override the view's]

``--history`` reads what kubernetes-event-exporter stored in OpenSearch, same formats and
order, no kubeconfig needed (``ktui.cli.events_history``); ``--view`` applies a saved view.
A range without ``--history`` (``--since 3h``) merges the history store and the live list
into one timeline (``ktui.cli.events_timeline``; several contexts:
``ktui.cli.events_timeline_multi``). ``--group`` and ``-o markdown`` print the
incident lens (``ktui.cli.events_lens``).

``-o json``/``jsonl`` print ktui's record of each event (:mod:`ktui.model.record`, keys in
the README); ``-o raw``/``raw-jsonl`` the objects as the server sent them.

Failures print one line (``ktui: ...``) and exit 2 for usage or configuration problems,
1 for anything the cluster answered or failed to answer. A listing RBAC narrowed (the
cluster-wide list or some of the namespaces forbidden) prints what it could, says what
it listed in one line, and exits 3. With ``--watch``, a line on stderr says when the
watch goes down and when it is back; a relist prints the events that vanished meanwhile
as expired; and ``--timeout`` exits 3 instead of 0 when the watch is down at that moment
(what was printed may then be missing changes).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from typing import TYPE_CHECKING

from ktui.cli.arguments import positive_seconds

if TYPE_CHECKING:
    from ktui.cli import events_lens
    from ktui.cli.events_lines import (
        Lines,  # annotations only; the source (urllib3, yaml) is imported by run()
    )
    from ktui.feeds.channel import Batch, BatchChannel
    from ktui.feeds.runner import FeedRunner
    from ktui.kube.source import KubeSource
    from ktui.model.event import Event
    from ktui.model.query import Query

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3  # RBAC let ktui list only part of what was asked
EXIT_DOWN = 3  # --watch --timeout ended while the watch was down
POLL_S = 0.2


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "events",
        help="print events in time order (like kubectl events), optionally following them",
        description="Print the events of a kube context in time order, oldest first. "
        "Without -n or -A, the context's namespace (or 'default') is used.",
    )
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
    parser.add_argument("--context", help="kube context (default: the current one); "
                        "several, comma-separated, make one stream")
    parser.add_argument("--all-contexts", action="store_true",
                        help="every context of the kubeconfig, one stream")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        action="append",
        dest="namespaces",
        default=None,
        metavar="NS",
        help="only this namespace (repeatable)",
    )
    scope.add_argument(
        "-A", "--all-namespaces", action="store_true", help="events of every namespace"
    )
    parser.add_argument("--type", type=_event_type, help="only Normal or only Warning events")
    parser.add_argument(
        "--query",
        default="",
        metavar="Q",
        help="ktui filter, e.g. 'reason~BackOff -kind:Node ns:payments'",
    )
    parser.add_argument(
        "-w",
        "--watch",
        action="store_true",
        help="after the list, print each new event and each change",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (with --watch: exit 0, or 3 if the watch is "
        "down at that moment)",
    )
    parser.add_argument(
        "-o",
        "--output",
        choices=("table", "json", "jsonl", "raw", "raw-jsonl", "markdown"),
        default="table",
        help="output format (default: table): json and jsonl are ktui's record of each "
        "event (see the README); raw is one EventList of the objects as the server sent "
        "them (like kubectl get events -o json), raw-jsonl one such object per line; "
        "markdown: a report to paste",
    )
    from ktui.cli import events_lens
    from ktui.cli.events_history import add_arguments

    add_arguments(parser)  # --history, --opensearch-url, --index, --since/--from/--to, --view
    events_lens.add_arguments(parser)  # --group


def _event_type(text: str) -> str:
    value = text.strip().capitalize()
    if value not in ("Normal", "Warning"):
        raise argparse.ArgumentTypeError("must be Normal or Warning")
    return value


def _fail(message: str, code: int) -> Exception:
    from ktui.cli.errors import CliError  # the dispatcher prints it as one line and exits with code

    return CliError(message, code)


def _query(args: argparse.Namespace) -> Query:
    from ktui.model.query import QueryError, parse_query

    try:
        query = parse_query(args.query or "")
    except QueryError as exc:
        raise _fail(f"invalid --query: {exc}", EXIT_USAGE) from None
    if args.type:
        query = query.with_types({args.type})
    return query


def _error_line(exc: BaseException) -> tuple[str, int]:
    from ktui.cli.errors import error_line

    return error_line(exc)

def run(args: argparse.Namespace) -> int:
    from ktui.cli import events_lens
    from ktui.cli.events_history import dispatch

    events_lens.check(args)
    if not args.history and (args.since or args.start or args.end):
        from ktui.cli.events_timeline import run_timeline  # history and live, merged

        return run_timeline(args, _query, _error_line)
    code = dispatch(args)  # --history, or a saved view (a live one fills in args)
    if code is not None:
        return code
    from ktui.feeds.channel import BatchChannel
    from ktui.feeds.errors import SourceError
    from ktui.kube.source import KubeSource

    # --timeout bounds the whole command, a credential plugin's run included
    deadline = time.monotonic() + args.timeout if args.timeout else None
    query = _query(args)
    from ktui.cli import events_multi

    several = events_multi.wanted(args)
    if several is not None:
        return events_multi.run(args, several, query)
    # A one-shot JSON-lines listing keeps nothing: print straight from the raw objects.
    from ktui.cli.events_lines import Lines

    lines = (Lines() if not args.watch and args.output == "jsonl" and query.is_empty
             and not args.group else None)
    source = KubeSource(
        kubeconfig=args.kubeconfig,
        context=args.context,
        namespaces=None if args.all_namespaces else args.namespaces,
        field_selector=query.field_selector(),
        keep_raw=args.output in ("raw", "raw-jsonl"),
        watch=args.watch,
        fail_fast=True,
        page_hook=lines.page if lines is not None else None,
        plugin_timeout=args.timeout,
    )
    try:
        resolved = source.connect()
    except SourceError as exc:
        message, code = _error_line(exc)
        raise _fail(message, code) from None
    if not args.all_namespaces and not args.namespaces:
        source.namespaces = [resolved.namespace or "default"]
    if lines is not None:
        lines.context = resolved.name
    if source.warning:
        print(f"ktui: warning: {source.warning}", file=sys.stderr)
    channel = BatchChannel(capacity=1_000_000)
    namespace_column = bool(args.all_namespaces or len(source.namespaces or ()) > 1)
    printer = _Printer(
        args.output,
        namespace_column=namespace_column,
        query=query,
        watch=args.watch,
        lines=lines,
    )
    if events_lens.wanted(args):
        printer.lens = _live_lens(args, source, query, namespace_column)
    # The listing allocates ~10 objects per event and frees almost none: cyclic GC passes
    # over a growing heap cost up to a third of the time and find nothing to collect.
    gc.disable()
    feed = source.start(channel)
    try:
        code = _follow(feed, source, channel, printer, deadline, watch=args.watch)
        return EXIT_PARTIAL if code == 0 and source.partial else code
    finally:
        feed.stop()
        gc.enable()


def _live_lens(
    args: argparse.Namespace, source: KubeSource, query: Query, namespace_column: bool
) -> events_lens.Lens:
    from ktui.cli import events_lens
    from ktui.kube.owners import OwnerReader
    from ktui.model.report import Heading

    scope = query if args.all_namespaces else query.with_namespaces(source.namespaces or ())
    reader = None
    if args.group == "owner" and source.conn is not None:
        reader = OwnerReader(source.conn)
    heading = Heading(source.name, scope.describe())
    return events_lens.Lens.of(args, heading, namespace_column=namespace_column, reader=reader)


def _follow(
    feed: FeedRunner,
    source: KubeSource,
    channel: BatchChannel,
    printer: _Printer,
    deadline: float | None,
    *,
    watch: bool,
) -> int:
    if not watch:  # a one-shot list: wait for the thread, no polling latency
        feed.thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if feed.running:
            raise _fail("timed out before the events were listed", EXIT_RUNTIME)
    from ktui.cli.events_gaps import Gaps

    listed = False
    gaps = Gaps()
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            if not listed:
                raise _fail("timed out before the events were listed", EXIT_RUNTIME)
            return EXIT_DOWN if gaps.down else 0
        # Read these before draining: once the flag is set, the whole list is in the channel;
        # and a thread seen ended before the flag is read has set it if it ever will.
        alive = feed.running
        complete = source.listed.is_set()
        wait = min(POLL_S, remaining or POLL_S) if alive else 0.0
        batch = channel.drain(timeout=wait)
        printer.absorb(batch)
        if feed.error is not None:
            message, code = _error_line(feed.error)
            raise _fail(message, code)
        if not listed:
            if not complete:
                if not alive:  # ended without listing and without an error: stopped
                    return EXIT_RUNTIME
                continue
            listed = True
            if source.scope_note:  # RBAC narrowed what -A or -n asked for: say so
                # partial (exit 3 at the end): some of what was asked could not be listed
                kind = "partial" if source.partial else "note"
                print(f"ktui: {kind}: {source.scope_note}", file=sys.stderr)
            printer.print_all()
            gaps.skipped(source.skipped)
            if not watch:
                return 0
            gc.freeze()  # what was listed stays: keep it out of later collections
            gc.enable()
        else:
            printer.print_changes()
            gaps.see(batch.status)
            gaps.skipped(source.skipped)
        if not alive:
            return 0


class _Printer:
    """Holds what was seen (a Mirror) and prints what the query keeps."""

    def __init__(
        self, fmt: str, *, namespace_column: bool, query: Query, watch: bool, lines: Lines | None
    ) -> None:
        from ktui.cli.output import TableWriter
        from ktui.feeds.mirror import Mirror

        self.fmt = fmt
        self.query = query
        self.mirror = Mirror()
        self.changed: dict[str, Event] = {}
        self.table = TableWriter(namespace_column=namespace_column)
        self.watch = watch
        self.lines = lines
        self.lens: events_lens.Lens | None = None  # --group, -o markdown
        self.out = sys.stdout

    def absorb(self, batch: Batch) -> None:
        for event in self.mirror.apply(batch):
            self.changed[event.uid] = event

    def _matching(self, events: list[Event]) -> list[Event]:
        from ktui.cli.output import sorted_events

        if not self.query.is_empty:
            events = self.query.filter(events)
        return sorted_events(events)

    def print_all(self) -> None:
        from ktui.cli.output import write_json, write_jsonl, write_raw, write_raw_jsonl

        if self.lines is not None:
            self.lines.write(self.out)
            self.out.flush()
            return
        events = self._matching(list(self.mirror.live().values()))
        self.changed.clear()
        if self.lens is not None:
            self.lens.write(events, self.out)
        elif self.fmt == "jsonl":
            write_jsonl(events, self.out)
        elif self.fmt == "raw-jsonl":
            write_raw_jsonl(events, self.out)
        elif self.fmt == "raw":
            write_raw(events, self.out, stream=self.watch)
        elif self.fmt == "json" and self.watch:
            write_json(events, self.out, array=False)
        elif self.fmt == "json":
            write_json(events, self.out)
        elif events:
            self.out.write(self.table.render(events, header=True))
        else:
            print("No events found.", file=sys.stderr)
        self.out.flush()

    def print_changes(self) -> None:
        from ktui.cli.output import write_json, write_jsonl, write_raw, write_raw_jsonl

        if not self.changed:
            return
        events = self._matching(list(self.changed.values()))
        self.changed.clear()
        if not events:
            return
        if self.fmt == "table":
            self.out.write(self.table.render(events, header=not any(self.table.widths)))
        elif self.fmt == "json":  # a stream cannot be one array: one object each, as kubectl -w
            write_json(events, self.out, array=False)
        elif self.fmt == "raw":
            write_raw(events, self.out, stream=True)
        elif self.fmt == "raw-jsonl":
            write_raw_jsonl(events, self.out)
        else:
            write_jsonl(events, self.out)
        self.out.flush()
