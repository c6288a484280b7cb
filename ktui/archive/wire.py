"""The frames between the TUI and its archive writer process (:mod:`ktui.archive.process`,
:mod:`ktui.archive.child`): a 4-byte big-endian length, then a pickle.

Pickle is safe here: both ends are this ktui, the child is the parent's own subprocess and
the pipe is theirs alone. It also keeps what events share shared: the events of one
``dumps`` that sit in one raw block (a watch stream packs 32 to a block) carry it once,
compressed as the stream sealed it.

Events travel as tuples of what the archive writes of them (:func:`pack_events`: one
``attrgetter`` call each, in C): pickling the Event dataclasses themselves cost the TUI's
process ~3.3 µs of its GIL per event, the tuples ~1.1 µs. The child makes Events of them
again, as the light :class:`WireEvent` (:func:`unpack_events`).

Parent to child::

    ("open", path, options)                       first, once (options: ArchiveWriter's)
    ("recorder", rid, server, context, started_at)
    ("items", [(op, rid, payload, at, count), ...])
    ("lost", rid)                                  the parent dropped some of its changes
    ("flush", seq)

Child to parent::

    ("status", {...WriterStatus fields...})
    ("problem", kind, text)                        kind: an ArchiveError class name
    ("flushed", seq)
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import IO, Any, NamedTuple

from ktui.model.event import Event
from ktui.model.rawblock import RawBlock

_LENGTH = struct.Struct(">I")


class _Ref(NamedTuple):
    """The fields of an event's ObjectRef the archive writes."""

    kind: str
    name: str
    namespace: str
    uid: str
    api_version: str
    field_path: str


class WireEvent(NamedTuple):
    """An event as the child gets it: the attributes of an Event that the archive's writer
    reads (ktui.archive.rows, ops), no more. Built from a tuple in C: rebuilding the
    frozen Event dataclasses cost the child ~13 µs an event."""

    uid: str
    resource_version: str
    namespace: str
    name: str
    type: str
    reason: str
    message: str
    source_component: str
    source_host: str
    reporting_controller: str
    reporting_instance: str
    action: str
    api: str
    count: int  # type: ignore[assignment]  # Event's name for it; tuple.count unused
    first_seen: float
    time: float
    raw_block: RawBlock | None
    raw_index: int
    object: _Ref


# What ktui.archive.rows and ops read of an event, and of its object, in this order.
_FIELDS = WireEvent._fields[:-1]
_PACK = attrgetter(*_FIELDS, *(f"object.{name}" for name in _Ref._fields))
_SPLIT = len(_FIELDS)


def pack_events(events: Iterable[Event]) -> list[tuple[Any, ...]]:
    return list(map(_PACK, events))


def unpack_events(rows: Sequence[tuple[Any, ...]]) -> list[WireEvent]:
    make, ref = WireEvent._make, _Ref._make
    return [make((*row[:_SPLIT], ref(row[_SPLIT:]))) for row in rows]


def encode(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def read(stream: IO[bytes]) -> Any | None:
    """The next message, None at the end of the stream (or a truncated frame)."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)
