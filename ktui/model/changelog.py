"""The last batches an :class:`~ktui.model.store.EventStore` applied, by data generation.

A view worked out from the store's events as they were (the incident lens's rows, over
200,000 events: a pass over every one, ~100 ms) catches up with a few batches in a pass
over their events only (:func:`ktui.model.grouping.catch_up`). The log keeps the events
each batch took out (old versions, evicted ones) and put in (new versions, expired marks),
every one of them, whatever the filter: a view filters them as it filtered the store.

It holds on to the events it names (the ones taken out would be freed otherwise), so it
keeps at most ``max_events`` of them: past that, the oldest batches go, and a view older
than what is left works itself out again from the events.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from ktui.model.event import Event

MAX_EVENTS = 20_000


class Batch(NamedTuple):
    """One :meth:`EventStore.apply`, in the order the store did it: ``removed`` out and
    ``added`` in (sorted by time, equal times in arrival order), then ``dropped`` (the
    oldest, past the store's cap) out."""

    generation: int  # the store's data_generation after it
    removed: list[Event]
    added: list[Event]
    dropped: list[Event]


class ChangeLog:
    """The batches since a data generation, if the log still has all of them."""

    __slots__ = ("_batches", "_size", "latest", "max_events")

    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self.max_events = max_events
        self._batches: deque[Batch] = deque()
        self._size = 0
        self.latest = 0  # the generation of the last batch recorded

    def record(self, generation: int, removed: list[Event], added: list[Event],
               dropped: list[Event]) -> None:
        size = len(removed) + len(added) + len(dropped)
        self.latest = generation
        self._batches.append(Batch(generation, removed, added, dropped))
        self._size += size
        while self._size > self.max_events and self._batches:
            gone = self._batches.popleft()
            self._size -= len(gone.removed) + len(gone.added) + len(gone.dropped)

    def since(self, generation: int) -> list[Batch] | None:
        """The batches after ``generation``, oldest first ([] when none came); None when
        the log no longer holds the first of them."""
        if generation == self.latest:
            return []
        batches = self._batches
        if generation > self.latest or not batches or batches[0].generation > generation + 1:
            return None
        return [batch for batch in batches if batch.generation > generation]
