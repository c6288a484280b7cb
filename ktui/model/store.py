"""The bounded event store behind the table: upsert by uid, time order, counts, histogram.

One store holds one context's events. It keeps every event in time order (``_all``)
and, for the current filter, the matching ones in the same order (``visible``). Both
lists are maintained incrementally: a batch of a few events costs a few binary
searches, a large one (a relist, a burst) one near-linear Timsort pass. A filter change
is one pass over ``_all`` with a compiled predicate.

Why lists and not a tree: events nearly always arrive in time order, so an insert is an
append in practice, and Python's list operations run in C. Nothing here imports textual.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from ktui.model.event import Event
from ktui.model.query import Query

_time = attrgetter("time")

# Above this many changes in one batch, re-sorting beats inserting one by one.
_BULK = 256


class SortedEvents:
    """Events ordered by time (oldest first); equal times keep arrival order."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Event] = ()) -> None:
        self.items: list[Event] = sorted(items, key=_time)

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
        index = bisect_left(items, event.time, key=_time)
        while index < len(items) and items[index].time == event.time:
            if items[index] is event:
                del items[index]
                return True
            index += 1
        return False

    def replace_many(self, removed: list[Event], added: list[Event]) -> None:
        items = self.items
        if len(removed) < _BULK:
            for event in removed:
                self.remove(event)
        else:
            gone = {id(event) for event in removed}
            items = self.items = [event for event in items if id(event) not in gone]
        if not added:
            return
        added = sorted(added, key=_time)
        if not items or added[0].time >= items[-1].time:
            items.extend(added)  # the common case: new events are the newest
        elif len(added) < _BULK:
            for event in added:
                self.add(event)
        else:
            items.extend(added)
            items.sort(key=_time)  # Timsort: near-linear on two sorted runs

    def drop_oldest(self, count: int) -> list[Event]:
        dropped = self.items[:count]
        del self.items[:count]
        return dropped

    def span(self, start: float, end: float) -> tuple[int, int]:
        """Index range of events with start <= time < end."""
        return (bisect_left(self.items, start, key=_time), bisect_left(self.items, end, key=_time))


@dataclass(slots=True)
class NamespaceCount:
    total: int = 0
    warnings: int = 0


@dataclass(frozen=True, slots=True)
class Change:
    """What one :meth:`EventStore.apply` did, for the status line and tests."""

    added: int = 0
    updated: int = 0
    expired: int = 0
    evicted: int = 0
    reset: bool = False

    @property
    def visible_changed(self) -> bool:
        return bool(self.added or self.updated or self.expired or self.evicted or self.reset)


@dataclass(frozen=True, slots=True)
class Histogram:
    start: float
    interval: float
    normal: tuple[int, ...]
    warning: tuple[int, ...]

    def bucket_of(self, moment: float) -> int | None:
        index = int((moment - self.start) // self.interval)
        return index if 0 <= index < len(self.normal) else None


class EventStore:
    """All retained events of one context, and the ones the current query shows."""

    def __init__(self, max_events: int = 200_000, query: Query | None = None) -> None:
        self.max_events = max_events
        self.query = query or Query()
        self._by_uid: dict[str, Event] = {}
        self._all = SortedEvents()
        self._visible = SortedEvents()
        self.namespaces: dict[str, NamespaceCount] = {}
        self.warnings = 0
        self.expired = 0
        self.evicted_total = 0
        self.generation = 0  # bumps on every change; widgets cache on it

    # -- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_uid)

    def __contains__(self, uid: object) -> bool:
        return uid in self._by_uid

    def get(self, uid: str) -> Event | None:
        return self._by_uid.get(uid)

    @property
    def visible(self) -> list[Event]:
        """Events matching the query, oldest first. Do not mutate."""
        return self._visible.items

    @property
    def all_events(self) -> list[Event]:
        """Every retained event, oldest first. Do not mutate."""
        return self._all.items

    def visible_warnings(self) -> int:
        return sum(1 for event in self._visible.items if event.type == "Warning")

    def histogram(self, start: float, end: float, buckets: int) -> Histogram:
        """Counts of visible events per bucket over [start, end), split by type."""
        interval = max((end - start) / max(buckets, 1), 1e-9)
        normal = [0] * buckets
        warning = [0] * buckets
        low, high = self._visible.span(start, end)
        for event in self._visible.items[low:high]:
            index = min(int((event.time - start) / interval), buckets - 1)
            if event.type == "Warning":
                warning[index] += 1
            else:
                normal[index] += 1
        return Histogram(start, interval, tuple(normal), tuple(warning))

    def index_of_visible(self, event: Event) -> int | None:
        items = self._visible.items
        index = bisect_left(items, event.time, key=_time)
        while index < len(items) and items[index].time == event.time:
            if items[index].uid == event.uid:
                return index
            index += 1
        return None

    # -- writing -----------------------------------------------------------------------

    def set_query(self, query: Query) -> None:
        """Show what ``query`` matches (one pass over every retained event)."""
        self.query = query
        if query.is_empty:
            self._visible = SortedEvents()
            self._visible.items = list(self._all.items)
        else:
            visible = SortedEvents()
            visible.items = query.filter(self._all.items)
            self._visible = visible
        self.generation += 1

    def apply(
        self,
        upserts: Iterable[Event] = (),
        deleted: Iterable[Event] = (),
        *,
        reset: bool = False,
    ) -> Change:
        """Take a source's batch. DELETED events are kept and marked expired.

        With ``reset`` (a relist), ``upserts`` is the whole truth: events not in it that
        were not already expired are marked expired, since they vanished while we were
        not watching.
        """
        upserts = list(upserts)
        deleted = list(deleted)
        removed: list[Event] = []
        added: list[Event] = []
        counts = [0, 0, 0]  # added, updated, expired

        if reset:
            present = {event.uid for event in upserts}
            for uid, old in list(self._by_uid.items()):
                if uid not in present and not old.expired:
                    deleted.append(old)

        for event in upserts:
            self._put(event, removed, added, counts)
        for event in deleted:
            known = self._by_uid.get(event.uid)
            if known is not None and known.expired:
                continue
            base = known if known is not None and known.time >= event.time else event
            self._put(base.as_expired(), removed, added, counts, expiring=True)

        if removed and added:
            # One uid twice in a batch: its first version was never inserted.
            superseded = {id(e) for e in removed} & {id(e) for e in added}
            if superseded:
                removed = [e for e in removed if id(e) not in superseded]
                added = [e for e in added if id(e) not in superseded]
        self._all.replace_many(removed, added)
        query = self.query
        if query.is_empty:
            self._visible.replace_many(removed, added)
        else:
            matches = query.matches
            self._visible.replace_many(
                [e for e in removed if matches(e)], [e for e in added if matches(e)]
            )
        evicted = self._evict()
        self.generation += 1
        return Change(counts[0], counts[1], counts[2], evicted, reset)

    def _put(
        self,
        event: Event,
        removed: list[Event],
        added: list[Event],
        counts: list[int],
        *,
        expiring: bool = False,
    ) -> None:
        old = self._by_uid.get(event.uid)
        if old is not None:
            removed.append(old)
            self._count(old, -1)
            counts[2 if expiring else 1] += 1
        elif expiring:
            counts[2] += 1
        else:
            counts[0] += 1
        self._by_uid[event.uid] = event
        self._count(event, +1)
        added.append(event)

    def _count(self, event: Event, sign: int) -> None:
        entry = self.namespaces.get(event.namespace)
        if entry is None:
            entry = self.namespaces[event.namespace] = NamespaceCount()
        entry.total += sign
        is_warning = event.type == "Warning"
        if is_warning:
            entry.warnings += sign
            self.warnings += sign
        if event.expired:
            self.expired += sign
        if entry.total == 0:
            del self.namespaces[event.namespace]

    def _evict(self) -> int:
        """Drop the oldest events beyond ``max_events`` (in chunks, to amortise)."""
        excess = len(self._by_uid) - self.max_events
        if excess <= 0:
            return 0
        chunk = max(excess, self.max_events // 100)
        dropped = self._all.drop_oldest(chunk)
        for event in dropped:
            del self._by_uid[event.uid]
            self._count(event, -1)
        matches = self.query.matches
        self._visible.replace_many([e for e in dropped if matches(e)], [])
        self.evicted_total += len(dropped)
        return len(dropped)

