"""A chunk of the text index (ktui.model.text_index): some thousands of entries, each an
event, its time and its key (``message NUL reason NUL name``, lowercased), the keys joined
into one string once the chunk is sealed, each distinct key once where keys repeat (one
pod's back-offs, one container's starts, the same probe failing): a search then scans a
fraction of the text, and a hit's entries cost no pass over the chunk.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, chain, compress, count, islice, repeat
from math import inf
from operator import add, itemgetter, le, sub
from typing import TypeVar, cast

from ktui.model.event import WARNING, Event
from ktui.model.untrack import untrack

T = TypeVar("T")
LONGEST = 4096  # longer texts are not copied: such an event is always a candidate
FIELD = "\x00"
ENTRY = "\n"
_SHIFT = 8
_STRIDE = 1 << _SHIFT


def key_of(event: Event) -> str | None:
    """The lowered search text, or None when case folding may differ from lower() (or
    the text is too long to be worth a copy)."""
    text = f"{event.message}{FIELD}{event.reason}{FIELD}{event.object.name}"
    if not text.isascii() or len(text) > LONGEST:
        return None
    # Line breaks separate the entries: one inside a field becomes a field separator (no
    # word holds either, so none is found across it either way).
    return text.lower().replace(ENTRY, FIELD)


def pick(values: Sequence[T], indexes: Sequence[int]) -> tuple[T, ...]:
    """The items at ``indexes``, in one C call."""
    if len(indexes) == 1:
        return (values[indexes[0]],)
    return cast(tuple[T, ...], itemgetter(*indexes)(values))


def in_time_order(chunks: list[Chunk]) -> bool:
    """Whether the entries of ``chunks``, one after the other, never go back in time."""
    last = -inf
    for chunk in chunks:
        if chunk.times:
            if chunk.times[0] < last or not chunk.rising():
                return False
            last = chunk.times[-1]
    return True


class Chunk:
    """Up to text_index.CHUNK entries: the events (None once swept out), their times, their keys
    (a list while open; once sealed, joined into ``text``, each distinct key once when
    keys repeat)."""

    __slots__ = ("always", "checked", "events", "gone", "grouped", "ids", "keys", "lines",
                 "offsets", "rises", "starts", "text", "times", "warned")

    def __init__(self) -> None:
        self.events: list[Event | None] = []
        self.times = array("d")
        # 1 for a warning: a search lists the warnings among its hits from these, not from
        # each event (read one by one, a million scattered events cost a cache miss each)
        self.warned = bytearray()
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
        self.rises, self.checked = True, 0  # see rising()
        # Lists of events (which refer to no container) and of strings: no cycle is
        # possible, so no need for the cycle collector to walk their items.
        untrack((self.events, self.keys, self.always))

    def __len__(self) -> int:
        return len(self.events)

    def rising(self) -> bool:
        """Whether the times never fall (checked once for what was added since)."""
        times = self.times
        if self.rises and self.checked < len(times):
            start = max(self.checked - 1, 0)
            self.rises = all(map(le, islice(times, start, None), islice(times, start + 1, None)))
            self.checked = len(times)
        return self.rises

    def add(self, event: Event) -> None:
        keys = self.keys
        assert keys is not None
        key = key_of(event)
        if key is None:
            self.always.append(len(self.events))
            key = ""  # no word is found on an empty line
        self.events.append(event)
        self.times.append(event.time)
        self.warned.append(event.type == WARNING)
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
        self.text = ENTRY.join(distinct)
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
                keys = pick(self.keys, found) if isinstance(found, list) else self.keys
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
        slices = map(slice, pick(offsets, numbers), map(offsets.__getitem__,
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
            append(lines[stride] + breaks(ENTRY, stride << _SHIFT, position))
            mark = find(ENTRY, position)
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
            found = map(find, repeat(word), pick(starts, indexes), pick(ends, indexes))
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

    def compacted(self) -> Chunk:
        """This chunk without its empty places."""
        fresh = Chunk()
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
                fresh.warned.append(self.warned[index])
        if self.keys is None:
            fresh.seal()
        return fresh
