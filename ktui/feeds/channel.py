"""The bounded hand-off of events from a feed's thread to its consumer (the UI or the CLI)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from ktui.feeds.status import SourceStatus
from ktui.model.event import Event


@dataclass(slots=True)
class Batch:
    """What a consumer drains: upserts and deletions since the last drain.

    ``reset`` means the source relisted: the events in ``upserts`` replace whatever the
    consumer held for this source (events missing from them are gone). ``reset_scope``
    narrows that: when it is a set of namespaces, only the consumer's events of those
    namespaces are replaced (the source relisted one namespace of several it watches), and
    the other upserts are plain upserts. The consumer is the one that knows which events
    vanished: a source keeps nothing per event. ``coalesced`` counts updates that were
    merged into a later version of the same event before the consumer saw them.
    """

    upserts: list[Event] = field(default_factory=list)
    deleted: list[Event] = field(default_factory=list)
    reset: bool = False
    reset_scope: frozenset[str] | None = None  # with reset: None = everything
    status: SourceStatus | None = None
    coalesced: int = 0
    # The source's initial list is complete: every event it holds has been in an upsert
    # of this batch or an earlier one since it started. A consumer that kept events from
    # an earlier run knows then which of them vanished meanwhile.
    listed: bool = False

    def __bool__(self) -> bool:
        return bool(self.upserts or self.deleted or self.reset or self.status or self.listed)


class BatchChannel:
    """A bounded hand-off from a producer thread to a consumer.

    Pending changes are kept by uid, so a burst of updates to one event costs one slot and
    counts as coalesced. When ``capacity`` distinct events are pending the producer blocks
    (back-pressure) until the consumer drains, or until ``closed``.
    """

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._lock = threading.Condition()
        self._upserts: dict[str, Event] = {}
        self._deleted: dict[str, Event] = {}
        self._reset = False
        self._reset_scope: frozenset[str] | None = None
        self._status: SourceStatus | None = None
        self._coalesced = 0
        self._listed = False
        self.total_coalesced = 0
        self.closed = False

    def _pending(self) -> int:
        return len(self._upserts) + len(self._deleted)

    def _wait_for_room(self) -> None:
        while self._pending() >= self.capacity and not self.closed:
            self._lock.wait(0.1)

    def put(self, upserts: Iterable[Event] = (), deleted: Iterable[Event] = ()) -> None:
        with self._lock:
            self._wait_for_room()
            for event in upserts:
                if event.uid in self._upserts:
                    self._coalesced += 1
                self._deleted.pop(event.uid, None)
                self._upserts[event.uid] = event
            for event in deleted:
                if self._upserts.pop(event.uid, None) is not None:
                    self._coalesced += 1
                self._deleted[event.uid] = event
            self._lock.notify_all()

    def set_listed(self) -> None:
        """The initial list is all handed over (see :attr:`Batch.listed`)."""
        with self._lock:
            self._listed = True
            self._lock.notify_all()

    def reset(self, events: Iterable[Event], namespaces: Iterable[str] | None = None) -> None:
        """Hand over a relist: ``events`` is the whole truth, of every namespace (replacing
        everything pending) or, with ``namespaces``, of those only (replacing what is
        pending for them; other namespaces' changes stay pending as they were)."""
        with self._lock:
            if namespaces is None:
                self._coalesced += self._pending()
                self._upserts = {event.uid: event for event in events}
                self._deleted = {}
                self._reset, self._reset_scope = True, None
                self._lock.notify_all()
                return
            scope = frozenset(namespaces)
            for pending in (self._upserts, self._deleted):
                stale = [uid for uid, event in pending.items() if event.namespace in scope]
                for uid in stale:
                    del pending[uid]
                self._coalesced += len(stale)
            for event in events:
                self._deleted.pop(event.uid, None)
                self._upserts[event.uid] = event
            if not self._reset:
                self._reset, self._reset_scope = True, scope
            elif self._reset_scope is not None:
                self._reset_scope = self._reset_scope | scope
            # else a full reset is pending: with these events it is still the whole truth
            self._lock.notify_all()

    @property
    def pending(self) -> int:
        """Distinct events waiting to be drained."""
        with self._lock:
            return self._pending()

    @property
    def list_waiting(self) -> bool:
        """A whole list waits to be drained: the initial list just completed, or a relist
        (a consumer that shows it drains now rather than at its next tick)."""
        with self._lock:
            return self._listed or self._reset

    def set_status(self, status: SourceStatus) -> None:
        with self._lock:
            self._status = status
            self._lock.notify_all()

    def drain(self, timeout: float = 0.0) -> Batch:
        """Take everything pending; wait up to ``timeout`` seconds for something."""
        with self._lock:
            if timeout > 0 and not (self._pending() or self._reset or self._status
                                    or self._listed):
                self._lock.wait(timeout)
            batch = Batch(
                upserts=list(self._upserts.values()),
                deleted=list(self._deleted.values()),
                reset=self._reset,
                reset_scope=self._reset_scope if self._reset else None,
                status=self._status,
                coalesced=self._coalesced,
                listed=self._listed,
            )
            self.total_coalesced += self._coalesced
            self._upserts, self._deleted = {}, {}
            self._reset, self._status, self._coalesced = False, None, 0
            self._listed = False
            self._reset_scope = None
            self._lock.notify_all()
            return batch

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._lock.notify_all()
