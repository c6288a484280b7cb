"""Events kept in time order in a plain list: the event store's building block.

Why lists and not a tree: events nearly always arrive in time order, so an insert is an
append in practice, and Python's list operations run in C.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from operator import attrgetter

from ktui.model.event import Event
from ktui.model.untrack import untrack

_time = attrgetter("time")

# Above this many changes in one batch, re-sorting beats inserting one by one.
_BULK = 256


class SortedEvents:
    """Events ordered by time (oldest first); equal times keep arrival order."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Event] = ()) -> None:
        self.items: list[Event] = sorted(items, key=_time)
        untrack((self.items,))

    @classmethod
    def adopt(cls, items: list[Event]) -> SortedEvents:
        """Wrap a list already in order (it becomes this one's: do not keep it)."""
        adopted = cls()
        adopted.items = items
        untrack((items,))
        return adopted

    def __len__(self) -> int:
        return len(self.items)

    def add(self, event: Event) -> None:
        items = self.items
        if not items or items[-1].time <= event.time:
            items.append(event)
        else:
            items.insert(bisect_right(items, event.time, key=_time), event)

    def remove(self, event: Event) -> bool:
        """Remove this exact object; False if it is not here."""
        items = self.items
        time = event.time
        low = bisect_left(items, time, key=_time)
        high = bisect_right(items, time, low, key=_time)
        # Times have one-second resolution in core/v1, so thousands of events can share
        # one; the one removed is usually a recent version, at the end of its run.
        for index in range(high - 1, low - 1, -1):
            if items[index] is event:
                del items[index]
                return True
        return False

    def replace_many(
        self, removed: list[Event], added: list[Event], *, ordered: bool = False
    ) -> None:
        """Remove ``removed`` (exact objects), insert ``added`` (``ordered``: already
        sorted by time, equal times in arrival order)."""
        items = self.items
        if len(removed) < _BULK:
            for event in removed:
                self.remove(event)
        elif removed:
            # Only the tail from the oldest removed time can change (usually a short one:
            # updates replace recent events).
            gone = {id(event) for event in removed}
            start = bisect_left(items, min(event.time for event in removed), key=_time)
            items[start:] = [event for event in items[start:] if id(event) not in gone]
        if not added:
            return
        if not ordered:
            added = sorted(added, key=_time)
        if not items or added[0].time >= items[-1].time:
            items.extend(added)  # the common case: new events are the newest
        elif len(added) < _BULK:
            for event in added:
                self.add(event)
        else:
            # Sort only the tail the new events fall into (Timsort: near-linear on the
            # two sorted runs); everything before it stays in place.
            start = bisect_right(items, added[0].time, key=_time)
            tail = items[start:]
            tail.extend(added)
            tail.sort(key=_time)
            items[start:] = tail

    def drop_oldest(self, count: int) -> list[Event]:
        dropped = self.items[:count]
        del self.items[:count]
        return dropped

    def drop_first(self, events: list[Event]) -> None:
        """Remove ``events``, which are (when evicting the oldest) this list's first ones."""
        count = len(events)
        items = self.items
        if count <= len(items) and all(a is b for a, b in zip(items, events, strict=False)):
            del items[:count]
        else:
            self.replace_many(events, [])

    def span(self, start: float, end: float) -> tuple[int, int]:
        """Index range of events with start <= time < end."""
        return (bisect_left(self.items, start, key=_time), bisect_left(self.items, end, key=_time))


def group_by(events: list[Event], key: Callable[[Event], str]) -> dict[str, list[Event]]:
    """Events by ``key``, each group in the events' order."""
    groups: dict[str, list[Event]] = {}
    for event in events:
        value = key(event)
        group = groups.get(value)
        if group is None:
            groups[value] = [event]
        else:
            group.append(event)
    return groups


def regroup(
    index: dict[str, SortedEvents],
    key: Callable[[Event], str],
    removed: list[Event],
    added: list[Event],
) -> None:
    """Apply one batch to an index (removals, and additions sorted by time, by key)."""
    removed_by = group_by(removed, key)
    added_by = group_by(added, key)
    for value in removed_by.keys() | added_by.keys():
        events = index.get(value)
        if events is None:
            events = index[value] = SortedEvents()
        events.replace_many(removed_by.get(value, []), added_by.get(value, []), ordered=True)
        if not events.items:
            del index[value]
