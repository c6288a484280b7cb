"""The bounded event store behind the table: upsert by uid, time order, counts, histogram.

One store holds the events of one context, or of the contexts shown together. It keeps
every event in time order (``_all``) and, for the current filter, the matching ones in
the same order (``visible``). Both lists are maintained incrementally: a batch of a few
events costs a few binary searches, a large one (a relist, a burst) one near-linear
Timsort pass.

The same rules keep three indexes, every event by type, by namespace and by context, so
that each index list holds its events in exactly ``_all``'s relative order: a filter on
one type, namespace or context (the w/n keys, the sidebar, ``ctx:``) starts from that
list instead of all events, and a query that only narrows the current one filters
``visible``. Otherwise a filter change is one pass over ``_all`` with a compiled
predicate. The visible warnings are kept too, so the sparkline's histogram is two sets
of binary searches, not a pass. The lists are
:class:`~ktui.model.sorted_events.SortedEvents`; ``changes`` logs the last batches.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter

from ktui.model.changelog import ChangeLog
from ktui.model.event import WARNING, Event
from ktui.model.histogram import Histogram, bucket_counts, context_split
from ktui.model.query import Query, type_check
from ktui.model.sorted_events import SortedEvents, group_by, regroup
from ktui.model.text_index import TextIndex
from ktui.model.untrack import untrack, untrack_tracked

_time = attrgetter("time")
_type = attrgetter("type")
_expired = attrgetter("expired")

# Free text over more candidates than this is looked up in the text index first.
_SCAN = 5000


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


class EventStore:
    """All retained events of one context, and the ones the current query shows."""

    def __init__(self, max_events: int = 200_000, query: Query | None = None) -> None:
        self.max_events = max_events
        self.query = query or Query()
        self._by_uid: dict[str, Event] = {}
        self._all = SortedEvents()
        # While nothing is filtered, the visible list is _all itself (see _shows_all).
        self._visible = self._all if self.query.is_empty else SortedEvents()
        self._visible_warnings = SortedEvents()
        self._by_type: dict[str, SortedEvents] = {}
        self._by_namespace: dict[str, SortedEvents] = {}
        self._by_context: dict[str, SortedEvents] = {}
        self._expired_events = SortedEvents()  # few, usually: what visible_expired counts
        self._split: dict[str, tuple[SortedEvents, SortedEvents]] = {}  # by _of_context
        self._split_generation = -1
        self.text = TextIndex(lambda: self._all.items)  # a live list defers it: see its doc
        self.namespaces: dict[str, NamespaceCount] = {}
        self.context_namespaces: dict[str, dict[str, NamespaceCount]] = {}  # by context
        self.warnings = 0
        self.expired = 0  # retained events past their TTL (the server no longer has them)
        self._visible_expired: int | None = 0  # None: count on first read
        self.evicted_total = 0
        self.generation = 0  # bumps on every change; widgets cache on it
        self.data_generation = 0  # bumps when events change (not on a new filter)
        self.changes = ChangeLog()  # the last batches: what a view needs to catch up

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
    def _shows_all(self) -> bool:
        """The query filters nothing, and the visible list is the list of all events: no
        copy of a million references to keep up to date, to make when the filter is
        cleared, or to free when a filter is set (each costs a pass over them)."""
        return self._visible is self._all

    @property
    def all_events(self) -> list[Event]:
        """Every retained event, oldest first. Do not mutate."""
        return self._all.items

    def visible_warnings(self) -> int:
        return len(self._visible_warnings)

    @property
    def live(self) -> int:
        """Retained events the API server still has: what kubectl would list."""
        return len(self._by_uid) - self.expired

    @property
    def visible_expired(self) -> int:
        """Expired events among the visible ones: kept by every batch; after a filter
        change, counted (in C) when first asked, not by a change nobody reads it after."""
        if self._shows_all:
            return self.expired
        if self._visible_expired is None:
            # The (few) expired events through the query: a pass over 800,000 visible
            # events in C costs 20-60 ms of cache misses, a predicate 10x more per event.
            expired, visible = self._expired_events.items, self._visible.items
            self._visible_expired = (len(self.query.filter(expired))
                                     if len(expired) * 10 < len(visible)
                                     else sum(map(_expired, visible)))
        return self._visible_expired

    def histogram(self, start: float, end: float, buckets: int,
                  context: str | None = None) -> Histogram:
        """Counts of visible events per bucket over [start, end), split by type; with
        ``context``, of that context's visible events alone."""
        interval = max((end - start) / max(buckets, 1), 1e-9)
        shown, warnings = self._visible, self._visible_warnings
        if context is not None:
            shown, warnings = self._of_context(context)
        if buckets <= 0:
            normal: list[int] = []
            warning: list[int] = []
        else:
            totals = bucket_counts(shown, start, end, interval, buckets)
            warning = bucket_counts(warnings, start, end, interval, buckets)
            normal = [total - warned for total, warned in zip(totals, warning, strict=True)]
        return Histogram(start, interval, tuple(normal), tuple(warning), context or "")

    def _of_context(self, context: str) -> tuple[SortedEvents, SortedEvents]:
        """One context's visible events and visible warnings, kept until the next change:
        its index list while nothing is filtered, else picked out (in C)."""
        if self._split_generation != self.generation:
            self._split_generation, self._split = self.generation, {}
        if (lists := self._split.get(context)) is None:
            every = self._by_context.get(context, SortedEvents()) if self._shows_all else None
            lists = self._split[context] = context_split(
                self._visible.items, self._visible_warnings.items, context, every)
        return lists

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
        """Show what ``query`` matches: a copy of an index list when one answers it, else
        one pass over the fewest events that can match."""
        previous = self.query
        self.query = query
        candidates, exact = self._candidates(query)
        check = query  # what the candidates must still pass
        if not exact and query.narrows(previous) and len(self._visible) < len(candidates):
            # what is shown passes the previous query already: only the new conditions
            candidates, check = self._visible.items, query.beyond(previous)
        visible: list[Event] | None = None
        warnings: list[Event] | None = None  # the visible ones, when the index listed them
        # The index reads every event's text (~0.07 us each), the predicate only the
        # candidates' (~0.6 us a word): a few candidates (a narrowed list) skip the index.
        if check.words and len(candidates) > max(_SCAN, self.text.entries // 8):
            hits = self.text.search(query.words)
            if hits is not None:
                # The hits come in the lists' order (time, insertion), and the query
                # (which implies the candidates' own condition) keeps exactly the matches.
                candidates, check = hits.events, query
                exact = hits.exact and not (query.types or query.namespaces or query.terms
                                            or query.hide_expired)
                if exact:
                    visible, warnings = candidates, hits.warnings  # lists of their own
        if query.is_empty:
            self._visible = self._all
            visible = self._all.items
        else:
            if visible is None:
                visible = list(candidates) if exact else check.filter(candidates)
            self._visible = SortedEvents.adopt(visible)
        self._visible_expired = 0 if query.hide_expired else None
        self._visible_warnings = SortedEvents.adopt(
            warnings if warnings is not None else self._warnings_of(query, visible))
        self.generation += 1

    def _candidates(self, query: Query) -> tuple[list[Event], bool]:
        """Events that may match ``query`` (in time order), and whether they all do.

        The fewest of: the index list of the one type, namespace or context the query
        allows (the type toggles, the sidebar, or an exact ``type:``/``ns:``/``ctx:``
        term), else all.
        """
        if query.is_empty:
            return self._all.items, True
        options: list[list[Event]] = []
        if query.types:
            matching = type_check(query.types)
            lists = [index.items for key, index in self._by_type.items() if matching(key)]
            if not lists:
                return [], True
            if len(lists) == 1:
                options.append(lists[0])
        if query.namespaces:
            lists = [self._by_namespace[name].items for name in query.namespaces
                     if name in self._by_namespace]
            if not lists:
                return [], True
            if len(lists) == 1:
                options.append(lists[0])
        for term in query.terms:
            by_key = self._indexes.get(term.field)
            if term.op != ":" or term.negated or by_key is None:
                continue
            wanted = {value.lower() for value in term.values}
            lists = [index.items for key, index in by_key.items() if key.lower() in wanted]
            if not lists:
                return [], True
            if len(lists) == 1:
                options.append(lists[0])
        if not options:
            return self._all.items, False
        # A single condition answered by one index list needs no predicate at all.
        conditions = (bool(query.types) + bool(query.namespaces) + len(query.terms)
                      + len(query.words) + query.hide_expired)
        return min(options, key=len), len(options) == 1 and conditions == 1

    @property
    def _indexes(self) -> dict[str, dict[str, SortedEvents]]:
        """The index lists by the query field they answer."""
        return {"type": self._by_type, "namespace": self._by_namespace,
                "context": self._by_context}

    def _warnings_of(self, query: Query, visible: list[Event]) -> list[Event]:
        if query.is_empty:
            index = self._by_type.get(WARNING)
            return list(index.items) if index is not None else []
        if query.types:
            matching = type_check(query.types)
            keys = [key for key in self._by_type if matching(key)]
            if WARNING not in keys:
                return []
            if keys == [WARNING]:
                return list(visible)
        # map/compress run in C: this reads every visible event (up to 200,000)
        return list(compress(visible, map(WARNING.__eq__, map(_type, visible))))

    def apply(
        self,
        upserts: Iterable[Event] = (),
        deleted: Iterable[Event] = (),
        *,
        reset: bool = False,
        reset_scope: Collection[str] | None = None,
        reset_context: str | None = None,
    ) -> Change:
        """Take a source's batch. DELETED events are kept and marked expired.

        With ``reset`` (a relist), ``upserts`` is the whole truth: events not in it that
        were not already expired are marked expired, since they vanished while we were
        not watching. ``reset_scope`` (namespaces) limits that to the events of those
        namespaces: the source relisted only them; ``reset_context`` to the events of that
        context, in a store that holds several contexts' events.
        """
        upserts = list(upserts)
        deleted = list(deleted)
        removed: list[Event] = []
        added: list[Event] = []
        counts = [0, 0, 0]  # added, updated, expired

        if reset:
            present = {event.uid for event in upserts}
            for uid, old in list(self._by_uid.items()):
                if uid not in present and not old.expired and (
                    reset_scope is None or old.namespace in reset_scope
                ) and (reset_context is None or old.context == reset_context):
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
        # Sorted once here: a stable sort's subsets are the sorted subsets, so every
        # list below gets its share already in order.
        added.sort(key=_time)
        self._all.replace_many(removed, added, ordered=True)
        regroup(self._by_type, _type, removed, added)
        regroup(self._by_namespace, _namespace, removed, added)
        regroup(self._by_context, _context, removed, added)
        self._expired_events.replace_many(list(compress(removed, map(_expired, removed))),
                                          list(compress(added, map(_expired, added))),
                                          ordered=True)
        query = self.query
        shown_removed, shown_added = removed, added
        if not query.is_empty:
            matches = query.matches
            shown_removed = [e for e in removed if matches(e)]
            shown_added = [e for e in added if matches(e)]
        if not self._shows_all:
            self._visible.replace_many(shown_removed, shown_added, ordered=True)
        if (expired := self._visible_expired) is not None:
            self._visible_expired = expired + sum(map(_expired, shown_added)) - sum(
                map(_expired, shown_removed))
        self._visible_warnings.replace_many(
            [e for e in shown_removed if e.type == WARNING],
            [e for e in shown_added if e.type == WARNING],
            ordered=True,
        )
        dropped = self._evict()
        # Kept events (and the dict, which each insertion tracks again) are left out of
        # the cycle collector's walks: see ktui.model.untrack.
        untrack_tracked(added)  # a listing's are untracked already (ktui.kube.listing)
        untrack_tracked([event.object for event in added])
        untrack((self._by_uid,))
        if reset:
            self.text.rebuild()
        else:
            self.text.add(added)
            self.text.drop(removed)
            self.text.drop(dropped)
            self.text.sweep(oldest=bool(dropped))
        self.data_generation += 1
        self.generation += 1
        self.changes.record(self.data_generation, removed, added, dropped)
        return Change(counts[0], counts[1], counts[2], len(dropped), reset)

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
        namespace = event.namespace
        entry = self.namespaces.get(namespace)
        if entry is None:
            entry = self.namespaces[namespace] = NamespaceCount()
        by_namespace = self.context_namespaces.get(event.context)
        if by_namespace is None:
            by_namespace = self.context_namespaces[event.context] = {}
        in_context = by_namespace.get(namespace)
        if in_context is None:
            in_context = by_namespace[namespace] = NamespaceCount()
        entry.total += sign
        in_context.total += sign
        if event.type == "Warning":
            entry.warnings += sign
            in_context.warnings += sign
            self.warnings += sign
        if event.expired:
            self.expired += sign
        if entry.total == 0:
            del self.namespaces[namespace]
        if in_context.total == 0:
            del by_namespace[namespace]
            if not by_namespace:
                del self.context_namespaces[event.context]

    def _evict(self) -> list[Event]:
        """Drop the oldest events beyond ``max_events`` (in chunks, to amortise)."""
        excess = len(self._by_uid) - self.max_events
        if excess <= 0:
            return []
        chunk = max(excess, self.max_events // 100)
        dropped = self._all.drop_oldest(chunk)
        for event in dropped:
            del self._by_uid[event.uid]
            self._count(event, -1)
        # Every list keeps _all's order, so the dropped events are each one's first.
        for index, key in ((self._by_type, _type), (self._by_namespace, _namespace),
                           (self._by_context, _context)):
            for value, group in group_by(dropped, key).items():
                events = index[value]
                events.drop_first(group)
                if not events.items:
                    del index[value]
        if self._shows_all:
            visible = dropped
        else:
            matches = self.query.matches
            visible = [e for e in dropped if matches(e)]
            self._visible.drop_first(visible)
        if self._visible_expired is not None:
            self._visible_expired -= sum(map(_expired, visible))
        self._expired_events.drop_first(list(compress(dropped, map(_expired, dropped))))
        self._visible_warnings.drop_first([e for e in visible if e.type == WARNING])
        self.evicted_total += len(dropped)
        return dropped


_namespace = attrgetter("namespace")
_context = attrgetter("context")
