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

from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, chain, compress, count, repeat
from operator import add, is_, itemgetter, not_, sub
from typing import TypeVar, cast

from ktui.model.event import Event
from ktui.model.untrack import untrack

T = TypeVar("T")
# Larger chunks repeat more of their keys (each kept once), but cost more to sweep and
# compact. Entry numbers are unsigned shorts ("H"): at most 65,536 entries a chunk.
CHUNK = 16384
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
    (a list while open; once sealed, joined into ``text``, each distinct key once when
    keys repeat)."""

    __slots__ = ("always", "events", "gone", "grouped", "ids", "keys", "lines", "offsets",
                 "starts", "text", "times")

    def __init__(self) -> None:
        self.events: list[Event | None] = []
        self.times = array("d")
        self.keys: list[str] | None = []
        self.text = ""
        self.starts = array("I")  # offset of each key in `text`
        # the key at every _STRIDE-th character of `text`: a hit's key is then found by
        # counting the line breaks over at most _STRIDE characters
        self.lines = array("I")
        # Where keys repeat (a pod's back-offs, a container's starts), `text` holds each
        # distinct key once: `ids` is each entry's key, `grouped` the entries ordered by
        # key and `offsets` where each key's entries begin there. None: `text` holds every
        # entry's key, in order.
        self.ids: array[int] | None = None
        self.grouped: array[int] | None = None
        self.offsets: array[int] | None = None
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
        distinct: Sequence[str] = keys
        # Where keys repeat, scanning each once is worth listing its entries (4 bytes an
        # entry). A quarter of them tells, so that unique keys cost no numbering: when
        # that quarter is over 90% distinct, the chunk holds each key less than ~1.8 times
        # on average.
        sample = keys[::4] if len(keys) >= 1024 else keys
        if len(set(sample)) * 10 <= len(sample) * 9:
            # Number the distinct keys in order of first entry, in C: map() takes the
            # number of keys numbered so far (len) before it numbers the next one.
            first: dict[str, int] = {}
            ids = array("H", map(first.setdefault, keys, map(len, repeat(first))))
            grouped = array("H", sorted(range(len(ids)), key=ids.tolist().__getitem__))
            sizes = Counter(ids)
            self.ids, self.grouped = ids, grouped
            self.offsets = array("I", accumulate(map(sizes.__getitem__, range(len(first))),
                                                 initial=0))
            distinct = list(first)
        self.text = _ENTRY.join(distinct)
        # (in C: no Python frame per key or per stride)
        starts = array("I", accumulate(map(add, map(len, distinct), repeat(1)), initial=0))
        del starts[-1]
        self.starts = starts
        strides = range(0, len(self.text) + 1, _STRIDE)
        self.lines = array("I", map(sub, map(bisect_right, repeat(starts), strides),
                                    repeat(1)))
        self.keys = None

    def key(self, index: int) -> str:
        if self.keys is not None:
            return self.keys[index]
        number = index if self.ids is None else self.ids[index]
        starts = self.starts
        end = starts[number + 1] - 1 if number + 1 < len(starts) else len(self.text)
        return self.text[starts[number] : end]

    def matches(self, words: list[str]) -> list[int]:
        """Indexes of the entries whose key holds every word (lowered, no separator),
        in order; the first word is looked up, the others checked on its hits."""
        if self.keys is not None:  # open: each word checked on each key, in C
            found: Iterable[int] = range(len(self.keys))
            for word in words:
                keys = _pick(self.keys, found) if isinstance(found, list) else self.keys
                found = list(compress(found, map(str.__contains__, keys, repeat(word))))
                if not found:
                    break
            return list(found)
        numbers = self._hits(words[0])
        if len(words) > 1 and numbers:
            numbers = self._holding(numbers, words[1:])
        return self._entries(numbers)

    def _entries(self, numbers: list[int]) -> list[int]:
        """The entries of the keys ``numbers`` (ascending), in order."""
        ids, grouped, offsets = self.ids, self.grouped, self.offsets
        if ids is None or not numbers:
            return numbers
        assert grouped is not None and offsets is not None
        if len(numbers) == 1:
            return grouped[offsets[numbers[0]] : offsets[numbers[0] + 1]].tolist()
        if len(numbers) == len(self.starts):
            return list(range(len(ids)))
        # each key's entries, one slice each (in C), merged by one sort of the ints
        slices = map(slice, _pick(offsets, numbers), map(offsets.__getitem__,
                                                         map((1).__add__, numbers)))
        return sorted(chain.from_iterable(map(grouped.__getitem__, slices)))

    def _hits(self, word: str) -> list[int]:
        """Numbers of the keys in ``text`` that contain ``word``."""
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

    def _holding(self, indexes: list[int], words: list[str]) -> list[int]:
        """Those of the keys ``indexes`` that also hold every one of ``words``."""
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

    def __init__(self, source: Callable[[], Iterable[Event]] | None = None) -> None:
        self._source = source  # every event the store holds, in its order
        self.deferred = False
        self._clear()

    def _clear(self) -> None:
        self._chunks: list[_Chunk] = []
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
            chunks.append(_Chunk())
        chunk = chunks[-1]
        for event in events:
            if dead and id(event) in dead:
                if waiting:
                    dead.discard(id(event))
                    continue
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

    def search(self, words: Iterable[str]) -> tuple[list[Event], bool] | None:
        """The held events whose text may hold every word, in the store's order (by time,
        then insertion), and whether they all do (no non-ASCII text was taken on trust);
        None when a word cannot be looked up here (non-ASCII, a separator).

        For ASCII text "the key holds the word" is exactly the filter language's rule:
        the word, which holds no separator, lies within one of the three fields."""
        self.build()
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
        # Per hit, the work runs in C (itemgetter, map, compress): over thousands of hits
        # a Python loop body costs more than the scan itself. Chunks and their entries
        # are in insertion order, so the hits are gathered in that order.
        events: list[Event] = []
        times: list[float] = []
        exact = True
        dead = self._dead
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
