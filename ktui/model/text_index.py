"""A compact, lowercased copy of the text every free-text word is looked for in.

A word of the filter language must be found (case-insensitively) in an event's message,
reason or object name. Checking that event by event reads three strings from objects
scattered over the heap: over 200,000 events that alone takes 100-200 ms on a small
machine. This index keeps ``message NUL reason NUL name``, lowercased, of every stored
event joined into one string per chunk of some thousands of events, and answers a word
with one ``str.find`` scan per chunk and, per hit, a count of the line breaks over at most
256 characters (the key at every 256th character is kept). Events repeat their text (one
pod's back-offs, one container's starts, the same probe failing): where a chunk's keys
repeat, it joins each distinct key once and lists each key's entries, so that a search
scans a fraction of the text and a hit's entries cost no pass over the chunk.

It only narrows: :meth:`TextIndex.search` returns a superset of the events holding every
word (text with non-ASCII characters, whose case folding differs from ``lower()``, always
counts), and the store then checks its query on those. Entries are in insertion order and
hold their event and its time: a stable sort of the hits by time gives them in the store's
order (time, insertion) without a pass over every event (any pass over 200,000 objects
scattered in memory costs 40-60 ms in cache misses alone), and without looking each one
up by uid (a lookup in a dict of a million is a cache miss or two per hit).

The store tells the index which events it dropped (replaced by a newer version, evicted):
their ids are "dead" from then on, and searches leave them out. An entry holds its event
until a sweep (a sixteenth of the chunks per batch, and the oldest one, where evictions
fall) empties its place, so a dropped event is freed within a few batches, and the ids of
the dead are never reused meanwhile. A chunk with a quarter of its places empty is rebuilt.

An index given its store's events (``source``) can be deferred: it then leaves every
batch alone, and is built again from those events when next needed (a search, or
:meth:`TextIndex.build`, which may take them in steps). The live explorer defers it while a
list comes in, so that the list's rows are shown before it is indexed, and then indexes
the list a few tens of thousands of events per pump.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import compress, count, repeat
from operator import is_, not_
from typing import NamedTuple, cast

from ktui.model.event import Event
from ktui.model.text_chunk import ENTRY, FIELD, Chunk, in_time_order, pick

Column = tuple[Event | None, ...]


def _keep(selectors: Iterable[object], found: Column, stamps: tuple[float, ...],
          marks: tuple[int, ...]) -> tuple[Column, tuple[float, ...], tuple[int, ...]]:
    """The hits' events, times (or none) and warning marks without the places
    ``selectors`` leaves out."""
    selectors = list(selectors)
    return (tuple(compress(found, selectors)), tuple(compress(stamps, selectors)),
            tuple(compress(marks, selectors)))


class Hits(NamedTuple):
    """What a search found: events that may hold every word, in the store's order."""

    events: list[Event]
    exact: bool  # each of them does (no text was taken on trust)
    warnings: list[Event]  # those of them that are warnings, in the same order


# Larger chunks repeat more of their keys (each kept once), but cost more to sweep and
# compact. Entry numbers are unsigned shorts ("H"): at most 65,536 entries a chunk.
CHUNK = 16384
SWEEP_SHARE = 16  # each batch sweeps this fraction of the chunks (and the oldest one)


class TextIndex:
    """The lowered text of every event a store holds (and, until swept, held)."""

    def __init__(self, source: Callable[[], Iterable[Event]] | None = None) -> None:
        self._source = source  # every event the store holds, in its order
        self.deferred = False
        self._clear()

    def _clear(self) -> None:
        self._chunks: list[Chunk] = []
        self._dead: set[int] = set()
        self._sweep_at = 0
        self.entries = 0  # places holding an event, dropped ones included until swept
        # A build in steps: the events still to index (the source's, in its order, then
        # those added meanwhile), from `_next` on. None of them is indexed yet.
        self._pending: list[Event] = []
        self._next = 0

    @property
    def ready(self) -> bool:
        """Every event given is indexed: not deferred, no build in steps under way."""
        return not self.deferred and not self._pending

    def defer(self) -> None:
        """Forget every entry and leave batches alone until :meth:`build` (which a search
        calls first). Needs a ``source``."""
        if self._source is None:
            raise ValueError("only an index given its store's events can be deferred")
        self._clear()
        self.deferred = True

    def build(self, budget: int | None = None) -> None:
        """Index the source's events, if deferred: all of them now, or (with ``budget``)
        that many now and as many at each later call, so that a million listed events
        are indexed over several pumps instead of in one (~1.5 s) pause. Events added
        meanwhile wait their turn; a search indexes every one still waiting first."""
        if self.deferred and self._source is not None:
            self.deferred = False
            self._pending, self._next = list(self._source()), 0
        if not self._pending:
            return
        end = len(self._pending) if budget is None else self._next + budget
        part = self._pending[self._next : end]
        self._next += len(part)
        if self._next >= len(self._pending):
            self._pending, self._next = [], 0
        self._index(part, waiting=True)

    def rebuild(self) -> None:
        """Index every event of the source again (a relist), unless deferred."""
        if not self.deferred and self._source is not None:
            self._clear()
            self._index(self._source())

    def add(self, events: Iterable[Event]) -> None:
        """Index events as the store inserts them: in its order for equal times."""
        if self.deferred:
            return
        if self._pending:
            events = list(events)
            if not (self._dead and any(map(self._dead.__contains__, map(id, events)))):
                self._pending += events  # after the ones still waiting, in order
                return
            # A dropped event taken back (rare): its old place may be indexed, or may
            # still wait; indexing every waiting one first keeps _index's rule simple.
            self.build()
        self._index(events)

    def _index(self, events: Iterable[Event], *, waiting: bool = False) -> None:
        """Index ``events`` now; ``waiting``: they waited in a build in steps, so one
        found dropped was dropped before its turn (never indexed): it is left out."""
        chunks = self._chunks
        dead = self._dead
        if not chunks or len(chunks[-1]) >= CHUNK:
            if chunks:
                chunks[-1].seal()
            chunks.append(Chunk())
        chunk = chunks[-1]
        for event in events:
            if dead and id(event) in dead:
                if waiting:
                    dead.discard(id(event))
                    continue
                self._revive(event)
            if len(chunk) >= CHUNK:
                chunk.seal()
                chunk = Chunk()
                chunks.append(chunk)
            chunk.add(event)
            self.entries += 1

    def drop(self, events: Iterable[Event]) -> None:
        """Events the store no longer holds (each one it was given): searches leave them
        out from now on, and sweeps free them."""
        if not self.deferred:
            self._dead.update(map(id, events))

    def _revive(self, event: Event) -> None:
        """A dropped event is taken back (the same object) before its place was swept:
        that place goes now, so that it is indexed once, at its new place (rare: sources
        build a new object for every version)."""
        self._dead.discard(id(event))
        for chunk in self._chunks:
            for index in compress(count(), map(is_, chunk.events, repeat(event))):
                chunk.events[index] = None
                chunk.gone += 1
                self.entries -= 1
                return

    def search(self, words: Iterable[str]) -> Hits | None:
        """The held events whose text may hold every word, in the store's order (by time,
        then insertion), whether they all do (no non-ASCII text was taken on trust) and
        the warnings among them; None when a word cannot be looked up here (non-ASCII, a
        separator).

        For ASCII text "the key holds the word" is exactly the filter language's rule:
        the word, which holds no separator, lies within one of the three fields."""
        self.build()
        lowered = []
        for word in words:
            if not word.isascii() or FIELD in word or ENTRY in word:
                return None
            lowered.append(word.lower())
        if not lowered:
            return Hits([], True, [])
        # The longest word is likely the rarest: look it up, then check only its hits'
        # entries for the other words.
        lowered.sort(key=len, reverse=True)
        # Per hit, the work runs in C (itemgetter, map, compress): over thousands of hits
        # a Python loop body costs more than the scan itself. Chunks and their entries
        # are in insertion order, so the hits are gathered in that order.
        events: list[Event] = []
        times: list[float] = []
        warned: list[int] = []
        exact = True
        dead = self._dead
        # Gathered in insertion order, the hits are in time order too when each chunk's
        # times rise and start where the last chunk's end (a list indexed once it was
        # in, the usual case): then no time is picked and nothing sorted.
        ordered = in_time_order(self._chunks)
        for chunk in self._chunks:
            indexes = chunk.matches(lowered)
            if chunk.always:
                held = [i for i in chunk.always if chunk.events[i] is not None
                        and id(chunk.events[i]) not in dead]
                if held:
                    exact = False
                    indexes = sorted({*indexes, *held})
            if not indexes:
                continue
            found = pick(chunk.events, indexes)
            stamps = pick(chunk.times, indexes) if not ordered else ()
            marks = pick(chunk.warned, indexes)
            if chunk.gone:  # swept places hold None
                found, stamps, marks = _keep(found, found, stamps, marks)
            if dead:
                gone = list(map(dead.__contains__, map(id, found)))
                if any(gone):
                    found, stamps, marks = _keep(list(map(not_, gone)), found, stamps, marks)
            events += cast(tuple[Event, ...], found)
            times += stamps
            warned += marks
        if not ordered:
            # Stable: equal times keep the insertion order they were gathered in.
            order = sorted(range(len(events)), key=times.__getitem__)
            if order:
                events, warned = list(pick(events, order)), list(pick(warned, order))
        return Hits(events, exact, list(compress(events, warned)))

    def sweep(self, chunks: int | None = None, *, oldest: bool = True) -> None:
        """Empty the places of dropped events in the next ``chunks`` chunks (a
        ``SWEEP_SHARE``-th of them by default), round robin; also in the oldest chunk,
        where evicted events are, unless ``oldest`` is False. Nothing to do while no
        event was dropped."""
        if not self._dead or not self._chunks:
            return
        if chunks is None:
            chunks = -(-len(self._chunks) // SWEEP_SHARE)
        if oldest:
            self._sweep_chunk(0)
        for _ in range(chunks):
            if not self._dead or not self._chunks:
                return
            self._sweep_at %= len(self._chunks)
            if self._sweep_chunk(self._sweep_at):
                self._sweep_at += 1

    def _sweep_chunk(self, position: int) -> bool:
        """Sweep one chunk; False if it was removed (the next one is now at
        ``position``)."""
        chunk = self._chunks[position]
        self.entries -= chunk.empty(self._dead)
        last = position == len(self._chunks) - 1
        if chunk.gone == len(chunk) and not last:
            del self._chunks[position]
            return False
        if chunk.gone * 4 >= len(chunk) and chunk.gone:
            fresh = chunk.compacted()
            if fresh.keys is not None and not last:
                fresh.seal()
            self._chunks[position] = fresh
        return True
