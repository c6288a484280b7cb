"""The merged window's store: history's events with the live ones, which it knows apart.

Its own module because the event table (composed before the first paint) asks a store
whether an event is live; the timeline feed that fills it loads when history is first used.
"""

from __future__ import annotations

from operator import attrgetter

from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.store import EventStore

MAX_EVENTS = 1_000_000

_uid = attrgetter("uid")


class TimelineStore(EventStore):
    """The merged window: a store that knows which of its events are the live ones."""

    def __init__(self, max_events: int = MAX_EVENTS, query: Query | None = None) -> None:
        super().__init__(max_events, query)
        self.live_uids: set[str] = set()
        self._live_shown = (-1, 0)  # (generation, live events among the visible)

    def is_live(self, event: Event) -> bool:
        return event.uid in self.live_uids

    def live_shown(self) -> int:
        """How many of the visible events are live (counted once per change)."""
        generation, count = self._live_shown
        if generation != self.generation:
            count = sum(map(self.live_uids.__contains__, map(_uid, self.visible)))
            self._live_shown = (self.generation, count)
        return count
