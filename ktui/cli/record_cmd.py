"""``ktui record``: archive a context's events headless, for a tmux pane or a systemd unit.

    ktui record [--kubeconfig P] [--context C] [-n NS ... | -A] [--timeout SECONDS]

It watches exactly as the TUI's live source does (``KubeSource``: paged list, then watch;
relist on 410; back-off on failures; the RBAC fallbacks) and hands every change to the
local archive (:mod:`ktui.archive`), which several recorders and TUIs may write at once.
Without ``-n`` it records every namespace, as the TUI watches them (``-A`` says so
explicitly). Every 10 s one status line goes to stderr: the source's state and how many
events were archived.

It stops on ``--timeout``, SIGINT or SIGTERM, writes what it holds and exits 0. Exit 2:
a bad kubeconfig or context, or archiving turned off in settings.toml; exit 1: the
archive cannot be used (a damaged or foreign file, left as it is) or could not take
everything before the end.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any

from ktui.cli.arguments import positive_seconds

if TYPE_CHECKING:
    from ktui.archive import ArchiveError, ArchiveWriter
    from ktui.feeds.status import SourceStatus
    from ktui.kube.source import KubeSource

EXIT_RUNTIME = 1
EXIT_USAGE = 2
STATUS_INTERVAL = 10.0
CLOSE_TIMEOUT = 30.0  # for the last transactions, however busy the archive is


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "record",
        help="archive a context's events in the background (for tmux or systemd)",
        description="Watch a kube context like the TUI does and keep every event in the "
        "local archive ($KTUI_DATA_DIR/archive.sqlite3), past the cluster's one-hour TTL. "
        "Without -n, every namespace. Stops on --timeout, SIGINT or SIGTERM.",
    )
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
    parser.add_argument("--context", help="kube context (default: the current one)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n", "--namespace", action="append", dest="namespaces", default=None, metavar="NS",
        help="only this namespace (repeatable)",
    )  # fmt: skip
    scope.add_argument(
        "-A", "--all-namespaces", action="store_true", help="every namespace (the default)"
    )
    parser.add_argument(
        "--timeout", type=positive_seconds, default=None, metavar="SECONDS",
        help="stop after this many seconds (exit 0)",
    )  # fmt: skip
    # For tests: how often the status line is printed (10 s for everyone else).
    parser.add_argument(
        "--status-interval", type=positive_seconds, default=STATUS_INTERVAL,
        help=argparse.SUPPRESS,
    )


def _fail(message: str, code: int) -> Exception:
    from ktui.cli.errors import CliError
    from ktui.model.safe_text import one_line

    return CliError(one_line(message), code)


def _say(text: str) -> None:
    from ktui.model.safe_text import one_line

    print(f"ktui record: {one_line(text)}", file=sys.stderr, flush=True)


def _writer() -> ArchiveWriter:
    from ktui import paths
    from ktui.archive import ArchiveOptions, ArchiveWriter
    from ktui.config import load_settings
    from ktui.model.safe_text import one_line

    settings = load_settings(paths.settings_file())
    options = ArchiveOptions.from_settings(settings.archive)
    for line in settings.problems:
        print(f"ktui: warning: settings: {one_line(str(line), 500)}", file=sys.stderr)
    if not options.enabled:
        raise _fail("archiving is off ([archive] enabled = false in settings.toml)", EXIT_USAGE)

    def problem(error: ArchiveError) -> None:
        _say(f"archive: {error}")  # once per episode (the writer says when)

    return ArchiveWriter(
        paths.archive_file(),
        retention=options.retention,
        max_size=options.max_size,
        overflow="block",  # a recorder loses nothing: it slows its watch instead
        on_problem=problem,
    )


def _source(args: argparse.Namespace) -> KubeSource:
    from ktui.feeds.errors import ConfigError, SourceError
    from ktui.kube.source import KubeSource

    source = KubeSource(
        kubeconfig=args.kubeconfig,
        context=args.context,
        namespaces=args.namespaces or None,
        keep_raw=True,  # the archive keeps each event's JSON as received
    )
    try:
        source.connect()  # the kubeconfig and credentials; no request yet
    except SourceError as exc:
        code = EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_RUNTIME
        raise _fail(str(exc), code) from None
    return source


def run(args: argparse.Namespace) -> int:
    from ktui.archive import WriterState

    source = _source(args)
    writer = _writer()
    resolved = source.resolved
    assert resolved is not None
    # What the initial list covered decides which archived events it proves deleted.
    channel = writer.tap(resolved.server, resolved.name, scope=lambda: source.watched,
                         forward=False)  # fmt: skip
    stop = threading.Event()
    previous = _on_signals(stop)
    writer.start()
    where = "every namespace" if source.namespaces is None else ", ".join(source.namespaces)
    _say(f"recording {resolved.name} ({writer.path.name} <- {resolved.server}, {where})")
    if source.warning:
        _say(f"warning: {source.warning}")
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    feed = source.start(channel, restart=True)  # a bug in a feed restarts it
    status: SourceStatus | None = None
    archived = 0
    code = 0
    try:
        next_line = time.monotonic() + args.status_interval
        while not stop.is_set():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if writer.status.state is WriterState.FAILED:
                code = EXIT_RUNTIME
                break
            wake = next_line if deadline is None else min(next_line, deadline)
            stop.wait(max(0.0, min(wake - now, 0.5)))
            batch = channel.drain()
            status = batch.status or status
            if time.monotonic() >= next_line:
                archived = _status_line(status, writer, archived)
                next_line += args.status_interval
    finally:
        feed.stop()
        complete = writer.close(CLOSE_TIMEOUT)
        _restore_signals(previous)
    final = writer.status
    _say(f"stopped: {final.line()}")
    if final.state is WriterState.FAILED:
        return EXIT_RUNTIME
    if not complete or final.dropped:
        _say(f"{final.dropped + final.pending:,} events could not be archived")
        return EXIT_RUNTIME
    return code


def _status_line(status: SourceStatus | None, writer: ArchiveWriter, before: int) -> int:
    from ktui.model.safe_text import one_line

    state = status.line() if status is not None else "connecting"
    now = writer.status
    _say(f"{one_line(state)} · {now.line()} (+{now.archived - before:,})")
    return now.archived


def _on_signals(stop: threading.Event) -> dict[int, Any]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
