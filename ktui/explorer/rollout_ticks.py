"""The rollout ticks under the sparkline, kept current without stalling the screen.

The rollouts are worked out from every retained event (``ScalingReplicaSet``, a
Deployment's new ReplicaSet's ``SuccessfulCreate``), not only the shown ones: a rollout is
a Normal event, and ``w`` must not hide the rollout a warning burst follows. When events
only arrived since the last reading (the usual change, live), only the new ones are read,
on the UI thread. When some left (evicted at the cap, updated, deleted), all must be read
again: ~100 ms of Python over 200,000 events, every pump of a storm at the cap. A big store
is then read in a thread, from a snapshot of its list (events are immutable), while the
sparkline keeps the ticks it has; the next refresh after the thread ends shows the new ones.
No Textual here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ktui.model.rollouts import Earliest, Rollout, earliest, ordered

if TYPE_CHECKING:
    from ktui.model.event import Event
    from ktui.model.store import EventStore

INLINE = 20_000  # events read again on the UI thread; a bigger store is read in a thread

Key = tuple[int, int]  # (the store, its data generation)


class RolloutTicks:
    """The rollouts among a store's events, worked out once per store version."""

    def __init__(self, *, inline: int = INLINE) -> None:
        self.inline = inline
        self._key: Key | None = None
        self._all: list[Rollout] = []
        self._read: list[Event] = []  # the events read, as they were then
        self._first: Earliest = {}
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done: tuple[Key, list[Event], Earliest] | None = None

    def times(self, store: EventStore | None, start: float, end: float,
              namespaces: frozenset[str] | set[str] = frozenset(),
              deployment: tuple[str, str, str] | None = None
              ) -> tuple[list[float], list[float]]:
        """(times of the rollouts in [start, end), those of ``deployment``)."""
        if store is None:
            return [], []
        self._take_done()
        # Keyed on the events, not the filter: a filter change must not scan them again.
        key = (id(store), store.data_generation)
        if key != self._key and not self.reading:
            self._update(key, store.all_events)
        shown = [r for r in self._all if start <= r.time < end
                 and (not namespaces or r.deployment[1] in namespaces)]
        return ([r.time for r in shown],
                [r.time for r in shown if deployment is not None and r.deployment == deployment])

    @property
    def reading(self) -> bool:
        """A thread is reading a snapshot of the events."""
        return self._worker is not None and self._worker.is_alive()

    def settle(self, timeout: float) -> bool:
        """Wait for a thread's reading to end (tests); True when none is left."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return not self.reading

    def _update(self, key: Key, events: list[Event]) -> None:
        read, count = self._read, len(self._read)
        same_store = self._key is not None and self._key[0] == key[0]
        # the events read before, the very same and in the same places (a list
        # comparison by identity, in C: ~1 ms at 200,000), then new ones: read those
        appended = (same_store and 0 < count <= len(events) and events[count - 1] is read[-1]
                    and events[0] is read[0] and events[:count] == read)
        if appended:
            earliest(events[count:], None, self._first)
            self._settled(key, list(events), self._first)
        elif len(events) <= self.inline:  # an event left: all again
            self._settled(key, list(events), earliest(events))
        else:
            snapshot = list(events)
            self._worker = threading.Thread(target=self._read_all, args=(key, snapshot),
                                            name="ktui-rollouts", daemon=True)
            self._worker.start()

    def _read_all(self, key: Key, events: list[Event]) -> None:
        first = earliest(events)
        with self._lock:
            self._done = (key, events, first)

    def _take_done(self) -> None:
        with self._lock:
            done, self._done = self._done, None
        if done is not None:
            self._settled(*done)

    def _settled(self, key: Key, events: list[Event], first: Earliest) -> None:
        self._key, self._read, self._first = key, events, first
        self._all = ordered(first)
