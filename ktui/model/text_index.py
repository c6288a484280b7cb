"""A compact, lowercased copy of the text every free-text word is looked for in.

A word of the filter language must be found (case-insensitively) in an event's message,
reason or object name. Checking that event by event reads three strings from objects
scattered over the heap: over 200,000 events that alone takes 100-200 ms on a small
machine. This index keeps ``message NUL reason NUL name``, lowercased, of every stored
event joined into one string per chunk of a few thousand events, and answers a word with
one ``str.find`` scan per chunk and, per hit, a count of the line breaks over at most 256
characters (the entry at every 256th character is kept).

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
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate, compress, count, repeat
from operator import is_, itemgetter, not_
from typing import TypeVar, cast

from ktui.model.event import Event
from ktui.model.untrack import untrack

T = TypeVar("T")
CHUNK = 4096
LONGEST = 4096  # longer texts are not copied: such an event is always a candidate
SWEEP_SHARE = 16  # each batch sweeps this fraction of the chunks (and the oldest one)
_FIELD = "\x00"
_ENTRY = "\n"
_SHIFT = 8
_STRIDE = 1 << _SHIFT


def _key(event: Event) -> str | None:
    """The lowered search text, or None when case folding may differ from lower() (or
    the text is too long to be worth a copy)."""
    text = f"{event.message}{_FIELD}{event.reason}{_FIELD}{event.object.name}"
    if not text.isascii() or len(text) > LONGEST:
        return None
    # Line breaks separate the entries: one inside a field becomes a field separator (no
    # word holds either, so none is found across it either way).
    return text.lower().replace(_ENTRY, _FIELD)


def _pick(values: Sequence[T], indexes: Sequence[int]) -> tuple[T, ...]:
    """The items at ``indexes``, in one C call."""
    if len(indexes) == 1:
        return (values[indexes[0]],)
    return cast(tuple[T, ...], itemgetter(*indexes)(values))


class _Chunk:
    """Up to CHUNK entries: the events (None once swept out), their times, their keys
    (a list while open, joined into ``text`` once sealed)."""

    __slots__ = ("always", "events", "gone", "keys", "lines", "starts", "text", "times")

    def __init__(self) -> None:
        self.events: list[Event | None] = []
        self.times = array("d")
        self.keys: list[str] | None = []
        self.text = ""
        self.starts = array("I")  # offset of each entry's key in `text`
        # the entry at every _STRIDE-th character of `text`: a hit's entry is then found
        # by counting the line breaks over at most _STRIDE characters
        self.lines = array("I")
        self.always: list[int] = []  # entries with no key: always candidates
        self.gone = 0  # places emptied by sweeps
        # Lists of events (which refer to no container) and of strings: no cycle is
        # possible, so no need for the cycle collector to walk their items.
        untrack((self.events, self.keys, self.always))

    def __len__(self) -> int:
        return len(self.events)

    def add(self, event: Event) -> None:
        keys = self.keys
        assert keys is not None
        key = _key(event)
        if key is None:
            self.always.append(len(self.events))
            key = ""  # no word is found on an empty line
        self.events.append(event)
        self.times.append(event.time)
        keys.append(key)

    def seal(self) -> None:
        keys = self.keys
        if keys is None:
            return
        self.text = _ENTRY.join(keys)
        starts = array("I", accumulate((len(key) + 1 for key in keys), initial=0))
        del starts[-1]
        self.starts = starts
        self.lines = array("I", (bisect_right(starts, offset) - 1
                                 for offset in range(0, len(self.text) + 1, _STRIDE)))
        self.keys = None

    def key(self, index: int) -> str:
        if self.keys is not None:
            return self.keys[index]
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[index] : end]

    def hits(self, word: str) -> list[int]:
        """Indexes of the entries whose key contains ``word`` (lowered, no separator)."""
        if self.keys is not None:
            return [index for index, key in enumerate(self.keys) if word in key]
        text = self.text
        find = text.find
        breaks = text.count
        lines = self.lines
        found: list[int] = []
        append = found.append
        position = find(word)
        while position != -1:
            # the entry holding this hit: the one at the stride's start, plus the line
            # breaks from there (counting from the last hit instead reads the whole text)
            stride = position >> _SHIFT
            append(lines[stride] + breaks(_ENTRY, stride << _SHIFT, position))
            mark = find(_ENTRY, position)
            if mark == -1:
                break
            position = find(word, mark)
        return found

    def holding(self, indexes: list[int], words: list[str]) -> list[int]:
        """Those of ``indexes`` whose key also holds every one of ``words``."""
        if self.keys is not None:
            keys = self.keys
            return [i for i in indexes if all(word in keys[i] for word in words)]
        # One bounded find per entry and word, all of it in C: slicing each key out and
        # testing it in a generator cost several times more over thousands of hits.
        starts = self.starts
        ends = starts[1:]
        ends.append(len(self.text))
        find = self.text.find
        for word in words:
            found = map(find, repeat(word), _pick(starts, indexes), _pick(ends, indexes))
            indexes = list(compress(indexes, map((-1).__ne__, found)))
            if not indexes:
                break
        return indexes

    def empty(self, dead: set[int]) -> int:
        """Empty the places of dead events (their ids leave ``dead``); how many."""
        events = self.events
        doomed = list(compress(count(), map(dead.__contains__, map(id, events))))
        for index in doomed:
            dead.discard(id(events[index]))
            events[index] = None
        self.gone += len(doomed)
        return len(doomed)

    def compacted(self) -> _Chunk:
        """This chunk without its empty places."""
        fresh = _Chunk()
        keys = fresh.keys
        assert keys is not None
        always = set(self.always)
        for index, event in enumerate(self.events):
            if event is not None:
                if index not in always:
                    keys.append(self.key(index))
                else:
                    fresh.always.append(len(fresh.events))
                    keys.append("")
                fresh.events.append(event)
                fresh.times.append(self.times[index])
        if self.keys is None:
            fresh.seal()
        return fresh


class TextIndex:
    """The lowered text of every event a store holds (and, until swept, held)."""

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []
        self._dead: set[int] = set()
        self._sweep_at = 0
        self.entries = 0  # places holding an event, dropped ones included until swept

    def add(self, events: Iterable[Event]) -> None:
        """Index events as the store inserts them: in its order for equal times."""
        chunks = self._chunks
        dead = self._dead
        if not chunks or len(chunks[-1]) >= CHUNK:
            if chunks:
                chunks[-1].seal()
            chunks.append(_Chunk())
        chunk = chunks[-1]
        for event in events:
            if dead and id(event) in dead:
                self._revive(event)
            if len(chunk) >= CHUNK:
                chunk.seal()
                chunk = _Chunk()
                chunks.append(chunk)
            chunk.add(event)
            self.entries += 1

    def drop(self, events: Iterable[Event]) -> None:
        """Events the store no longer holds (each one it was given): searches leave them
        out from now on, and sweeps free them."""
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

    def search(self, words: Iterable[str]) -> tuple[list[Event], bool] | None:
        """The held events whose text may hold every word, in the store's order (by time,
        then insertion), and whether they all do (no non-ASCII text was taken on trust);
        None when a word cannot be looked up here (non-ASCII, a separator).

        For ASCII text "the key holds the word" is exactly the filter language's rule:
        the word, which holds no separator, lies within one of the three fields."""
        lowered = []
        for word in words:
            if not word.isascii() or _FIELD in word or _ENTRY in word:
                return None
            lowered.append(word.lower())
        if not lowered:
            return [], True
        # The longest word is likely the rarest: look it up, then check only its hits'
        # entries for the other words.
        lowered.sort(key=len, reverse=True)
        first, others = lowered[0], lowered[1:]
        # Per hit, the work runs in C (itemgetter, map, compress): over thousands of hits
        # a Python loop body costs more than the scan itself. Chunks and their entries
        # are in insertion order, so the hits are gathered in that order.
        events: list[Event] = []
        times: list[float] = []
        exact = True
        dead = self._dead
        for chunk in self._chunks:
            indexes = chunk.hits(first)
            if others and indexes:
                indexes = chunk.holding(indexes, others)
            if chunk.always:
                held = [i for i in chunk.always if chunk.events[i] is not None
                        and id(chunk.events[i]) not in dead]
                if held:
                    exact = False
                    indexes = sorted({*indexes, *held})
            if not indexes:
                continue
            found = _pick(chunk.events, indexes)
            stamps = _pick(chunk.times, indexes)
            if chunk.gone:  # swept places hold None
                found, stamps = tuple(compress(found, found)), tuple(compress(stamps, found))
            if dead:
                gone = list(map(dead.__contains__, map(id, found)))
                if any(gone):
                    keep = list(map(not_, gone))
                    found, stamps = tuple(compress(found, keep)), tuple(compress(stamps, keep))
            events += cast(tuple[Event, ...], found)
            times += stamps
        # Stable: equal times keep the insertion order they were gathered in.
        order = sorted(range(len(events)), key=times.__getitem__)
        return list(_pick(events, order)) if order else [], exact

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
