"""The raw objects of events, compressed together in blocks.

An Event keeps the object the source sent, but it is read only when someone opens that one
event (the detail pane, ``y``). zlib on one event's JSON (~750 bytes) saves only half of
it: what makes an event compressible is what it shares with its neighbours (the keys, the
namespace, the node, the reason, the object). Compressed together, a block of 32 events
costs ~70 bytes each instead of ~400, and is one ``decompress`` of ~25 KB (tens of
microseconds) when one of them is opened.

A :class:`RawPacker` (one per stream, used by one thread) fills a block with the JSON of
each event it is given and seals it (compresses it) once full. Events refer to their block
and their index in it, so a block is freed with its last event: blocks are filled in
arrival order, and the store drops events oldest first, so a block's events mostly go
together (one that outlives the others keeps the block: at worst ``BLOCK`` events' worth
of compressed JSON for one event, and never the uncompressed text).

Until it is sealed, a block holds its events' JSON as given (at most ``BLOCK - 1`` events
per stream wait there), and may be read meanwhile from another thread: sealing sets the
compressed data before it drops the pieces, so a reader sees one or the other.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from itertools import accumulate

from ktui.model.untrack import untrack

BLOCK = 32
# zlib's fastest level: on blocks of similar JSON it compresses nearly as well as the
# default (~5% larger) at a third of the cost, and compression runs on the source thread
# for every event received.
LEVEL = 1
_END = array("I").itemsize


class RawBlock:
    """The JSON texts of up to ``BLOCK`` events, compressed together once sealed."""

    __slots__ = ("_data", "_ends", "_pieces")

    def __init__(self) -> None:
        self._pieces: list[bytes] | None = []
        self._data = b""
        # where each piece ends in the whole: native unsigned ints, as bytes (which the
        # cycle collector does not track, unlike an array)
        self._ends: bytes | None = None
        # A block refers to bytes only: never part of a cycle (see ktui.model.untrack).
        untrack((self,))

    @classmethod
    def single(cls, raw: bytes) -> RawBlock:
        """A sealed block of one event's JSON (for events that arrive one by one from
        a path with no packer: tests, the model's constructors, history pages)."""
        block = cls()
        block._data = zlib.compress(raw, LEVEL)
        block._pieces = None
        return block

    @classmethod
    def compressed(cls, data: bytes) -> RawBlock:
        """A sealed block of one event's JSON given zlib-compressed (as the archive keeps
        it): taken as it is, without compressing it again."""
        block = cls()
        block._data = data
        block._pieces = None
        return block

    @classmethod
    def stored(cls, data: bytes, ends: bytes) -> RawBlock:
        """A sealed block as :func:`seal_pieces` gave it (the archive's ``blocks`` rows)."""
        block = cls()
        block._data = data
        block._ends = ends if _NATIVE_LE else _swap(ends)
        block._pieces = None
        return block

    def __len__(self) -> int:
        pieces = self._pieces
        if pieces is not None:
            return len(pieces)
        return len(self._ends) // _END if self._ends is not None else 1

    @property
    def sealed(self) -> bool:
        return self._pieces is None

    def add(self, raw: bytes) -> int:
        """Append one event's JSON; its index in this block (writer thread only)."""
        pieces = self._pieces
        if pieces is None:
            raise ValueError("a sealed block takes no more events")
        pieces.append(raw)
        return len(pieces) - 1

    def seal(self) -> None:
        """Compress the pieces (writer thread only); readers may be reading meanwhile."""
        pieces = self._pieces
        if pieces is None:
            return
        ends = array("I", accumulate(map(len, pieces))).tobytes()
        self._data = zlib.compress(b"".join(pieces), LEVEL)
        self._ends = ends
        # Last, so a reader that found no pieces finds the data and the ends set.
        self._pieces = None

    def get(self, index: int) -> bytes:
        """The JSON of the event at ``index``, as it was added."""
        pieces = self._pieces
        if pieces is not None:
            return pieces[index]
        whole = zlib.decompress(self._data)
        if self._ends is None:
            return whole
        ends = memoryview(self._ends).cast("I")
        return whole[ends[index - 1] if index else 0 : ends[index]]

    def texts(self) -> list[bytes]:
        """Every event's JSON in this block, with one ``decompress`` for all of them."""
        pieces = self._pieces
        if pieces is not None:
            return list(pieces)
        whole = zlib.decompress(self._data)
        if self._ends is None:
            return [whole]
        starts = 0
        out = []
        for end in memoryview(self._ends).cast("I"):
            out.append(whole[starts:end])
            starts = end
        return out

    @property
    def single_zlib(self) -> bytes | None:
        """The zlib data of a sealed block of one event (its :meth:`zlib` at no cost),
        else None."""
        return self._data if self._pieces is None and self._ends is None else None

    def zlib(self, index: int) -> bytes:
        """The JSON of the event at ``index``, zlib-compressed on its own."""
        if self._pieces is None and self._ends is None:
            return self._data  # a block of one: its data is exactly that
        return zlib.compress(self.get(index), LEVEL)

    def nbytes(self) -> int:
        """Bytes held (the data, the offsets, the pending pieces), for measurements."""
        pieces = self._pieces or ()
        return len(self._data) + sum(map(len, pieces)) + len(self._ends or b"")


HOLD_BYTES = 16 << 20
"""JSON a packer holds uncompressed after :meth:`RawPacker.hold` (past it, blocks are
sealed as they fill): ~20,000 events, a whole list of a busy cluster."""


class RawPacker:
    """Puts one stream's raw objects into blocks, in arrival order (one thread)."""

    __slots__ = ("_block", "_held", "_held_bytes", "_holding", "hold_bytes")

    def __init__(self, hold_bytes: int = HOLD_BYTES) -> None:
        self._block = RawBlock()
        self._held: list[RawBlock] = []
        self._held_bytes = 0
        self._holding = False
        self.hold_bytes = hold_bytes

    def pack(self, raw: bytes) -> tuple[RawBlock, int]:
        """Where ``raw`` is kept: its block and its index there."""
        block = self._block
        index = block.add(raw)
        if index + 1 >= BLOCK:
            if self._holding and self._held_bytes < self.hold_bytes:
                self._held.append(block)
                self._held_bytes += block.nbytes()
            else:
                block.seal()
            self._block = RawBlock()
        return block, index

    def hold(self) -> None:
        """From now on full blocks wait uncompressed (up to ``hold_bytes``) until
        :meth:`release`: a list's pages reach the table sooner (compressing is a sixth of
        a listed event's cost), and its events are compressed once the list is handed
        over, while the table shows them (zlib lets go of the interpreter lock as it
        works)."""
        self._holding = True

    def release(self) -> None:
        """Seal the blocks held since :meth:`hold`; full blocks are sealed as they fill
        again."""
        self._holding = False
        held, self._held, self._held_bytes = self._held, [], 0
        for block in held:
            block.seal()


_NATIVE_LE = sys.byteorder == "little"


def _swap(ends: bytes) -> bytes:
    swapped = array("I", ends)
    swapped.byteswap()
    return swapped.tobytes()


def seal_pieces(pieces: list[bytes]) -> tuple[bytes, bytes]:
    """(the pieces compressed together, where each ends as little-endian uint32s): a
    block as the archive stores it, portable between machines (:meth:`RawBlock.stored`)."""
    ends = array("I", accumulate(map(len, pieces))).tobytes()
    return zlib.compress(b"".join(pieces), LEVEL), ends if _NATIVE_LE else _swap(ends)
