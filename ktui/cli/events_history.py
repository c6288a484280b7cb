"""``ktui events --history`` and ``ktui events --view NAME``.

History mode prints the events kubernetes-event-exporter stored in OpenSearch, in the
formats and the order of the live listing (event time, oldest first); with ``--archive``,
or when no OpenSearch is configured, the local archive's (``ktui.cli.events_archive``). Connection
settings come from ``--opensearch-url``/``--index``, the environment
(``KTUI_OPENSEARCH_URL``, ``OPENSEARCH_HOST``, ``OPENSEARCH_USER``,
``OPENSEARCH_PASSWORD``) and the ``[opensearch]`` table of settings.toml (see
:mod:`ktui.config`). No kubeconfig is read: a
``--context`` is only the label of events without a ``clusterName``.

``--view NAME`` applies a saved view: a live view fills in the live listing's flags
(query, types, namespaces, context; flags given on the command line win), a history view
runs history mode with its time range.

Failures are one line (``ktui: ...``): exit 2 for usage and configuration, 1 for what
OpenSearch answered or failed to answer.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the OpenSearch client is imported only when history runs
    from ktui.model.event import Event
    from ktui.model.query import Query
    from ktui.model.timerange import TimeRange
    from ktui.opensearch.config import OpenSearchConfig
    from ktui.opensearch.source import HistorySource
    from ktui.views.store import SavedView

EXIT_RUNTIME = 1
EXIT_USAGE = 2
PAGE_SIZE = 2000
DEFAULT_SINCE = "1h"

# Flags that only mean something in history mode: (attribute, spelling).
HISTORY_ONLY = (
    ("opensearch_url", "--opensearch-url"),
    ("index", "--index"),
    ("since", "--since"),
    ("start", "--from"),
    ("end", "--to"),
    ("archive", "--archive"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The history and saved-view flags of ``ktui events``."""
    parser.add_argument(
        "--history",
        action="store_true",
        help="read the events stored in OpenSearch (kubernetes-event-exporter) instead of "
        "the cluster; without -n, every namespace",
    )
    parser.add_argument(
        "--archive",
        action="store_true",
        default=None,
        help="history (--history or --since) from the local archive (what ktui and `ktui "
        "record` kept) of the context's cluster; the default when no OpenSearch is configured",
    )
    parser.add_argument(
        "--opensearch-url",
        metavar="URL",
        help="OpenSearch URL for history (default: $KTUI_OPENSEARCH_URL, [opensearch] url "
        "in settings.toml, https://$OPENSEARCH_HOST)",
    )
    parser.add_argument(
        "--index",
        metavar="PATTERN",
        help="index pattern for history (default eks-kubernetes-events*)",
    )
    parser.add_argument(
        "--since",
        metavar="DURATION",
        help=f"the last 15m, 6h, 7d... (--history: default {DEFAULT_SINCE}); without "
        "--history, the history store and the live list merged, each event once",
    )
    parser.add_argument("--from", dest="start", metavar="TIME", help="RFC 3339 start (as --since)")
    parser.add_argument(
        "--to", dest="end", metavar="TIME", help="RFC 3339 end (default: now)"
    )
    parser.add_argument(
        "--view",
        metavar="NAME",
        help="the events of a saved view (see ktui views); flags given here win over the view's",
    )


def _fail(message: str, code: int) -> Exception:
    from ktui.cli.errors import CliError
    from ktui.model.safe_text import one_line

    return CliError(one_line(message), code)


def dispatch(args: argparse.Namespace) -> int | None:
    """Run history mode, or fill ``args`` in from a live saved view and return None so the
    live listing goes on. Plain live arguments are checked and left alone."""
    view = None
    if getattr(args, "view", None) is not None:
        from ktui.cli.views_cmd import load_view

        view = load_view(args.view)
    history = bool(args.history) or (view is not None and view.mode == "history")
    if not history:
        for attribute, flag in HISTORY_ONLY:
            if getattr(args, attribute, None) is not None:
                raise _fail(f"{flag} needs --history, or a range (--since) to merge "
                            "history with the live list", EXIT_USAGE)
        if view is not None:
            _apply_live_view(args, view)
        return None
    from ktui.cli import events_multi
    from ktui.cli.events_archive import wants_archive

    several = events_multi.wanted(args)
    if several is not None:
        if args.watch:
            raise _fail("--watch cannot follow history", EXIT_USAGE)
        query, time_range = _history_query(args, None), _time_range(args, None)

        def fetch(wanted: Query) -> list[Event]:
            from ktui.opensearch.source import HistorySource

            source = HistorySource(_config(args), context_label="")
            deadline = time.monotonic() + args.timeout if args.timeout else None
            try:
                return _fetch(source, wanted, time_range, deadline)
            finally:
                source.close()

        return events_multi.run_history(
            args, several, query, time_range,
            lambda events: _write(events, args, query, time_range, ",".join(several)), fetch)
    archive = wants_archive(args)
    if args.watch:
        where = "" if args.history else f" (view {_name(view)} is a history view)"
        store = "the archive" if archive else "OpenSearch history"
        raise _fail(f"--watch cannot follow {store}{where}", EXIT_USAGE)
    if archive:
        from ktui.cli.events_archive import run_archive_history

        query = _history_query(args, view)
        time_range = _time_range(args, view)
        label = args.context or (view.context if view is not None else None) or ""
        return run_archive_history(
            args, view, query, time_range,
            lambda events: _write(events, args, query, time_range, label),
        )
    return run_history(args, view)


# -- saved views ------------------------------------------------------------------------


def _name(view: SavedView | None) -> str:
    from ktui.views.store import show_name

    return show_name(view.name) if view is not None else "''"


def _apply_live_view(args: argparse.Namespace, view: SavedView) -> None:
    """The view's settings where the command line left them unset."""
    from ktui.model.query import Term

    if not args.context and view.context:
        args.context = view.context
    if not args.namespaces and not args.all_namespaces:
        if view.namespaces:
            args.namespaces = list(view.namespaces)
        else:
            args.all_namespaces = True  # a view without namespaces shows them all
    text = args.query or view.query
    if args.type is None and view.types:
        single = view.types[0].strip().capitalize() if len(view.types) == 1 else ""
        if single in ("Normal", "Warning"):
            args.type = single
        else:  # several types, or an unusual one: the same filter as a query term
            text = f"{text} {Term('type', ':', tuple(view.types))}".strip()
    args.query = text


# -- history ----------------------------------------------------------------------------


def _history_query(args: argparse.Namespace, view: SavedView | None) -> Query:
    from ktui.model.query import QueryError, parse_query

    text = args.query or (view.query if view is not None else "")
    try:
        query = parse_query(text)
    except QueryError as exc:
        what = "--query" if args.query else f"query of saved view {_name(view)}"
        raise _fail(f"invalid {what}: {exc}", EXIT_USAGE) from None
    if args.type:
        query = query.with_types({args.type})
    elif view is not None:
        query = query.with_types(view.types)
    if args.namespaces:
        query = query.with_namespaces(args.namespaces)
    elif view is not None and not args.all_namespaces:
        query = query.with_namespaces(view.namespaces)
    return query


def _time_range(args: argparse.Namespace, view: SavedView | None) -> TimeRange:
    from ktui.model.timerange import TimeRange

    if args.end and not args.start:
        raise _fail("--to needs --from", EXIT_USAGE)
    if args.since or args.start:
        try:
            return TimeRange.parse(since=args.since, start=args.start, end=args.end)
        except ValueError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
    if view is not None and view.time_range is not None:
        return view.time_range
    return TimeRange.last(DEFAULT_SINCE)


def _config(args: argparse.Namespace) -> OpenSearchConfig:
    from ktui import paths
    from ktui.config import Flags, load_settings
    from ktui.feeds.errors import SourceError
    from ktui.model.safe_text import one_line
    from ktui.opensearch.config import config_from_settings

    flags = Flags(opensearch_url=args.opensearch_url, index=args.index)
    settings = load_settings(paths.settings_file(), os.environ, flags)
    for problem in settings.problems:
        if problem.from_flag:  # what the command line says is not guessed around
            raise _fail(str(problem), EXIT_USAGE)
        print(f"ktui: warning: settings: {one_line(str(problem), 500)}", file=sys.stderr)
    try:
        config = config_from_settings(settings.opensearch, os.environ, flags)
    except SourceError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    if config.user and not config.password and not config.aws_sigv4 and _interactive():
        config = replace(config, password_callback=_asker(config))
    if args.timeout:
        config = replace(config, request_timeout=min(config.request_timeout, args.timeout))
    return config


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):
        return False


def _asker(config: OpenSearchConfig) -> Any:
    def ask() -> str:
        import getpass

        from ktui.feeds.errors import ConfigError
        from ktui.model.safe_text import one_line

        prompt = f"OpenSearch password for {one_line(config.user)} at {config.display_url}: "
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise ConfigError(
                f"no password for OpenSearch user {config.user}", hint="set OPENSEARCH_PASSWORD"
            ) from None

    return ask


def run_history(args: argparse.Namespace, view: SavedView | None = None) -> int:
    """List the matching history events, oldest first, in the chosen format."""
    query = _history_query(args, view)
    time_range = _time_range(args, view)
    config = _config(args)
    from ktui.opensearch.source import HistorySource

    label = args.context or (view.context if view is not None else None) or ""
    source = HistorySource(config, context_label=label)
    if source.warning:
        print(f"ktui: warning: {source.warning}", file=sys.stderr)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    try:
        events = _fetch(source, query, time_range, deadline,
                        keep_raw=args.output in ("raw", "raw-jsonl"))
    finally:
        source.close()
    _write(events, args, query, time_range, label)
    return 0


def _write(events: list[Event], args: argparse.Namespace, query: Query,
           time_range: TimeRange, label: str) -> None:
    """Print history (OpenSearch's or the archive's): events, or the lens (--group,
    -o markdown) with the time range asked for in its heading."""
    namespace_column = len(query.namespaces) != 1
    from ktui.cli import events_lens

    if not events_lens.wanted(args):
        _print(events, args.output, namespace_column=namespace_column)
        return
    from ktui.cli.output import sorted_events
    from ktui.model.report import Heading

    start, end = time_range.bounds()
    contexts = sorted({e.context for e in events if e.context})
    heading = Heading(label or ", ".join(contexts) or "history", query.describe(), start, end)
    lens = events_lens.Lens.of(args, heading, namespace_column=namespace_column)
    lens.write(sorted_events(events), sys.stdout)
    sys.stdout.flush()


def _fetch(
    source: HistorySource, query: Query, time_range: TimeRange, deadline: float | None,
    *, keep_raw: bool = False,
) -> list[Event]:
    from ktui.feeds.errors import ConfigError, SourceError
    from ktui.opensearch.errors import translate

    events: list[Event] = []
    try:
        for batch in source.iter_all(query, time_range, page_size=PAGE_SIZE, keep_raw=keep_raw):
            events.extend(batch)
            if deadline is not None and time.monotonic() > deadline:
                raise SourceError("timed out before the events were listed")
    except SourceError as exc:
        raise _fail(
            str(exc), EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_RUNTIME
        ) from None
    except Exception as exc:
        # The client's own errors outside a request (building the connection, e.g. a
        # missing CA file) get the same one-line treatment; anything else is a bug.
        if not type(exc).__module__.startswith("opensearchpy"):
            raise
        config = source.config
        error = translate(
            exc, url=config.display_url, index=config.index, timeout=config.request_timeout
        )
        raise _fail(str(error), EXIT_RUNTIME) from None
    return events


def _print(events: list[Event], fmt: str, *, namespace_column: bool) -> None:
    from ktui.cli.output import (
        TableWriter,
        sorted_events,
        write_json,
        write_jsonl,
        write_raw,
        write_raw_jsonl,
    )

    ordered = sorted_events(events)
    out = sys.stdout
    if fmt == "jsonl":
        write_jsonl(ordered, out)
    elif fmt == "raw-jsonl":  # the exporter's documents, as stored
        write_raw_jsonl(ordered, out)
    elif fmt == "raw":
        write_raw(ordered, out)
    elif fmt == "json":
        write_json(ordered, out)
    elif ordered:
        out.write(TableWriter(namespace_column=namespace_column).render(ordered, header=True))
    else:
        print("No events found.", file=sys.stderr)
    out.flush()
