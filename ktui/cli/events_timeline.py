"""``ktui events --since 3h`` (or ``--from``/``--to``) without ``--history``: one timeline
across the cluster's TTL.

The history store for the range (OpenSearch when configured, else the local archive;
``--opensearch-url``, ``--index`` and ``--archive`` choose) and the live list of the
context, merged by uid as :mod:`ktui.model.timeline` says: the live version wins, a
stored event the cluster no longer has is printed expired, oldest first. Each JSON record
gains ``"origin"`` (``live``, ``archive`` or ``opensearch``). With ``--watch`` the live
watch is then followed, as ``ktui events --watch`` follows it (its gaps said on stderr,
exit 3 when ``--timeout`` ends with the watch down).

``--group`` and ``-o markdown`` print the incident lens of the merged events.

Both sides read the same scope: ``-n``, ``-A``, else the context's namespace. The live
list and the history search run at the same time. With one context, OpenSearch documents
are filtered by ``clusterName`` only when ``[clusters]`` in settings.toml names one for
that context. A range that ends in the past has no live part: it prints the stored
events, and says so on stderr.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ktui.cli.events_entries import EntryPrinter, note

# What ktui.cli.events_cmd lends (it imports this module; this one does not import it):
# the live listing's query from the arguments, and its one line (and exit code) for a
# source error.
MakeQuery = Callable[[argparse.Namespace], "Query"]
ErrorLine = Callable[[BaseException], tuple[str, int]]

if TYPE_CHECKING:
    from ktui.cli.events_lens import Lens
    from ktui.feeds.channel import BatchChannel
    from ktui.feeds.mirror import Mirror
    from ktui.feeds.runner import FeedRunner
    from ktui.kube.kubeconfig import ResolvedContext
    from ktui.kube.source import KubeSource
    from ktui.model.event import Event
    from ktui.model.query import Query
    from ktui.model.timeline import Entry
    from ktui.model.timerange import TimeRange

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_DOWN = 3  # --watch --timeout ended while the watch was down
POLL_S = 0.2
PAGE_SIZE = 2000


def _fail(message: str, code: int) -> Exception:
    from ktui.cli.errors import CliError
    from ktui.model.safe_text import one_line

    return CliError(one_line(message), code)


def run_timeline(args: argparse.Namespace, make_query: MakeQuery, error_line: ErrorLine) -> int:
    from ktui.cli import events_multi
    from ktui.cli.events_history import _apply_live_view, _time_range, dispatch

    several = events_multi.wanted(args)
    if several is not None and len(several) == 1:  # --all-contexts of a one-context file
        args.context, args.all_contexts = several[0], False
        several = None
    if args.output in ("raw", "raw-jsonl"):
        raise _fail(f"-o {args.output} prints objects as received; the merged timeline's "
                    "records say where each came from: use -o json or -o jsonl", EXIT_USAGE)
    if several is not None:  # each context's history and live list, one stream
        from ktui.cli import events_timeline_multi
        from ktui.model.timeline import reaches_now

        time_range = _time_range(args, None)
        live = reaches_now(time_range, time.time())
        if args.watch and not live:
            raise _fail("--watch follows the live watch: the range must reach now "
                        "(--since, or --to now or later)", EXIT_USAGE)
        return events_timeline_multi.run(args, several, time_range, live, make_query(args))
    if getattr(args, "view", None) is not None:
        from ktui.cli.views_cmd import load_view

        view = load_view(args.view)
        if view.mode == "history":  # a history view with another range: still history
            return dispatch(args) or 0
        _apply_live_view(args, view)
        args.view = None
    from ktui.model.timeline import reaches_now

    time_range = _time_range(args, None)
    live = reaches_now(time_range, time.time())
    if args.watch and not live:
        raise _fail("--watch follows the live watch: the range must reach now "
                    "(--since, or --to now or later)", EXIT_USAGE)
    return _Timeline(args, time_range, live, make_query(args), error_line).run()


class _Timeline:
    """One run: the live list and the history search side by side, then the merge."""

    def __init__(self, args: argparse.Namespace, time_range: TimeRange, live: bool,
                 query: Query, error_line: ErrorLine) -> None:
        from ktui.cli.events_archive import wants_archive

        self.args = args
        self.time_range = time_range
        self.live = live
        self.query = query
        self.error_line = error_line
        self.archive = wants_archive(args)
        self.deadline = time.monotonic() + args.timeout if args.timeout else None
        self.stored: list[Event] = []
        self.history_error: BaseException | None = None

    # -- the two sides -----------------------------------------------------------------

    def _source(self) -> tuple[KubeSource, ResolvedContext]:
        from ktui.feeds.errors import SourceError
        from ktui.kube.source import KubeSource

        args = self.args
        source = KubeSource(
            kubeconfig=args.kubeconfig, context=args.context,
            namespaces=None if args.all_namespaces else args.namespaces,
            field_selector=self.query.field_selector(), keep_raw=False, watch=args.watch,
            fail_fast=True, plugin_timeout=args.timeout,
        )  # fmt: skip
        try:
            resolved = source.connect()
        except SourceError as exc:
            message, code = self.error_line(exc)
            raise _fail(message, code) from None
        if not args.all_namespaces and not args.namespaces:
            source.namespaces = [resolved.namespace or "default"]
        return source, resolved

    def _history_query(self, namespaces: list[str] | None, context: str) -> Query:
        from dataclasses import replace

        from ktui import paths
        from ktui.config import load_settings
        from ktui.model.query import Term

        query = self.query
        if namespaces is not None:
            query = query.with_namespaces(namespaces)
        if not self.archive:
            cluster = load_settings(paths.settings_file(), os.environ).clusters.get(context)
            if cluster:  # [clusters] says which clusterName this context's documents carry
                query = replace(query, terms=(*query.terms, Term("context", ":", (cluster,))))
        return query

    def _fetch(self, resolved: ResolvedContext, namespaces: list[str] | None) -> Callable[[], None]:
        """The history search, to run in a thread (its result in ``self.stored``, what
        stopped it in ``self.history_error``)."""
        query = self._history_query(namespaces, resolved.name)
        if self.archive:
            work = lambda: self._fetch_archive(resolved, query)  # noqa: E731
        else:
            from ktui.cli.events_history import _config

            config = _config(self.args)  # on this thread: a password is asked here
            work = lambda: self._fetch_opensearch(config, resolved, query)  # noqa: E731

        def fetch() -> None:
            try:
                work()
            except BaseException as error:  # said by the main thread, as one line
                self.history_error = error

        return fetch

    def _fetch_archive(self, resolved: ResolvedContext, query: Query) -> None:
        from ktui import paths
        from ktui.archive import ArchiveHistory
        from ktui.feeds.errors import SourceError

        path = paths.archive_file()
        if not path.exists():
            note(f"no archive at {path} yet: only the live events")
            return
        source = ArchiveHistory(path, resolved.server, context_label=resolved.name)
        try:
            for batch in source.iter_all(query, self.time_range, page_size=PAGE_SIZE,
                                         keep_raw=False):
                self.stored.extend(batch)
                self._check_deadline()
        except SourceError as exc:
            self.history_error = exc
        finally:
            source.close()

    def _fetch_opensearch(self, config: object, resolved: ResolvedContext,
                          query: Query) -> None:
        from ktui.cli.errors import CliError
        from ktui.cli.events_history import _fetch
        from ktui.opensearch.source import HistorySource

        source = HistorySource(config, context_label=resolved.name)  # type: ignore[arg-type]
        if source.warning:
            note(f"warning: {source.warning}", prefix="ktui: ")
        try:
            self.stored = _fetch(source, query, self.time_range, self.deadline)
        except CliError as exc:
            self.history_error = exc
        finally:
            source.close()

    def _check_deadline(self) -> None:
        from ktui.feeds.errors import SourceError

        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SourceError("timed out before the events were listed")

    # -- the run -----------------------------------------------------------------------

    def run(self) -> int:
        from ktui.feeds.channel import BatchChannel
        from ktui.model.timeline import ARCHIVE, OPENSEARCH

        source, resolved = self._source()
        if source.warning:
            print(f"ktui: warning: {source.warning}", file=sys.stderr)
        namespaces = None if self.args.all_namespaces else list(source.namespaces or ())
        fetch = self._fetch(resolved, namespaces)
        history = threading.Thread(target=fetch, name="ktui-timeline-history", daemon=True)
        printer = EntryPrinter(self.args.output, watch=self.args.watch,
                                namespace_column=namespaces is None or len(namespaces) > 1)
        printer.lens = self._lens(resolved.name, printer.namespace_column)
        origin = ARCHIVE if self.archive else OPENSEARCH
        if not self.live:
            note("the range ends before now: no live events in it")
            history.start()
            self._join(history)
            printer.print_entries(self._merged(origin, None, None))
            return 0
        channel = BatchChannel(capacity=1_000_000)
        gc.disable()  # as the live listing: nothing to collect while it grows
        feed = source.start(channel)
        history.start()
        try:
            return self._follow(feed, source, channel, history, printer, origin)
        finally:
            feed.stop()
            gc.enable()

    def _lens(self, context: str, namespace_column: bool) -> Lens | None:
        """The incident lens (``--group``, ``-o markdown``) over the timeline, if asked."""
        from ktui.cli import events_lens

        if not events_lens.wanted(self.args):
            return None
        from ktui.model.report import Heading

        start, end = self.time_range.bounds()
        heading = Heading(context, self.query.describe(), start, end)
        return events_lens.Lens.of(self.args, heading, namespace_column=namespace_column)

    def _join(self, history: threading.Thread) -> None:
        remaining = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        history.join(remaining)
        if history.is_alive():
            raise _fail("timed out before the events were listed", EXIT_RUNTIME)
        error = self.history_error
        if error is not None:
            from ktui.cli.errors import CliError
            from ktui.feeds.errors import ConfigError, SourceError

            if isinstance(error, CliError):
                raise _fail(str(error), error.code)
            if isinstance(error, SourceError):
                raise _fail(str(error), EXIT_USAGE if isinstance(error, ConfigError)
                            else EXIT_RUNTIME)
            raise error  # a bug: its traceback, not a made-up line

    def _merged(self, origin: str, live: list[Event] | None,
                scope: frozenset[str] | None) -> list[Entry]:
        from ktui.model.timeline import merge

        since = self.time_range.bounds()[0]
        query = self.query
        return merge(self.stored, live, origin=origin, live_scope=scope, since=since,
                     matches=None if query.is_empty else query.matches)

    def _follow(self, feed: FeedRunner, source: KubeSource, channel: BatchChannel,
                history: threading.Thread, printer: EntryPrinter, origin: str) -> int:
        from ktui.cli.events_gaps import Gaps
        from ktui.feeds.mirror import Mirror

        mirror = Mirror()
        listed = False
        gaps = Gaps()  # as ktui events --watch: the watch's gaps said on stderr
        while True:
            remaining = None if self.deadline is None else self.deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                if not listed:
                    raise _fail("timed out before the events were listed", EXIT_RUNTIME)
                return EXIT_DOWN if gaps.down else 0
            # Read these before draining (as ktui events does): once the flag is set, the
            # whole list is in the channel.
            alive = feed.running
            complete = source.listed.is_set()
            wait = min(POLL_S, remaining or POLL_S) if alive else 0.0
            batch = channel.drain(timeout=wait)
            changed = mirror.apply(batch)  # a relist's vanished events come back expired
            if feed.error is not None:
                message, code = self.error_line(feed.error)
                raise _fail(message, code)
            if not listed:
                if not complete:
                    if not alive:
                        return EXIT_RUNTIME
                    continue
                listed = True
                if source.scope_note:
                    print(f"ktui: note: {source.scope_note}", file=sys.stderr)
                self._join(history)
                printer.print_entries(self._merged(origin, _current(mirror), source.watched))
                if not self.args.watch:
                    return 0
                gc.freeze()
                gc.enable()
            else:
                self._print_changes(printer, changed)
                gaps.see(batch.status)
            if not alive:
                return 0

    def _print_changes(self, printer: EntryPrinter, changed: list[Event]) -> None:
        from ktui.model.timeline import LIVE, Entry, sort_key

        query = self.query
        if not query.is_empty:
            changed = query.filter(changed)
        latest = {event.uid: event for event in changed}  # one line per event per drain
        printer.print_entries([Entry(event, LIVE)
                               for event in sorted(latest.values(), key=sort_key)],
                              stream=True)


def _current(mirror: Mirror) -> list[Event]:
    """Every event the live list holds now (its relists honoured)."""
    return list(mirror.events.values())
