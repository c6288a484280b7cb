"""``ktui events --since 3h --context a,b`` (or ``--all-contexts``) without ``--history``:
one timeline across the TTL for several contexts.

Each context's history is read as ``--history`` with several contexts reads it
(:func:`ktui.cli.events_multi.run_history`): its archive by its cluster's server URL, or
OpenSearch filtered by its cluster name (``[clusters]`` in settings.toml, else the
kubeconfig's cluster name), each document labelled with its context. Each context's
history is merged with that context's live list by :func:`ktui.model.timeline.merge`, so
events are keyed by (context, uid): the live version wins, then the later last-seen time,
then the higher count; a stored event its cluster no longer lists is printed expired.
Then one stream, oldest first, each line with ``context`` and ``origin``. ``--watch``
follows every context's watch in arrival order, with the gaps of each said on stderr
(:mod:`ktui.cli.events_gaps`). A context that fails is named on stderr, the others go on,
and the exit status is 1 at the end (3 when a followed watch was down at ``--timeout``).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ktui.cli.events_entries import EntryPrinter
    from ktui.cli.events_multi import Context
    from ktui.kube.kubeconfig import ResolvedContext
    from ktui.model.event import Event
    from ktui.model.query import Query
    from ktui.model.timeline import Entry
    from ktui.model.timerange import TimeRange

EXIT_RUNTIME = 1
EXIT_USAGE = 2
PAGE_SIZE = 2000
POLL_S = 0.1


def _fail(message: str, code: int) -> Exception:
    from ktui.cli.errors import CliError
    from ktui.model.safe_text import one_line

    return CliError(one_line(message, 500), code)


def run(args: argparse.Namespace, names: list[str], time_range: TimeRange, live: bool,
        query: Query) -> int:
    """The merged timeline of ``names``; the exit status."""
    if getattr(args, "group", None) or args.output not in ("table", "json", "jsonl"):
        raise _fail(f"-o {args.output} and --group take one context", EXIT_USAGE)
    if getattr(args, "view", None):
        raise _fail("--view with several contexts: load the view's own contexts instead",
                    EXIT_USAGE)
    return _Run(args, names, time_range, live, query).run()


class _Run:
    def __init__(self, args: argparse.Namespace, names: list[str], time_range: TimeRange,
                 live: bool, query: Query) -> None:
        from ktui.cli.events_archive import wants_archive
        from ktui.model.timeline import ARCHIVE, OPENSEARCH

        self.args = args
        self.names = names
        self.time_range = time_range
        self.live = live
        self.query = query
        self.archive = wants_archive(args)
        self.origin = ARCHIVE if self.archive else OPENSEARCH
        self.deadline = time.monotonic() + args.timeout if args.timeout else None
        self.failed: list[str] = []
        self.stored: dict[str, list[Event]] = {}  # context -> its history
        self.history_error: BaseException | None = None

    # -- history ----------------------------------------------------------------------

    def _resolve(self) -> dict[str, ResolvedContext]:
        """Each context's kubeconfig entry (its server is the archive's key); a context
        missing from the kubeconfig is named and failed."""
        from ktui.cli.errors import error_line
        from ktui.cli.events_multi import say
        from ktui.feeds.errors import SourceError
        from ktui.kube.kubeconfig import load, resolve

        try:
            config = load(self.args.kubeconfig)
        except SourceError as exc:
            raise _fail(error_line(exc)[0], EXIT_USAGE) from None
        resolved: dict[str, ResolvedContext] = {}
        for name in self.names:
            try:
                resolved[name] = resolve(config, name)
            except SourceError as exc:
                say(name, error_line(exc)[0])
                self.failed.append(name)
        return resolved

    def _namespaces(self, resolved: ResolvedContext) -> list[str] | None:
        args = self.args
        if args.all_namespaces:
            return None
        return list(args.namespaces or [resolved.namespace or "default"])

    def _history(self, resolved: dict[str, ResolvedContext]) -> threading.Thread:
        """The history search of every context, in a thread (not started)."""
        if self.archive:
            work = lambda: self._from_archive(resolved)  # noqa: E731
        else:
            from ktui.cli.events_history import _config

            config = _config(self.args)  # on this thread: a password is asked here
            work = lambda: self._from_opensearch(config, resolved)  # noqa: E731

        def fetch() -> None:
            try:
                work()
            except BaseException as error:  # said by the main thread, as one line
                self.history_error = error

        return threading.Thread(target=fetch, name="ktui-timeline-history", daemon=True)

    def _from_archive(self, resolved: dict[str, ResolvedContext]) -> None:
        from ktui import paths
        from ktui.archive import ArchiveHistory
        from ktui.cli.events_entries import note
        from ktui.cli.events_multi import say
        from ktui.feeds.errors import SourceError

        path = paths.archive_file()
        if not path.exists():
            note(f"no archive at {path} yet: only the live events")
            return
        for name, context in resolved.items():
            namespaces = self._namespaces(context)
            query = self.query if namespaces is None else self.query.with_namespaces(namespaces)
            source = ArchiveHistory(path, context.server, context_label=name)
            events: list[Event] = []
            try:
                for batch in source.iter_all(query, self.time_range, page_size=PAGE_SIZE,
                                             keep_raw=False):
                    events.extend(batch)
                self.stored[name] = events
            except SourceError as exc:  # this context's history only
                say(name, f"archive: {exc}")
                self.failed.append(name)
            finally:
                source.close()

    def _from_opensearch(self, config: object, resolved: dict[str, ResolvedContext]) -> None:
        """One search for every context's cluster name; each document to its context."""
        import dataclasses

        from ktui.cli.events_history import _fetch
        from ktui.cli.events_multi import contexts_by_cluster
        from ktui.model.query import Term
        from ktui.opensearch.source import HistorySource

        by_cluster = contexts_by_cluster(self.args, list(resolved))
        if not by_cluster:
            return
        scopes = {name: self._namespaces(context) for name, context in resolved.items()}
        query = self.query
        if all(scope is not None for scope in scopes.values()):
            query = query.with_namespaces(sorted({ns for scope in scopes.values()
                                                  for ns in scope or ()}))
        query = dataclasses.replace(query, terms=(*query.terms,
                                                  Term("context", ":", tuple(by_cluster))))
        source = HistorySource(config, context_label="")  # type: ignore[arg-type]
        if source.warning:
            print(f"ktui: warning: {source.warning}", file=sys.stderr)
        try:
            found = _fetch(source, query, self.time_range, self.deadline)
        finally:
            source.close()
        for event in found:
            name = by_cluster.get(event.context)
            scope = scopes.get(name) if name is not None else None
            if name is None or (scope is not None and event.namespace not in scope):
                continue  # another cluster's, or another namespace of a -n union
            self.stored.setdefault(name, []).append(dataclasses.replace(event, context=name))

    def _join(self, history: threading.Thread) -> None:
        from ktui.cli.errors import CliError
        from ktui.feeds.errors import ConfigError, SourceError

        remaining = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        history.join(remaining)
        if history.is_alive():
            raise _fail("timed out before the events were listed", EXIT_RUNTIME)
        error = self.history_error
        if isinstance(error, CliError):
            raise _fail(str(error), error.code)
        if isinstance(error, SourceError):
            raise _fail(str(error), EXIT_USAGE if isinstance(error, ConfigError) else EXIT_RUNTIME)
        if error is not None:
            raise error  # a bug: its traceback, not a made-up line

    # -- the run ----------------------------------------------------------------------

    def _printer(self) -> EntryPrinter:
        from ktui.cli.events_entries import EntryPrinter

        args = self.args
        several_namespaces = bool(args.all_namespaces or len(args.namespaces or ()) > 1)
        return EntryPrinter(args.output, watch=args.watch, namespace_column=several_namespaces,
                             context_column=True)

    def _merged(self, name: str, context: Context | None) -> list[Entry]:
        from ktui.model.timeline import merge

        query = self.query
        return merge(self.stored.get(name, ()),
                     None if context is None else list(context.mirror.events.values()),
                     origin=self.origin, live_scope=None if context is None
                     else context.source.watched, since=self.time_range.bounds()[0],
                     matches=None if query.is_empty else query.matches)

    def run(self) -> int:
        from ktui.cli import events_multi
        from ktui.cli.events_entries import note
        from ktui.model.timeline import sort_key

        resolved = self._resolve()
        printer = self._printer()
        if not self.live:
            note("the range ends before now: no live events in it")
            history = self._history(resolved)
            history.start()
            self._join(history)
            entries = [e for name in resolved if name not in self.failed
                       for e in self._merged(name, None)]
            printer.print_entries(sorted(entries, key=lambda e: sort_key(e.event)))
            return EXIT_RUNTIME if self.failed else 0
        contexts = events_multi.start_contexts(self.args, list(resolved), self.query,
                                               self.failed)
        try:
            history = self._history({c.name: c.resolved for c in contexts})
            history.start()
            events_multi.await_lists(contexts, self.failed, self.deadline)
            self._join(history)
            entries = [e for c in contexts if c.name not in self.failed
                       for e in self._merged(c.name, c)]
            printer.print_entries(sorted(entries, key=lambda e: sort_key(e.event)))
            for context in contexts:
                context.changed.clear()
            if self.args.watch:
                self._follow(contexts, printer)
        finally:
            for context in contexts:
                context.runner.stop()
        return events_multi.exit_status(contexts, self.failed)

    def _follow(self, contexts: list[Context], printer: EntryPrinter) -> None:
        """Every context's changes in arrival order, as the live watch brings them."""
        from ktui.cli.events_multi import drain
        from ktui.model.timeline import LIVE, Entry, sort_key

        query, failed, deadline = self.query, self.failed, self.deadline
        live = [c for c in contexts if c.name not in failed]
        while live and (deadline is None or time.monotonic() < deadline):
            for context in live:
                drain(context, failed, POLL_S / len(live))
                if context.changed:
                    changed = list(context.changed.values())
                    context.changed.clear()
                    if not query.is_empty:
                        changed = query.filter(changed)
                    printer.print_entries([Entry(event, LIVE) for event in
                                           sorted(changed, key=sort_key)], stream=True)
            live = [c for c in live if c.name not in failed and c.runner.running]
