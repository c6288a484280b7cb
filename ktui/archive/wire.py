"""The frames between the TUI and its archive writer process (:mod:`ktui.archive.process`,
:mod:`ktui.archive.child`): a 4-byte big-endian length, then a pickle.

Pickle is safe here: both ends are this ktui, the child is the parent's own subprocess and
the pipe is theirs alone. It also keeps what events share shared: the events of one
``dumps`` that sit in one raw block (a watch stream packs 32 to a block) carry it once,
compressed as the stream sealed it.

Events travel as tuples of what the archive writes of them (:func:`pack_events`: one
``attrgetter`` call each, in C): pickling the Event dataclasses themselves cost the TUI's
process ~3.3 µs of its GIL per event, the tuples ~1.1 µs. The child makes Events of them
again (:func:`unpack_events`).

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
from typing import IO, Any

from ktui.model.event import Event
from ktui.model.refs import ObjectRef

_LENGTH = struct.Struct(">I")
# What ktui.archive.rows and ops read of an event, and of its object.
_FIELDS = (
    "uid", "resource_version", "namespace", "name", "type", "reason", "message",
    "source_component", "source_host", "reporting_controller", "reporting_instance",
    "action", "api", "count", "first_seen", "time", "raw_block", "raw_index",
)  # fmt: skip
_REF = ("kind", "name", "namespace", "uid", "api_version", "field_path")
_PACK = attrgetter(*_FIELDS, *(f"object.{name}" for name in _REF))
_SPLIT = len(_FIELDS)


def pack_events(events: Iterable[Event]) -> list[tuple[Any, ...]]:
    return list(map(_PACK, events))


def unpack_events(rows: Sequence[tuple[Any, ...]]) -> list[Event]:
    return [
        Event(**dict(zip(_FIELDS, row[:_SPLIT], strict=True)), object=ObjectRef(*row[_SPLIT:]))
        for row in rows
    ]


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
