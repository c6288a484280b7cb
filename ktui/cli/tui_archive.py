"""The TUI archives what it watches: one writer per process, in a child process
(:class:`~ktui.archive.process.ProcessWriter`: the writer's SQLite and zlib work never
takes the UI thread's interpreter lock; ``in_process=True`` keeps the thread of
:class:`~ktui.archive.ArchiveWriter`).

The launcher (``ktui.cli.ui_cmd``) makes a :class:`TuiArchive` unless ``[archive] enabled
= false`` or the clusters are the demo's (random ports: nothing worth keeping). It is the
explorer's :class:`~ktui.explorer.live.LiveArchive`:

- ``channel(context)`` (UI thread) is an :class:`~ktui.archive.ArchiveTap` without a
  recorder yet. The writer is made on the first call, which comes after the first paint,
  so sqlite3 is never imported before the first frame.
- ``bind(channel, context, source)`` runs in the source's thread, before it runs: the
  context's API server URL (the archive's key for the cluster) comes from the kubeconfig
  there, ``resolve(load(kubeconfig), context).server``, never on the UI thread and never
  over the network. Then the tap records with the writer's recorder for that cluster.
- The writer drops rather than waits when it falls behind (``overflow="drop"``): the
  live view keeps every event; the archive counts its gap.
- A damaged, foreign or locked archive never stops ktui: the writer reports it once per
  episode, :meth:`notice` hands each message to the screen once, and the live view goes
  on (without archiving, or retrying a locked file).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ktui.archive import ArchiveError, ArchiveOptions, ArchiveWriter
    from ktui.archive.process import ProcessWriter
    from ktui.feeds.channel import BatchChannel
    from ktui.feeds.contract import EventSource

CLOSE_TIMEOUT = 3.0  # s at exit: a locked archive must not hold the terminal for long


class TuiArchive:
    """Archives the TUI's live sessions into the archive file at ``path``."""

    def __init__(self, path: Path, kubeconfig: str | None, options: ArchiveOptions, *,
                 busy_timeout: float = 5.0, in_process: bool = False) -> None:
        self.path = path
        self.in_process = in_process
        self.kubeconfig = kubeconfig
        self.options = options
        self.busy_timeout = busy_timeout  # s a write waits for another process's lock
        self._writer: ArchiveWriter | ProcessWriter | None = None
        self._lock = threading.Lock()  # the writer and the servers
        self._notice_lock = threading.Lock()  # the writer's thread reports under this one
        self._servers: dict[str, str] = {}
        self._notices: list[str] = []
        self._told: set[str] = set()

    @property
    def writer(self) -> ArchiveWriter | ProcessWriter:
        """The process's one writer, started on first use (the child process is started
        by the writer's own thread, not here on the UI thread)."""
        with self._lock:
            if self._writer is None:
                if self.in_process:
                    from ktui.archive import ArchiveWriter

                    self._writer = ArchiveWriter(
                        self.path, retention=self.options.retention,
                        max_size=self.options.max_size, overflow="drop",
                        on_problem=self._problem, busy_timeout=self.busy_timeout,
                    ).start()  # fmt: skip
                else:
                    from ktui.archive.process import ProcessWriter

                    self._writer = ProcessWriter(
                        self.path, retention=self.options.retention,
                        max_size=self.options.max_size, on_problem=self._problem,
                        busy_timeout=self.busy_timeout,
                    ).start()  # fmt: skip
            return self._writer

    # -- the explorer's LiveArchive ------------------------------------------------------

    def channel(self, context: str) -> BatchChannel:
        from ktui.archive import ArchiveTap

        self.writer  # noqa: B018 - started now, so the first changes find it running
        return ArchiveTap(None)

    def bind(self, channel: BatchChannel, context: str, source: EventSource) -> None:
        from ktui.archive import UNKNOWN_SCOPE, ArchiveTap
        from ktui.archive.recorder import Scope

        if not isinstance(channel, ArchiveTap):
            return
        try:
            server = self._server(context)
            if server is None:
                return  # a kubeconfig without this context's server: the source says why

            def scope() -> Scope:
                # What the source's initial list covered (KubeSource knows; RBAC fallbacks
                # included); anything else: unknown, so nothing is concluded from it.
                watched = getattr(source, "watched", UNKNOWN_SCOPE)
                return watched if watched is None or isinstance(watched, frozenset) \
                    else UNKNOWN_SCOPE

            channel.attach(self.writer.recorder(server, context), scope=scope)
        except Exception as error:  # archiving must never take the live view with it
            self._say(f"not archiving {context}: {type(error).__name__}: {error}")

    @property
    def active(self) -> bool:
        from ktui.archive import WriterState

        writer = self._writer
        return writer is not None and writer.status.state in (WriterState.STARTING,
                                                              WriterState.OK)

    def notice(self) -> str:
        with self._notice_lock:
            notices, self._notices = self._notices, []
        return "\n".join(notices)

    # -- the rest ------------------------------------------------------------------------

    def _server(self, context: str) -> str | None:
        from ktui.feeds.errors import SourceError
        from ktui.kube.kubeconfig import load, resolve

        with self._lock:
            server = self._servers.get(context)
        if server is None:
            try:
                server = resolve(load(self.kubeconfig), context).server
            except SourceError:
                return None
            with self._lock:
                self._servers[context] = server
        return server

    def _problem(self, error: ArchiveError) -> None:
        """The writer's report (its thread): said once, with what ktui does about it."""
        from ktui.archive import ArchiveLocked, ArchiveUnreadable, WriterState

        writer = self._writer
        failed = writer is not None and writer.status.state is WriterState.FAILED
        if failed or isinstance(error, ArchiveUnreadable):
            self._say(f"{error}. ktui goes on without archiving.")
        elif isinstance(error, ArchiveLocked):
            self._say(f"{error}. ktui keeps trying; events may be left out meanwhile.")
        else:
            self._say(f"{error}. ktui keeps trying.")

    def _say(self, text: str) -> None:
        from ktui.model.safe_text import one_line

        line = one_line(text, 400)
        with self._notice_lock:
            if line not in self._told:
                self._told.add(line)
                self._notices.append(line)

    def close(self) -> bool:
        """Write what is queued (at most :data:`CLOSE_TIMEOUT` seconds) and stop."""
        writer = self._writer
        return writer.close(CLOSE_TIMEOUT) if writer is not None else True
