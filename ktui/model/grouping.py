"""Events grouped by owner, by object or by reason: the rows of the incident lens.

:func:`group_events` takes the store's visible events (oldest first) and returns one
:class:`Group` per owner (``deployment/payments-api``), per involved object, or per
reason, ordered by last seen (oldest first, as the event listing). A filter change must
repaint 200,000 events within 100 ms, so the work that every group needs is kept to one
pass in C-level loops where possible:

- the events' ObjectRefs are read in one pass, and told apart by identity (the events
  of one object share one, see :func:`ktui.model.event.object_ref`): an int per event,
  no tuple built or hashed;
- each distinct reference is given its group once (its object's key, or its owner's:
  :class:`ktui.model.owners.OwnerResolver` keeps a cache), so that every event's group
  number is one C-level dict lookup;
- the one Python loop per event appends it to its group's list, which keeps the time
  order: a group's events need no merging or sorting;
- what a row shows beyond its size and last event (warnings, occurrences, reasons,
  objects, first seen, the latest warning's message) is worked out on first use and
  kept, each part on its own: a table computes only what it shows of the rows it
  paints;
- after new events, :func:`catch_up` brings groups up to date from the store's batches
  (``EventStore.changes``) in a pass over those only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from ktui.model.changelog import Batch
from ktui.model.event import WARNING, Event, ObjectRef
from ktui.model.owners import (
    BY_NAME,
    BY_OWNER_REFERENCES,
    BY_SELF,
    CONTROLLERS,
    OwnerResolver,
    scoped_namespace,
)
from ktui.model.sorted_events import SortedEvents

OWNER = "owner"
OBJECT = "object"
REASON = "reason"
GROUPINGS = (OWNER, OBJECT, REASON)

_object = attrgetter("object")
_reason = attrgetter("reason")
_type = attrgetter("type")
_count = attrgetter("count")
_time = attrgetter("time")
_first_seen = attrgetter("first_seen")
_place = attrgetter("context", "key")
# A group says the weakest evidence that tied any of its objects to it: "name" as soon as
# one object was placed by the naming rules alone, "ownerReferences" when references
# placed every one, "self" when each object is the owner itself.
_WEAKEST = {BY_NAME: 0, BY_OWNER_REFERENCES: 1, BY_SELF: 2}

Key = tuple[str, str, str]  # (kind, namespace, name); for reasons ("", "", reason)
Place = tuple[str, Key]  # (context, key): a group


@dataclass(frozen=True, slots=True)
class GroupStats:
    """What a group row shows besides its size and last event (see :attr:`Group.stats`)."""

    warnings: int
    normals: int
    occurrences: int
    reasons: dict[str, int]  # most frequent first
    objects: tuple[ObjectRef, ...]  # one per (kind, namespace, name), last seen first
    first_seen: float
    latest_warning: Event | None


class Group:
    """One row: the events of one owner, object or reason, oldest first.

    ``resolved_by`` is ``name``, ``ownerReferences`` or ``self``: how the group's objects
    were tied to it, the weakest evidence first (``name`` if the naming rules placed any
    object, ``self`` when every object is the owner itself); None for reasons.

    Each of the details (the types' counts, first seen, reasons, objects, occurrences)
    is one or two passes over the events in C, worked out when first read and kept: a
    row by reason shows no reasons and no occurrences, so a table of 200,000 events by
    reason never counts them (a pass over its events each).
    """

    __slots__ = ("_first_seen", "_objects", "_occurrences", "_reasons", "_types",
                 "context", "events", "key", "resolved_by")

    def __init__(self, key: Key, resolved_by: str | None, events: list[Event],
                 context: str = "") -> None:
        self.key = key
        self.resolved_by = resolved_by
        self.events = events
        self.context = context  # "" for reasons (one group across contexts)
        self._types: tuple[int, int, Event | None] | None = None
        self._first_seen: float | None = None
        self._reasons: dict[str, int] | None = None
        self._objects: tuple[ObjectRef, ...] | None = None
        self._occurrences: int | None = None

    def __repr__(self) -> str:
        return f"Group({self.display!r}, size={self.size}, resolved_by={self.resolved_by!r})"

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def namespace(self) -> str:
        return self.key[1]

    @property
    def name(self) -> str:
        return self.key[2]

    @property
    def display(self) -> str:
        """``deployment/payments-api``; a reason as itself."""
        kind, _, name = self.key
        return f"{kind.lower()}/{name}" if kind else name

    @property
    def size(self) -> int:
        return len(self.events)

    @property
    def latest(self) -> Event:
        return self.events[-1]

    @property
    def last_seen(self) -> float:
        return self.events[-1].time

    @property
    def stats(self) -> GroupStats:
        """Every detail at once (each worked out on first use)."""
        return GroupStats(warnings=self.warnings, normals=self.normals,
                          occurrences=self.occurrences, reasons=self.reasons,
                          objects=self.objects, first_seen=self.first_seen,
                          latest_warning=self._type_counts()[2])

    def _type_counts(self) -> tuple[int, int, Event | None]:
        if self._types is None:
            self._types = _types_of(self.events)
        return self._types

    @property
    def warnings(self) -> int:
        return self._type_counts()[0]

    @property
    def normals(self) -> int:
        return self._type_counts()[1]

    @property
    def occurrences(self) -> int:
        if self._occurrences is None:
            self._occurrences = sum(map(_count, self.events))
        return self._occurrences

    @property
    def reasons(self) -> dict[str, int]:
        if self._reasons is None:
            if self.resolved_by is None:  # a reason's group: its events have that reason
                self._reasons = {self.key[2]: len(self.events)}
            else:
                reasons = Counter(map(_reason, self.events))
                self._reasons = dict(sorted(reasons.items(),
                                            key=lambda item: (-item[1], item[0])))
        return self._reasons

    @property
    def objects(self) -> tuple[ObjectRef, ...]:
        if self._objects is None:
            self._objects = _objects_of(self.events)
        return self._objects

    @property
    def first_seen(self) -> float:
        if self._first_seen is None:
            self._first_seen = _first_seen_of(self.events)
        return self._first_seen

    @property
    def shown(self) -> Event:
        """The event whose message the row shows: the latest warning, else the latest."""
        return self._type_counts()[2] or self.events[-1]

    @property
    def message(self) -> str:
        return self.shown.message


def _types_of(events: list[Event]) -> tuple[int, int, Event | None]:
    """(warnings, normals, the latest warning)."""
    types = list(map(_type, events))
    warnings = types.count(WARNING)
    latest_warning = None
    if warnings:
        for index in range(len(types) - 1, -1, -1):
            if types[index] == WARNING:
                latest_warning = events[index]
                break
    return warnings, types.count("Normal"), latest_warning


def _first_seen_of(events: list[Event]) -> float:
    first_seen = min(map(_first_seen, events))
    if first_seen <= 0:  # an event without any time (0.0): the others' first, else the oldest
        first_seen = min((first for first in map(_first_seen, events) if first > 0),
                         default=events[0].time)
    return first_seen


def _objects_of(events: list[Event]) -> tuple[ObjectRef, ...]:
    # the last event of each reference (dicts keep the last value of a key), then one
    # entry per object: twins of a reference (another container) are one object
    last_of: dict[int, Event] = dict(zip(map(id, map(_object, events)), events, strict=True))
    objects: dict[Key, ObjectRef] = {}
    for event in sorted(last_of.values(), key=_time, reverse=True):
        obj = event.object
        objects.setdefault((obj.kind, scoped_namespace(obj.kind, obj.namespace), obj.name), obj)
    return tuple(objects.values())


Resolvers = OwnerResolver | Callable[[str], OwnerResolver]


Met = Callable[[ObjectRef, str], None]


def group_events(
    events: Sequence[Event], by: str, resolver: Resolvers | None = None, *,
    met: Met | None = None,
) -> list[Group]:
    """Groups of ``events`` (oldest first, as ``EventStore.visible``) by ``owner``,
    ``object`` or ``reason``, ordered by last seen (oldest first).

    Owners and objects are per context (``Group.context``): ``default/nginx`` of two
    clusters are two groups. A reason is one group across contexts.

    ``resolver`` (owner grouping) keeps its cache between calls: pass the same one each
    time, and feed it new events as they come (:meth:`OwnerResolver.learn`). With events
    of several contexts pass a function of the context that returns that context's
    resolver (each cluster has its own ownerReferences). Without one, a fresh resolver per
    context uses the naming rules and the ownerReferences the events carry.

    ``met`` (owner grouping) is called with each distinct reference among the events and
    its context, maybe more than once: what the UI sends to the owner reader, without a
    pass of its own over every event.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; one of {', '.join(GROUPINGS)}")
    if by == REASON:
        lists = _by_reason(events)
    elif by == OBJECT:
        lists = _by_reference(events, _object_key)
    else:
        resolver_of = _resolvers(resolver)
        learned: dict[str, list[ObjectRef]] = {}
        lists = _by_reference(events, _owner_key(resolver_of, learned, met))
        # Evidence first met in these events (ownerReferences they carry, controllers
        # they are about) changes how others resolve: group again with it, once. In the
        # steady state the resolver has learned it from earlier calls or batches.
        # Only answers that consulted what was learned are dropped; if none was given
        # in this pass, the grouping stands.
        before = [resolver_of(context).invalidated for context in learned]
        for context, objects in learned.items():
            resolver_of(context).learn_objects(objects)
        if [resolver_of(context).invalidated for context in learned] != before:
            lists = _by_reference(events, _owner_key(resolver_of, {}, met))
    groups = [Group(key, resolved_by, found, context)
              for (context, key), (resolved_by, found) in lists.items()]
    _order(groups)
    return groups


def _order(groups: list[Group]) -> None:
    """By last seen; equal times by context and key (an order :func:`catch_up` gives
    too). Two sorts, the second stable: a float key sorts several times faster than a
    tuple of both."""
    groups.sort(key=_place)
    groups.sort(key=_last_seen)


def _resolvers(resolver: Resolvers | None) -> Callable[[str], OwnerResolver]:
    if isinstance(resolver, OwnerResolver):
        return lambda context: resolver
    if resolver is not None:
        return resolver
    fresh: dict[str, OwnerResolver] = {}
    return lambda context: fresh.setdefault(context, OwnerResolver())


def _last_seen(group: Group) -> float:
    return group.events[-1].time


Lists = dict[tuple[str, Key], tuple[str | None, list[Event]]]  # (context, key) -> group


def _by_reason(events: Sequence[Event]) -> Lists:
    lists: Lists = {}
    appends: dict[str, Callable[[Event], None]] = {}
    get = appends.get
    for event, reason in zip(events, map(_reason, events)):  # noqa: B905 - same length
        append = get(reason)
        if append is None:
            found: list[Event] = []
            lists[("", ("", "", reason))] = (None, found)
            append = appends[reason] = found.append
        append(event)
    return lists


# Given a reference first met and its events' context: its group's key and how it was
# tied to the group.
KeyOf = Callable[[ObjectRef, str], tuple[Key, str]]


def _object_key(obj: ObjectRef, context: str) -> tuple[Key, str]:
    return (obj.kind, scoped_namespace(obj.kind, obj.namespace), obj.name), BY_SELF


def _owner_key(resolver_of: Callable[[str], OwnerResolver],
               learned: dict[str, list[ObjectRef]], met: Met | None = None) -> KeyOf:
    def key_of(obj: ObjectRef, context: str) -> tuple[Key, str]:
        if met is not None:
            met(obj, context)
        resolver = resolver_of(context)
        # evidence for the others, unless this reference was met (and learned) before
        if (obj.owners is not None or obj.kind in CONTROLLERS) and not resolver.knows(obj):
            learned.setdefault(context, []).append(obj)
        return resolver.owner_key(obj)

    return key_of


def _by_reference(events: Sequence[Event], key_of: KeyOf) -> Lists:
    """Events split into lists by group, each in the events' order: the one Python loop
    per event. A reference is looked at once (its id is its key here: the events keep it
    alive meanwhile; references are never shared between contexts); after that an event
    costs one int-keyed lookup and one append."""
    lists: Lists = {}
    appends: dict[int, Callable[[Event], None]] = {}
    get = appends.get
    # the ids are taken in C (map), not by a call per event in the loop
    for event, ref_id in zip(events, map(id, map(_object, events))):  # noqa: B905
        append = get(ref_id)
        if append is None:
            context = event.context
            key, how = key_of(event.object, context)
            place = (context, key)
            found = lists.get(place)
            if found is None:
                found = lists[place] = (how, [])
            elif _WEAKEST[how] < _WEAKEST[found[0] or BY_SELF]:
                found = lists[place] = (how, found[1])
            append = appends[ref_id] = found[1].append
        append(event)
    return lists


def catch_up(
    groups: list[Group], batches: Sequence[Batch], by: str,
    resolver: Resolvers | None = None, *,
    matches: Callable[[Event], bool] | None = None, met: Met | None = None,
) -> list[Group]:
    """``groups`` (:func:`group_events` of a store's visible events at a data generation)
    brought up to date with the ``batches`` the store applied since, in a pass over their
    events only. ``matches``: the store's filter (None: it shows every event).

    A group they change is a new :class:`Group`, its events changed as the store changed
    its visible list (the same removals and ordered insertions: the same order); the
    others are the very same objects. By owner, the resolvers' answers must be the ones
    the groups were made with: learn the batches' events first
    (:meth:`OwnerResolver.learn`), and group again if that dropped any (``invalidated``)."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; one of {', '.join(GROUPINGS)}")
    resolver_of = _resolvers(resolver)
    key_of: KeyOf | None = None
    if by == OBJECT:
        key_of = _object_key
    elif by == OWNER:

        def key_of(obj: ObjectRef, context: str) -> tuple[Key, str]:
            if met is not None:
                met(obj, context)
            return resolver_of(context).owner_key(obj)
    existing = {(group.context, group.key): group for group in groups}
    lists: dict[Place, SortedEvents] = {}
    weakest: dict[Place, str] = {}  # the weakest evidence added to a group
    lost: set[Place] = set()  # groups that lost events (their evidence may be stronger)

    def split(events: list[Event]) -> dict[Place, list[Event]]:
        if matches is not None:
            events = list(filter(matches, events))
        out: dict[Place, list[Event]] = {}
        for event in events:
            if key_of is None:
                place: Place = ("", ("", "", event.reason))
                how: str | None = None
            else:
                key, how = key_of(event.object, event.context)
                place = (event.context, key)
            out.setdefault(place, []).append(event)
            if how is not None and _WEAKEST[how] < _WEAKEST[weakest.get(place) or BY_SELF]:
                weakest[place] = how
        return out

    def events_of(place: Place) -> SortedEvents:
        found = lists.get(place)
        if found is None:
            old = existing.get(place)
            found = lists[place] = SortedEvents.adopt(list(old.events) if old else [])
        return found

    for batch in batches:
        added = split(batch.added)
        for place, removed in split(batch.removed).items():
            events_of(place).replace_many(removed, added.pop(place, []), ordered=True)
            lost.add(place)
        for place, new in added.items():
            events_of(place).replace_many([], new, ordered=True)
        for place, dropped in split(batch.dropped).items():  # the oldest: a group's first
            events_of(place).drop_first(dropped)
            lost.add(place)
    out = [group for place, group in existing.items() if place not in lists]
    for place, events in lists.items():
        if not events.items:
            continue
        context, key = place
        if key_of is None:
            how = None
        elif place in lost:  # the weakest of the objects it still has
            seen = dict(zip(map(id, map(_object, events.items)), events.items, strict=True))
            how = min((key_of(event.object, context)[1] for event in seen.values()),
                      key=_WEAKEST.__getitem__)
        else:  # the weaker of the group's and the added objects'
            old = existing.get(place)
            how = min(weakest.get(place, BY_SELF), old.resolved_by if old else BY_SELF,
                      key=lambda how: _WEAKEST[how or BY_SELF])
        out.append(Group(key, how, events.items, context))
    _order(out)
    return out
