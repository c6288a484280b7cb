"""What one feed (one running live source) hands the archive, and the channel tap.

A :class:`Recorder` belongs to one feed of one cluster. Its four calls mirror what a
source tells its channel: changes (ADDED/MODIFIED, DELETED), a relist (``reset``) and the
end of the initial list (``listed``). Each call is O(1) and returns at once: it only
queues the call for the writer thread (see :class:`ktui.archive.writer.ArchiveWriter`).

:class:`ArchiveTap` is a :class:`~ktui.feeds.channel.BatchChannel` that gives the recorder
every change before the channel coalesces it: a channel keeps only the newest pending
version of an event, and a DELETED pending replaces its last MODIFIED, which would lose
the very version history shows of an expired event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Any, Literal, Protocol

from ktui.feeds.channel import BatchChannel
from ktui.model.event import Event

UPSERT = "upsert"
DELETE = "delete"
RESET = "reset"
LISTED = "listed"



class _Unknown(Enum):
    SCOPE = "unknown"


# ``listed`` scope when the caller cannot say what its list covered (RBAC fallbacks, a
# field selector): nothing is concluded from what the list did not bring back.
UNKNOWN_SCOPE = _Unknown.SCOPE
# What an initial list covered: some namespaces, the whole cluster (None), or unknown.
Scope = frozenset[str] | Literal[_Unknown.SCOPE] | None


class Sink(Protocol):
    """Where a recorder's calls go (:class:`ktui.archive.writer.ArchiveWriter`)."""

    def submit(self, op: str, recorder: Recorder, payload: Any, count: int) -> None: ...


class Recorder:
    """One feed's way into the archive (thread-safe, never blocks unless the writer was
    made with ``overflow="block"``)."""

    def __init__(self, writer: Sink, server: str, context: str, started_at: float) -> None:
        self.writer = writer
        self.server = server  # a cluster_key
        self.context = context
        self.started_at = started_at
        # Writer-thread state (touched by nothing else): the cluster's id, and what this
        # feed has seen live: uid -> (namespace, resourceVersion). A relist compares with
        # it to find what vanished, and a version already written is not written again.
        self.cluster: int | None = None
        self.known: dict[str, tuple[str, str]] = {}
        self.lost = False  # some of this feed's changes were dropped (queue full, error)

    def changes(self, upserts: Sequence[Event] = (), deleted: Sequence[Event] = ()) -> None:
        """ADDED/MODIFIED versions and DELETED notices, in the order received."""
        if upserts:
            self.writer.submit(UPSERT, self, upserts, len(upserts))
        if deleted:
            self.writer.submit(DELETE, self, deleted, len(deleted))

    def reset(self, events: Sequence[Event], namespaces: frozenset[str] | None) -> None:
        """A relist of ``namespaces`` (None: everything the feed watches): ``events`` is the
        whole truth there, and what the feed saw before and is not among them is gone."""
        self.writer.submit(RESET, self, (events, namespaces), max(1, len(events)))

    def listed(self, scope: Scope) -> None:
        """The initial list is complete. ``scope``: the namespaces it covered, None for the
        whole cluster, :data:`UNKNOWN_SCOPE` when that is not known. Archived events of
        that scope last seen before this feed started and not listed now were deleted
        while nobody watched: they are marked expired."""
        self.writer.submit(LISTED, self, scope, 0)


class ArchiveTap(BatchChannel):
    """A channel that also records every change it is given (see the module docstring).

    ``forward=False`` keeps nothing for a consumer (``ktui record`` only wants statuses).
    ``scope`` is asked when the source says its initial list is complete (see
    :meth:`Recorder.listed`).

    ``recorder=None``: a channel that records nothing until :meth:`attach` gives it its
    recorder. The TUI makes its channel on the UI thread, before the source's cluster is
    known (its server URL is read from the kubeconfig in the source's own thread, just
    before the source runs): nothing passes between the two.
    """

    def __init__(
        self,
        recorder: Recorder | None,
        *,
        scope: Callable[[], Scope] = lambda: UNKNOWN_SCOPE,
        forward: bool = True,
        capacity: int = 50_000,
    ) -> None:
        super().__init__(capacity)
        self.recorder = recorder
        self.scope = scope
        self.forward = forward
        self._tap_lock = threading.Lock()  # several watch threads share one feed

    def attach(self, recorder: Recorder, scope: Callable[[], Scope] = lambda: UNKNOWN_SCOPE,
               ) -> None:
        """Record from now on with ``recorder`` (a channel made without one)."""
        with self._tap_lock:
            self.recorder, self.scope = recorder, scope

    def put(self, upserts: Iterable[Event] = (), deleted: Iterable[Event] = ()) -> None:
        upserts = upserts if isinstance(upserts, list) else list(upserts)
        deleted = deleted if isinstance(deleted, list) else list(deleted)
        with self._tap_lock:
            if self.recorder is not None:
                self.recorder.changes(upserts, deleted)
        if self.forward:
            super().put(upserts, deleted)

    def reset(self, events: Iterable[Event], namespaces: Iterable[str] | None = None) -> None:
        events = events if isinstance(events, list) else list(events)
        scope = None if namespaces is None else frozenset(namespaces)
        with self._tap_lock:
            if self.recorder is not None:
                self.recorder.reset(events, scope)
        if self.forward:
            super().reset(events, namespaces)

    def set_listed(self) -> None:
        with self._tap_lock:
            if self.recorder is not None:
                self.recorder.listed(self.scope())
        if self.forward:
            super().set_listed()
