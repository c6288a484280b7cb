"""``ktui events --history`` from the local archive (``--archive``, or when no OpenSearch
is configured).

The archive is keyed by the cluster's API server URL, so the kubeconfig is read to know
the context's server; nothing is sent over the network. Events are printed as the
OpenSearch history and the live listing print them: oldest first, each at its newest
archived version, ``"expired": true`` for the ones the cluster has deleted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ktui.config import OpenSearchSettings
    from ktui.kube.kubeconfig import ResolvedContext
    from ktui.model.event import Event
    from ktui.model.query import Query
    from ktui.model.timerange import TimeRange
    from ktui.views.model import SavedView

EXIT_RUNTIME = 1
EXIT_USAGE = 2
PAGE_SIZE = 2000
NO_OPENSEARCH = (
    "no OpenSearch URL (set KTUI_OPENSEARCH_URL or OPENSEARCH_HOST, or url in [opensearch])"
)


def opensearch_configured(section: OpenSearchSettings) -> bool:
    """Whether any of the places an OpenSearch URL comes from (the file, KTUI_OPENSEARCH_URL,
    OPENSEARCH_HOST; ktui.config reads them all) names one."""
    return bool(section.url)


def _fail(message: str, code: int) -> Exception:
    from ktui.cli.errors import CliError
    from ktui.model.safe_text import one_line

    return CliError(one_line(message), code)


def wants_archive(args: argparse.Namespace) -> bool:
    """``--archive``, or history without any OpenSearch configured."""
    if args.archive:
        for attribute, flag in (("opensearch_url", "--opensearch-url"), ("index", "--index")):
            if getattr(args, attribute, None) is not None:
                raise _fail(f"{flag} reads OpenSearch; it cannot go with --archive", EXIT_USAGE)
        return True
    if args.opensearch_url:
        return False
    from ktui import paths
    from ktui.config import load_settings

    return not opensearch_configured(load_settings(paths.settings_file(), os.environ).opensearch)


def _context(args: argparse.Namespace, view: SavedView | None) -> ResolvedContext:
    from ktui.feeds.errors import SourceError
    from ktui.kube.kubeconfig import load, resolve

    name = args.context or (view.context if view is not None else None) or None
    try:
        return resolve(load(args.kubeconfig), name)
    except SourceError as exc:
        if args.archive:
            raise _fail(f"the archive needs the context's cluster: {exc}", EXIT_USAGE) from None
        raise _fail(f"{NO_OPENSEARCH}, and for the archive: {exc}", EXIT_USAGE) from None


def run_archive_history(
    args: argparse.Namespace,
    view: SavedView | None,
    query: Query,
    time_range: TimeRange,
    write: Callable[[list[Event]], None],
) -> int:
    """List the matching archived events with ``write`` (oldest first, the chosen format)."""
    from ktui import paths
    from ktui.archive import ArchiveHistory
    from ktui.feeds.errors import SourceError

    resolved = _context(args, view)
    path = paths.archive_file()
    if not path.exists():
        raise _fail(
            f"no archive at {path} yet: ktui archives what it watches, and `ktui record` "
            "records in the background",
            EXIT_RUNTIME,
        )
    source = ArchiveHistory(path, resolved.server, context_label=resolved.name)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    events: list[Event] = []
    try:
        if not source.known():
            print(
                f"ktui: note: the archive holds no events of {source.server} "
                f"(context {resolved.name})",
                file=sys.stderr,
            )
        keep_raw = args.output in ("raw", "raw-jsonl")  # the objects as the server sent them
        for batch in source.iter_all(query, time_range, page_size=PAGE_SIZE, keep_raw=keep_raw):
            events.extend(batch)
            if deadline is not None and time.monotonic() > deadline:
                raise SourceError("timed out before the events were listed")
    except SourceError as exc:
        raise _fail(str(exc), EXIT_RUNTIME) from None
    finally:
        source.close()
    write(events)
    return 0
