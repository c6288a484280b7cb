"""A compact, lowercased copy of the text every free-text word is looked for in.

A word of the filter language must be found (case-insensitively) in an event's message,
reason or object name. Checking that event by event reads three strings from objects
scattered over the heap: over 200,000 events that alone takes 100-200 ms on a small
machine. This index keeps ``message NUL reason NUL name``, lowercased, of every stored
event joined into one string per chunk of a few thousand events, and answers a word with
one ``str.find`` scan per chunk (memchr speed) and a binary search per hit.

It only narrows: :meth:`TextIndex.search` returns a superset of the events holding every
word (text with non-ASCII characters, whose case folding differs from ``lower()``, always
counts), and the store then checks its query on those. It returns them with their
insertion sequence number: the store's lists are ordered by (time, insertion), so sorting
the few hits gives the filtered list without a pass over every event (any pass over
200,000 objects scattered in memory costs 40-60 ms in cache misses alone).

Entries refer to events by uid and ``id()``, not by reference, so an event dropped from the
store is freed at once; its entry is removed by a sweep of one chunk per batch.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from itertools import accumulate, compress
from operator import eq, itemgetter
from typing import cast

from ktui.model.event import Event, untrack

CHUNK = 4096
LONGEST = 4096  # longer texts are not copied: such an event is always a candidate
_FIELD = "\x00"
_ENTRY = "\n"


def _key(event: Event) -> str | None:
    """The lowered search text, or None when case folding may differ from lower() (or
    the text is too long to be worth a copy)."""
    text = f"{event.message}{_FIELD}{event.reason}{_FIELD}{event.object.name}"
    return text.lower() if text.isascii() and len(text) <= LONGEST else None


class _Chunk:
    """Up to CHUNK entries: uids, ids of the indexed versions, and their joined keys."""

    __slots__ = ("always", "ids", "keys", "seqs", "starts", "text", "times", "uids")

    def __init__(self) -> None:
        self.uids: list[str] = []
        self.ids = array("Q")
        self.seqs = array("Q")
        self.times = array("d")
        self.keys: list[str] | None = []  # while open; joined into `text` when sealed
        self.text = ""
        self.starts = array("I")  # offset of each entry's key in `text`
        self.always: list[tuple[str, int, int, float]] = []  # (uid, id, seq, time)
        # Lists of strings and plain tuples: no cycle possible, so no need for the cycle
        # collector to walk their 200,000 items at every full collection.
        untrack((self.uids, self.keys, self.always))

    def __len__(self) -> int:
        return len(self.uids) + len(self.always)

    def add(self, event: Event, seq: int) -> None:
        key = _key(event)
        if key is None:
            self.always.append((event.uid, id(event), seq, event.time))
            return
        assert self.keys is not None
        self.uids.append(event.uid)
        self.ids.append(id(event))
        self.seqs.append(seq)
        self.times.append(event.time)
        self.keys.append(key)

    def seal(self) -> None:
        keys = self.keys
        if keys is None:
            return
        self.text = _ENTRY.join(keys)
        self.starts = array("I", accumulate((len(key) + 1 for key in keys), initial=0))
        del self.starts[-1]
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
        found: list[int] = []
        append = found.append
        starts = self.starts
        last = len(starts) - 1
        find = self.text.find
        position = find(word)
        while position != -1:
            index = bisect_right(starts, position) - 1
            append(index)
            if index == last:
                break
            position = find(word, starts[index + 1])
        return found


def _collect(
    found: dict[int, tuple[float, int, Event]],
    indexes: list[int],
    uids: list[str],
    ids: array[int],
    times: array[float],
    seqs: array[int],
    get: Callable[[str], Event | None],
) -> None:
    """Add the hits at ``indexes`` whose entry indexed the current version of its event."""
    if len(indexes) == 1:
        (index,) = indexes
        event = get(uids[index])
        if event is not None and id(event) == ids[index]:
            found[ids[index]] = (times[index], seqs[index], event)
        return
    pick = itemgetter(*indexes)  # a tuple of the items at indexes, in one C call
    events = list(map(get, pick(uids)))
    indexed = pick(ids)
    current = map(eq, map(id, events), indexed)  # id(None) is never an event's
    # an event is None only where `current` is False, so none is kept
    entries = cast(
        Iterable[tuple[float, int, Event]], zip(pick(times), pick(seqs), events, strict=True)
    )
    found.update(compress(zip(indexed, entries, strict=True), current))


class TextIndex:
    """The lowered text of every event a store holds (and, until swept, held)."""

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []
        self._sweep_at = 0
        self._seq = 0
        self.entries = 0

    def add(self, events: Iterable[Event]) -> None:
        """Index events as the store inserts them: in its order for equal times."""
        chunks = self._chunks
        if not chunks or len(chunks[-1]) >= CHUNK:
            if chunks:
                chunks[-1].seal()
            chunks.append(_Chunk())
        chunk = chunks[-1]
        for event in events:
            if len(chunk) >= CHUNK:
                chunk.seal()
                chunk = _Chunk()
                chunks.append(chunk)
            chunk.add(event, self._seq)
            self._seq += 1
            self.entries += 1

    def search(
        self, words: Iterable[str], live: Mapping[str, Event]
    ) -> tuple[list[tuple[float, int, Event]], bool] | None:
        """(time, insertion sequence, event) of the current events whose text may hold
        every word, and whether they all do (no non-ASCII text was taken on trust);
        None when a word cannot be looked up here (non-ASCII, a separator).

        An entry counts only if it indexed the event's current version, so for ASCII
        text "the key holds the word" is exactly the filter language's rule: the word,
        which holds no separator, lies within one of the three fields."""
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
        # a Python loop body costs more than the scan itself. Keyed by id(): an entry of
        # a replaced version whose address the current version reuses would otherwise
        # give the event twice.
        found: dict[int, tuple[float, int, Event]] = {}
        exact = True
        get = live.get
        for chunk in self._chunks:
            if chunk.keys is not None:
                indexes = [i for i, key in enumerate(chunk.keys) if first in key]
            else:
                indexes = chunk.hits(first)
            if others and indexes:
                key = chunk.key
                indexes = [i for i in indexes if all(word in key(i) for word in others)]
            if indexes:
                _collect(found, indexes, chunk.uids, chunk.ids, chunk.times, chunk.seqs, get)
            if chunk.always:
                for uid, indexed, seq, time in chunk.always:
                    event = get(uid)
                    if event is not None and id(event) == indexed:
                        found[indexed] = (time, seq, event)
                        exact = False
        return list(found.values()), exact

    def sweep(self, live: Mapping[str, Event], chunks: int = 1, *, oldest: bool = True) -> None:
        """Drop the entries of events no longer held (or of replaced versions) from the
        next ``chunks`` chunks, round robin; also from the oldest chunk, where evicted
        events are, unless ``oldest`` is False (nothing was evicted: one chunk's 4,096
        lookups saved per batch)."""
        if not self._chunks:
            return
        if oldest:
            self._sweep_chunk(0, live)
        for _ in range(chunks):
            if not self._chunks:
                return
            self._sweep_at %= len(self._chunks)
            self._sweep_chunk(self._sweep_at, live)
            self._sweep_at += 1

    def _sweep_chunk(self, position: int, live: Mapping[str, Event]) -> None:
        chunk = self._chunks[position]
        get = live.get
        keep = [
            index for index, (uid, indexed) in enumerate(zip(chunk.uids, chunk.ids, strict=True))
            if id(get(uid)) == indexed
        ]
        always = [entry for entry in chunk.always if id(get(entry[0])) == entry[1]]
        if len(keep) == len(chunk.uids) and len(always) == len(chunk.always):
            return
        fresh = _Chunk()
        for index in keep:
            fresh.uids.append(chunk.uids[index])
            fresh.ids.append(chunk.ids[index])
            fresh.seqs.append(chunk.seqs[index])
            fresh.times.append(chunk.times[index])
            assert fresh.keys is not None
            fresh.keys.append(chunk.key(index))
        fresh.always = always
        untrack((always,))
        if chunk.keys is None:
            fresh.seal()
        self.entries -= len(chunk) - len(fresh)
        if len(fresh) or position == len(self._chunks) - 1:
            self._chunks[position] = fresh
        else:
            del self._chunks[position]
