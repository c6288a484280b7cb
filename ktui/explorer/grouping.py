"""The incident lens in the explorer: which grouping is on, its rows, the group opened.

The pure parts are :mod:`ktui.model.grouping` (rows) and :mod:`ktui.model.owners`
(who owns what). This module keeps what the explorer needs between repaints, without
Textual:

- the grouping (none, owner, object, reason) and the rows of the shown events, worked
  out again when the events, the filter or an owner changed, throttled by what it costs
  (80 ms over 200,000 events: once a second in a storm). The last few groupings are
  kept, by filter, grouping and version of the events (``data_generation``): ``o``
  round to a grouping seen before, or ``w`` then ``a``, shows its rows again; after new
  events, the newest one kept of that filter catches up with the store's batches since
  (``catch_up``: a pass over their events only, the groups they did not touch kept with
  their details worked out), unless an owner answer changed or the batches are many;
- one :class:`~ktui.model.owners.OwnerResolver` per context and per feed, kept for the
  session (its cache is what makes a regroup cheap), and in live mode the owners read
  from the cluster by :class:`~ktui.explorer.owner_reading.OwnerFetcher`'s thread: the
  objects first seen in a regroup are sent to it, and what it read makes the resolver
  forget the answers that consulted them;
- the group opened with ``enter``: :class:`GroupView`, the same event table's view of
  one group's events, live as the group grows.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

from ktui.explorer.feed import Mode
from ktui.model.event import WARNING, Event, ObjectRef
from ktui.model.grouping import GROUPINGS, OWNER, REASON, Group, catch_up, group_events
from ktui.model.owners import OwnerResolver, scoped_namespace

if TYPE_CHECKING:
    from ktui.explorer.owner_reading import OwnerFetcher
    from ktui.model.store import EventStore

# What ``o`` steps through (object grouping is a command: :group object).
CYCLE: tuple[str | None, ...] = (None, OWNER, REASON)
BUDGET = 0.1  # share of the UI thread regrouping may take during a storm
MAX_INTERVAL = 1.0  # s: however costly, rows are at most this old
MESSAGE_SCAN = 512  # events looked at, from the newest, for a group's distinct messages
ACTIVE = 600.0  # s: a warning seen this long before its group's last event still recurs
READABLE = frozenset({"Pod", "ReplicaSet", "Job"})  # kinds the owner reader can read
SEEN_MAX = 200_000  # references remembered as sent to the reader; beyond, start over
LEARN_MAX = 20_000  # new events learned before grouping; more: grouping's own passes
# Groupings kept of each kind (owner, object, reason): the last two filters (w, then a),
# maybe of older events; each holds a reference per event shown (≤ 1.6 MB at 200,000).
CACHED = 2
REUSE_MIN = 512  # events of a group kept from an earlier grouping when unchanged

_time = attrgetter("time")
_uid = attrgetter("uid")
# A message that only names a state, as kubelet writes beside the detailed one.
_BARE_STATE = re.compile(r"(?:Error: )?[A-Za-z]+")

GroupId = tuple[str, tuple[str, str, str]]  # (context, key)
Asked = dict[str, set[tuple[str, str, str]]]  # context -> objects for the owner reader


def parse_grouping(text: str) -> str | None:
    """``owner``, ``object``, ``reason`` or ``none`` (→ None); ValueError otherwise."""
    word = text.strip().lower()
    if word in ("none", "off", ""):
        return None
    if word in GROUPINGS:
        return word
    raise ValueError(f"unknown grouping {text.strip()!r}: owner, object, reason or none")


def group_id(group: Group) -> GroupId:
    return (group.context, group.key)


def recent_messages(group: Group, count: int, scan: int = MESSAGE_SCAN) -> list[Event]:
    """The events whose messages a group row shows, ``count`` at most, each message once.

    Of the warnings still recurring (seen within :data:`ACTIVE` of the group's last
    event), the one that started first leads: a cause comes before its consequences
    (kubelet's "Error: ImagePullBackOff" and "Unable to attach or mount volumes: ...
    timed out" come after the message that names the image or the secret). Messages that
    only name a state ("Error: ErrImagePull") come after those that say more; warnings
    no longer recurring come last, the latest first. A group without warnings shows its
    latest event. Only the newest ``scan`` events are looked at (a storm's group may hold
    100,000)."""
    first = group.shown
    if first.type != WARNING:
        return [first]
    events = group.events
    latest: dict[str, Event] = {}  # message -> its latest event
    started: dict[str, float] = {}  # message -> when it was first seen
    for index in range(len(events) - 1, max(len(events) - 1 - scan, -1), -1):
        event = events[index]
        if event.type != WARNING:
            continue
        message = event.message
        latest.setdefault(message, event)
        began = event.first_seen or event.time
        if began < started.get(message, float("inf")):
            started[message] = began
    since = group.last_seen - ACTIVE

    def order(message: str) -> tuple[bool, bool, float]:
        recurring = latest[message].time >= since
        return (not recurring, _BARE_STATE.fullmatch(message) is not None,
                started[message] if recurring else -latest[message].time)

    return [latest[message] for message in sorted(latest, key=order)[:count]] or [first]


class GroupView:
    """One group's events, as the event table reads a store: ``visible`` (oldest first),
    ``get`` by uid and ``index_of_visible``. Replaced as the group changes."""

    def __init__(self, group: Group | None) -> None:
        self.group: Group | None = None
        self.visible: list[Event] = []
        self.generation = 0
        self._by_uid: dict[str, Event] | None = None
        self.show(group)

    def show(self, group: Group | None) -> None:
        """The group as regrouped (None: filtered out, the view stays, empty)."""
        self.group = group
        self.visible = group.events if group is not None else []
        self.generation += 1
        self._by_uid = None

    def __len__(self) -> int:
        return len(self.visible)

    def get(self, uid: str) -> Event | None:
        if self._by_uid is None:  # built in C on first use: the cursor's event only
            self._by_uid = dict(zip(map(_uid, self.visible), self.visible, strict=True))
        return self._by_uid.get(uid)

    def index_of_visible(self, event: Event) -> int | None:
        items = self.visible
        index = bisect_left(items, event.time, key=_time)
        while index < len(items) and items[index].time == event.time:
            if items[index].uid == event.uid:
                return index
            index += 1
        return None


class Lens:
    """The grouping of the shown events, kept up to date by :meth:`update` (UI thread)."""

    def __init__(self, fetcher: OwnerFetcher | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.by: str | None = None
        self.groups: list[Group] = []
        self.opened: GroupId | None = None
        self.view = GroupView(None)
        self.fetcher = fetcher
        self.clock = clock  # when regroups happen (throttling)
        self.timer = timer  # what a regroup costs
        self.last_cost = 0.0  # s, the last regroup
        self.regroups = 0
        self.caught_up = 0  # groupings brought up to date instead (see _catch_up)
        self._resolvers: dict[tuple[Mode, str], OwnerResolver] = {}
        self._readers: dict[tuple[Mode, str], object] = {}  # the reader each one asks
        self._upto = float("-inf")  # the newest event's time at the last regroup
        self._reask = False  # a new reader: send it every object at the next regroup
        self._stamp: tuple[object, ...] | None = None
        self._shape: tuple[object, ...] | None = None
        self._dirty = True
        self._last_at = float("-inf")
        self._seen_refs: dict[int, ObjectRef] = {}
        # the groupings of the store's events as they are (data_generation): key -> rows
        self._cache_store: EventStore | None = None
        self._cache: list[tuple[tuple[object, ...], list[Group]]] = []

    # -- what is on ----------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.by is not None

    @property
    def showing_groups(self) -> bool:
        """Group rows are shown (grouping on, no group opened)."""
        return self.by is not None and self.opened is None

    @property
    def settled(self) -> bool:
        """Not grouping, or no owner read in flight or waiting to be taken and no regroup
        owed by the last update (tests wait on it instead of sleeping)."""
        if self.by is None:
            return True
        return not self._dirty and (self.fetcher is None or self.fetcher.idle)

    def set(self, by: str | None) -> None:
        if by is not None and by not in GROUPINGS:
            raise ValueError(f"unknown grouping {by!r}")
        if by != self.by:
            self.by = by
            self.opened = None
            self.view = GroupView(None)
            self.groups = []
            self._dirty = True

    def cycle(self) -> str | None:
        """none → owner → reason → none (from object: none)."""
        index = CYCLE.index(self.by) if self.by in CYCLE else -1
        self.set(CYCLE[(index + 1) % len(CYCLE)])
        return self.by

    def open(self, group: Group) -> GroupView:
        self.opened = group_id(group)
        self.view = GroupView(group)
        return self.view

    def close(self) -> None:
        self.opened = None
        self.view = GroupView(None)

    def find(self, wanted: GroupId | None) -> Group | None:
        if wanted is None:
            return None
        for group in reversed(self.groups):  # the recent ones are the likely ones
            if group_id(group) == wanted:
                return group
        return None

    def resolver(self, mode: Mode, context: str) -> OwnerResolver:
        """The context's resolver for this feed, kept for the session. In live mode it
        consults the fetcher's ownerReferences, read from the cluster."""
        key = (mode, context)
        resolver = self._resolvers.get(key)
        if resolver is None:
            resolver = self._resolvers[key] = OwnerResolver()
        if mode is Mode.LIVE and self.fetcher is not None:
            reader = self.fetcher.reader(context)
            if reader is not None and self._readers.get(key) is not reader:
                # a new reader (a new connection, its cache empty): every answer and
                # every object goes to it again
                self._readers[key] = reader
                resolver.lookup = reader.lookup
                resolver.forget()
                self._seen_refs.clear()
                self._reask = True
        return resolver

    # -- keeping the rows up to date -------------------------------------------------------

    def invalidate(self) -> None:
        """Regroup at the next update whatever its cost (the filter changed, a key)."""
        self._dirty = True
        self._last_at = float("-inf")

    def interval(self) -> float:
        """How long rows may stay as they are while events arrive: ten times the last
        regroup's cost (a tenth of the UI thread at most), at most :data:`MAX_INTERVAL`."""
        return min(self.last_cost / BUDGET, MAX_INTERVAL)

    def update(self, store: EventStore | None, mode: Mode,
               contexts: Sequence[str] = (), *, force: bool = False) -> bool:
        """Regroup ``store``'s visible events if anything changed (and the throttle
        allows, unless ``force``); True when the rows changed."""
        if self.by is None:
            return False
        self._take_owners(mode)
        invalidated = tuple(self.resolver(mode, c).invalidated for c in contexts)
        # another store, filter or grouping is the user's doing: regroup now; new events
        # or owners wait for the throttle
        shape = (id(store), getattr(store, "query", None), mode, self.by)
        # else only the events since the last regroup are new
        reask = self._reask
        whole, self._reask = shape != self._shape or reask, False
        if whole:
            self._shape = shape
            self._dirty = force = True
        stamp = (id(store), store.generation if store is not None else -1, mode, self.by,
                 invalidated)
        if stamp != self._stamp:
            self._dirty = True
        if not self._dirty:
            return False
        now = self.clock()
        if not force and now - self._last_at < self.interval():
            return False
        events = store.visible if store is not None else []
        upto, self._upto = self._upto, events[-1].time if events else float("-inf")
        if store is not self._cache_store:
            self._cache_store, self._cache = store, []
        generation = store.data_generation if store is not None else -1
        # only owners depend on what the resolvers know
        wanted = (generation, getattr(store, "query", None), mode, self.by, tuple(contexts),
                  invalidated if self.by == OWNER else ())
        cached = None if reask else next(
            (groups for key, groups in self._cache if key == wanted), None)
        if cached is not None:
            # a grouping these very events had (o back and forth, w then a): the same
            # rows, whose details and lines were already worked out
            self._set_groups(cached)
        elif reask or store is None or not self._catch_up(store, mode, contexts, wanted, now):
            self._regroup(events, self.by, mode, contexts, None if whole else upto, now)
        self._dirty = False
        # what grouping taught the resolvers is part of this state, not news
        invalidated = tuple(self.resolver(mode, c).invalidated for c in contexts)
        self._stamp = (id(store), store.generation if store is not None else -1, mode,
                       self.by, invalidated)
        if cached is None:
            key = (*wanted[:-1], invalidated if self.by == OWNER else ())
            # it supersedes the grouping of older events with the same filter (what a
            # catch-up starts from), which a cache hit can no longer find
            kept = [entry for entry in self._cache if entry[0][1:] != key[1:]]
            same = [entry for entry in kept if entry[0][3] == self.by]
            if len(same) >= CACHED:  # the oldest of this kind goes; the other kinds stay
                kept.remove(same[0])
            self._cache = [*kept, (key, self.groups)]
        return True

    def _catch_up(self, store: EventStore, mode: Mode, contexts: Sequence[str],
                  wanted: tuple[object, ...], now: float) -> bool:
        """The newest grouping kept of this filter, grouping, contexts and owner answers,
        caught up with the store's batches since (``catch_up``). False when there is
        none, the log no longer has its batches, or they changed an owner answer."""
        assert self.by is not None
        started = self.timer()
        base = next((entry for entry in reversed(self._cache)
                     if entry[0][1:] == wanted[1:]), None)
        since = base[0][0] if base is not None else None
        batches = store.changes.since(since) if isinstance(since, int) else None
        if base is None or not batches:  # (the log keeps ChangeLog.max_events at most)
            return False
        matches = None if store.query.is_empty else store.query.matches
        resolvers = {c: self.resolver(mode, c) for c in contexts}
        met: Callable[[ObjectRef, str], None] | None = None
        asked: Asked = {}
        if self.by == OWNER:  # what the batches teach, first: no answer may change
            added = [e for b in batches for e in b.added if matches is None or matches(e)]
            for context, resolver in resolvers.items():
                before = resolver.invalidated
                resolver.learn(e for e in added if e.context == context)
                if resolver.invalidated != before:
                    return False
            if mode is Mode.LIVE and self.fetcher is not None:
                met = self._owners_to_ask(asked)
        groups = catch_up(base[1], batches, self.by, lambda c: resolvers[c] if c in resolvers
                          else self.resolver(mode, c), matches=matches, met=met)
        self._set_groups(groups)
        self.last_cost, self._last_at = self.timer() - started, now
        self.caught_up += 1
        self._submit(asked)
        return True

    def _set_groups(self, groups: list[Group]) -> None:
        self.groups = groups
        if self.opened is not None:
            self.view.show(self.find(self.opened))

    def _regroup(self, events: list[Event], by: str, mode: Mode, contexts: Sequence[str],
                 upto: float | None, now: float) -> None:
        """Group ``events``; ``upto``: the newest event's time at the last regroup of
        the same store and filter (None: not the same)."""
        started = self.timer()
        asked: Asked = {}
        if by == OWNER:
            resolvers = {c: self.resolver(mode, c) for c in contexts}
            if upto is not None:
                # the events since the last regroup (the store keeps them in time order;
                # one that arrives with an older time is left to grouping's second look)
                news = events[bisect_left(events, upto, key=_time):]
                if len(news) <= LEARN_MAX:
                    # what a batch tells of owners, learned before grouping: grouping
                    # then needs no second pass over every event for a controller met late
                    for context, resolver in resolvers.items():
                        resolver.learn(e for e in news if e.context == context)

            def resolver_of(context: str) -> OwnerResolver:
                found = resolvers.get(context)
                return found if found is not None else self.resolver(mode, context)

            met = None
            if mode is Mode.LIVE and self.fetcher is not None:
                met = self._owners_to_ask(asked)
            groups = group_events(events, OWNER, resolver_of, met=met)
        else:
            groups = group_events(events, by)
        self._set_groups(self._reuse(groups, by))
        self.last_cost = self.timer() - started
        self._last_at = now
        self.regroups += 1
        self._submit(asked)

    def _submit(self, asked: Asked) -> None:
        if self.fetcher is not None:
            for context, keys in asked.items():
                self.fetcher.submit(context, keys)

    def _reuse(self, groups: list[Group], by: str) -> list[Group]:
        """``groups``, each replaced by the same group of a grouping kept (older events,
        another filter) when its events are the very same: its details (a pass or two
        over its events each) and the table's lines for it stay worked out. An event
        that arrives changes one group; the others stay as they were."""
        # the newest grouping kept of the same kind; its large groups only (a small
        # group's details cost less than looking: thousands of groups by object)
        kept = next((kept for key, kept in reversed(self._cache) if key[3] == by), [])
        earlier = {(group.context, group.key): group for group in kept
                   if len(group.events) >= REUSE_MIN}
        if not earlier:
            return groups
        out = []
        for group in groups:
            old = len(group.events) >= REUSE_MIN and earlier.get((group.context, group.key))
            # lists compare by identity first (an event equals only itself), in C
            if (old and old.resolved_by == group.resolved_by
                    and len(old.events) == len(group.events) and old.events == group.events):
                group = old
            out.append(group)
        return out

    # -- owners read from the cluster (live) -----------------------------------------------

    def _owners_to_ask(self, asked: Asked) -> Callable[[ObjectRef, str], None]:
        """What grouping calls with each distinct reference it meets: those not sent
        before to the owner reader, of the kinds it reads, go into ``asked`` by context.
        Told apart by identity, as grouping does: no pass of its own over every event
        (one took 20 ms over 200,000), only one call per reference."""
        seen = self._seen_refs
        if len(seen) > SEEN_MAX:
            seen.clear()
        get = seen.get

        def met(ref: ObjectRef, context: str) -> None:
            if get(id(ref)) is ref:
                return
            seen[id(ref)] = ref
            if ref.kind in READABLE and ref.owners is None:
                asked.setdefault(context, set()).add(
                    (ref.kind, scoped_namespace(ref.kind, ref.namespace), ref.name))

        return met

    def _take_owners(self, mode: Mode) -> None:
        """What the reader read since: the answers that consulted it are dropped."""
        if self.fetcher is None:
            return
        for context, keys in self.fetcher.take():
            resolver = self._resolvers.get((Mode.LIVE, context))
            if resolver is not None and keys:
                resolver.forget(keys)
