"""``ktui events --context a,b`` and ``--all-contexts``: several contexts, one stream.

Each context runs its own source (the same list+watch as one context, in its own thread);
the initial lists are printed as one listing ordered by last seen, then, with
``--watch``, every change in arrival order. Each line's ``context`` is the context's name.
A context that fails (unreachable, 401, 403, missing from the kubeconfig) gets one stderr
line naming it and why, the others go on, and the exit status is 1 once everything else
was printed. With ``--watch``, as with one context (:mod:`ktui.cli.events_gaps`): a stderr
line naming the context when its watch goes down and when it is back, the events a relist
found gone printed expired, and exit 3 when ``--timeout`` ends with a context's watch down
(1 still wins when a context failed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from ktui.model.safe_text import one_line

if TYPE_CHECKING:
    from ktui.cli.events_gaps import Gaps
    from ktui.cli.output import TableWriter
    from ktui.feeds.mirror import Mirror
    from ktui.feeds.runner import FeedRunner
    from ktui.kube.kubeconfig import ResolvedContext
    from ktui.kube.source import KubeSource
    from ktui.model.event import Event
    from ktui.model.query import Query
    from ktui.model.timerange import TimeRange

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_DOWN = 3  # --watch --timeout ended while a context's watch was down
POLL_S = 0.1


@dataclass
class Context:
    """One context of the stream: its source, what it holds, what changed since printed."""

    name: str
    source: KubeSource
    runner: FeedRunner
    mirror: Mirror
    gaps: Gaps
    resolved: ResolvedContext
    listed: bool = False
    changed: dict[str, Event] = field(default_factory=dict)


def wanted(args: argparse.Namespace) -> list[str] | None:
    """The contexts asked for when there are several (None: one context, as before)."""
    from ktui.model.contexts import split_contexts

    if getattr(args, "all_contexts", False):
        if args.context:
            raise _fail("use either --context or --all-contexts", EXIT_USAGE)
        from ktui.feeds.errors import SourceError
        from ktui.kube.kubeconfig import list_contexts

        try:
            infos, _ = list_contexts(args.kubeconfig)
        except SourceError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
        return [info.name for info in infos]
    names = split_contexts(args.context)
    return names if len(names) > 1 else None


def _fail(message: str, code: int) -> Exception:
    from ktui.cli.errors import CliError

    return CliError(one_line(message, 500), code)


def say(context: str, text: str) -> None:
    print(f"ktui: context {one_line(context, 120)}: {one_line(text, 500)}", file=sys.stderr,
          flush=True)


def start_contexts(args: argparse.Namespace, names: list[str], query: Query,
                   failed: list[str]) -> list[Context]:
    """Connect to each of ``names`` and start its source (list, and with ``--watch`` the
    watch); a context that cannot start is named on stderr and added to ``failed``."""
    from ktui.cli.errors import error_line as _error_line
    from ktui.cli.events_gaps import Gaps
    from ktui.feeds.channel import BatchChannel
    from ktui.feeds.errors import SourceError
    from ktui.feeds.mirror import Mirror
    from ktui.kube.source import KubeSource

    contexts: list[Context] = []
    for name in names:
        source = KubeSource(
            kubeconfig=args.kubeconfig, context=name,
            namespaces=None if args.all_namespaces else args.namespaces,
            field_selector=query.field_selector(), keep_raw=False, watch=args.watch,
            fail_fast=True,
        )
        try:
            resolved = source.connect()
        except SourceError as exc:
            say(name, _error_line(exc)[0])
            failed.append(name)
            continue
        if not args.all_namespaces and not args.namespaces:
            source.namespaces = [resolved.namespace or "default"]
        if source.warning:
            say(name, f"warning: {source.warning}")
        runner = source.start(BatchChannel(capacity=1_000_000))
        contexts.append(Context(name, source, runner, Mirror(), Gaps(name), resolved))
    return contexts


def run(args: argparse.Namespace, names: list[str], query: Query) -> int:
    """List (and with ``--watch`` follow) ``names``; the exit status."""
    if getattr(args, "group", None) or args.output not in ("table", "json", "jsonl"):
        raise _fail(f"-o {args.output} and --group take one context", EXIT_USAGE)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    failed: list[str] = []
    contexts = start_contexts(args, names, query, failed)
    out = sys.stdout
    table = _table(args, contexts)
    try:
        await_lists(contexts, failed, deadline)
        _print(args.output, _sorted(query, [e for c in contexts for e in c.mirror.live().values()]),
               out, table, first=True, watch=args.watch)
        for context in contexts:
            context.changed.clear()
        if args.watch:
            _follow(args, contexts, failed, deadline, query, out, table)
    finally:
        for context in contexts:
            context.runner.stop()
    return exit_status(contexts, failed)


def exit_status(contexts: list[Context], failed: list[str]) -> int:
    """1 when a context failed; else 3 when a followed context's watch is down (what was
    printed of it may miss changes); else 0."""
    if failed:
        return EXIT_RUNTIME
    return EXIT_DOWN if any(context.gaps.down for context in contexts) else 0


def _table(args: argparse.Namespace, contexts: list[Context]) -> TableWriter:
    from ktui.cli.output import TableWriter

    several_namespaces = bool(args.all_namespaces or len(args.namespaces or ()) > 1)
    return TableWriter(namespace_column=several_namespaces, context_column=True)


def drain(context: Context, failed: list[str], wait: float) -> None:
    from ktui.cli.errors import error_line as _error_line

    listed = context.listed
    batch = context.runner.channel.drain(timeout=wait)
    for event in context.mirror.apply(batch):  # a relist's vanished events: expired
        context.changed[event.uid] = event
    if listed:  # once its list is printed, the gaps in its watch are said
        context.gaps.see(batch.status)
    context.gaps.skipped(context.source.skipped)
    if context.source.listed.is_set() and not context.listed:
        context.listed = True
        if context.source.scope_note:
            say(context.name, f"note: {context.source.scope_note}")
    error = context.runner.error
    if error is not None and context.name not in failed:
        say(context.name, _error_line(error)[0])
        failed.append(context.name)


def await_lists(contexts: list[Context], failed: list[str], deadline: float | None) -> None:
    """Wait until every context listed (or failed, or the deadline passed)."""
    while True:
        pending = [c for c in contexts if not c.listed and c.name not in failed]
        if not pending:
            return
        if deadline is not None and time.monotonic() >= deadline:
            for context in pending:
                say(context.name, "timed out before the events were listed")
                failed.append(context.name)
            return
        for context in pending:
            drain(context, failed, POLL_S / len(pending))
            if not context.listed and not context.runner.running and context.name not in failed:
                say(context.name, "stopped before the events were listed")
                failed.append(context.name)


def _follow(args: argparse.Namespace, contexts: list[Context], failed: list[str],
            deadline: float | None, query: Query, out: IO[str], table: TableWriter) -> None:
    live = [c for c in contexts if c.name not in failed]
    while live and (deadline is None or time.monotonic() < deadline):
        for context in live:
            drain(context, failed, POLL_S / len(live))
            if context.changed:
                events = _sorted(query, list(context.changed.values()))
                context.changed.clear()
                _print(args.output, events, out, table, first=False, watch=True)
        live = [c for c in live if c.name not in failed and c.runner.running]


def _sorted(query: Query, events: list[Event]) -> list[Event]:
    from ktui.cli.output import sorted_events

    return sorted_events(query.filter(events) if not query.is_empty else events)


def _print(fmt: str, events: list[Event], out: IO[str], table: TableWriter, *, first: bool,
           watch: bool) -> None:
    from ktui.cli.output import write_json, write_jsonl

    if fmt == "jsonl":
        write_jsonl(events, out)
    elif fmt == "json":
        write_json(events, out, array=not watch)
    elif events:
        out.write(table.render(events, header=first or not any(table.widths)))
    elif first:
        print("No events found.", file=sys.stderr)
    out.flush()


def run_history(args: argparse.Namespace, names: list[str], query: Query,
                time_range: TimeRange, write: Callable[[list[Event]], None],
                fetch: Callable[[Query], list[Event]]) -> int:
    """``--history`` of several contexts: each one's archive (by its cluster's server), or
    OpenSearch filtered by the contexts' cluster names (``[clusters]`` in settings.toml,
    else the kubeconfig's cluster name), each event labelled with its context's name.
    ``fetch`` reads OpenSearch for a query, ``write`` prints (ktui.cli.events_history)."""
    import copy
    import dataclasses

    from ktui.cli.errors import CliError
    from ktui.cli.events_archive import run_archive_history, wants_archive

    if getattr(args, "view", None):
        raise _fail("--view with several contexts: load the view's own contexts instead",
                    EXIT_USAGE)
    events: list[Event] = []
    failed: list[str] = []
    if wants_archive(args):
        for name in names:
            one = copy.copy(args)
            one.context = name
            try:
                run_archive_history(one, None, query, time_range, events.extend)
            except CliError as exc:
                say(name, str(exc))
                failed.append(name)
    else:
        by_cluster = contexts_by_cluster(args, names)
        found = fetch(query.with_text(f"{query.text} ctx:{','.join(by_cluster)}".strip()))
        events = [dataclasses.replace(e, context=by_cluster.get(e.context, e.context))
                  for e in found]
    write(events)
    return EXIT_RUNTIME if failed else 0


def contexts_by_cluster(args: argparse.Namespace, names: list[str]) -> dict[str, str]:
    """The ``clusterName`` each context's exporter documents carry (``[clusters]`` in
    settings.toml, else the kubeconfig's cluster name, else the context's), to it."""
    import os

    from ktui import paths
    from ktui.config import load_settings

    clusters = load_settings(paths.settings_file(), os.environ).clusters
    return {clusters.get(name) or _cluster_name(args, name) or name: name for name in names}


def _cluster_name(args: argparse.Namespace, context: str) -> str:
    """The kubeconfig's cluster name of ``context`` ("" without a usable kubeconfig)."""
    from ktui.feeds.errors import SourceError
    from ktui.kube.kubeconfig import load, resolve

    try:
        return resolve(load(args.kubeconfig), context).cluster_name
    except SourceError:
        return ""
