"""The sparkline's counts: events per time bucket, split by type, from sorted lists.

A bucket's events are found by binary search in a list kept in time order (the store's
visible events, its visible warnings): a histogram costs O(buckets log n), not a pass.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter

from ktui.model.event import WARNING, Event
from ktui.model.sorted_events import SortedEvents


@dataclass(frozen=True, slots=True)
class Histogram:
    start: float
    interval: float
    normal: tuple[int, ...]
    warning: tuple[int, ...]
    context: str = ""  # the one context counted, when the store holds several

    def bucket_of(self, moment: float) -> int | None:
        index = int((moment - self.start) // self.interval)
        return index if 0 <= index < len(self.normal) else None


def bucket_counts(
    events: SortedEvents, start: float, end: float, interval: float, buckets: int
) -> list[int]:
    """Events per bucket over [start, end): bucket ``min(int((t - start) / interval),
    buckets - 1)``. That index never decreases with the time, so each bucket's first
    event is found by binary search: O(buckets log n) instead of a pass."""
    counts = [0] * buckets
    items = events.items
    low, high = events.span(start, end)
    last = buckets - 1

    def bucket(event: Event) -> int:
        return min(int((event.time - start) / interval), last)

    if high - low <= buckets * 16:
        for event in items[low:high]:
            counts[bucket(event)] += 1
        return counts
    edge = low
    for index in range(buckets):
        if index == last:
            following = high
        else:
            # By time (a C key), checked at the edge by the bucket function itself, which
            # decides (floating point may put an event on the other side of a boundary);
            # only when they disagree, a search by it (a Python call per step).
            following = bisect_left(items, start + (index + 1) * interval, edge, high,
                                    key=_time)
            if (following > edge and bucket(items[following - 1]) > index) or (
                    following < high and bucket(items[following]) <= index):
                following = bisect_left(items, index + 1, edge, high, key=bucket)
        counts[index] = following - edge
        edge = following
    return counts


_context = attrgetter("context")
_time = attrgetter("time")
_type = attrgetter("type")


def of_context(events: list[Event], context: str) -> list[Event]:
    """The events of ``context``, in their order (map and compress run in C)."""
    return list(compress(events, map(context.__eq__, map(_context, events))))


def context_split(shown: list[Event], warnings: list[Event], context: str,
                  every: SortedEvents | None) -> tuple[SortedEvents, SortedEvents]:
    """One context's shown events and shown warnings: ``every`` (its index list) when
    everything is shown, else picked out of ``shown`` (in C). Each pass reads an
    attribute of every event it is given (a cache miss each, over a million): the
    warnings are picked from the fewest events that hold them, and are the context's
    events when everything shown is a warning."""
    events = every if every is not None else SortedEvents.adopt(of_context(shown, context))
    if len(warnings) == len(shown):
        return events, events
    if len(events) < len(warnings):
        items = events.items
        return events, SortedEvents.adopt(list(compress(items, map(WARNING.__eq__,
                                                                   map(_type, items)))))
    return events, SortedEvents.adopt(of_context(warnings, context))
