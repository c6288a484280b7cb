"""The frames between the TUI and its archive writer process (:mod:`ktui.archive.process`,
:mod:`ktui.archive.child`): a 4-byte big-endian length, then a pickle.

Pickle is safe here: both ends are this ktui, the child is the parent's own subprocess and
the pipe is theirs alone. It also keeps what events share shared: the events of one
``dumps`` that sit in one raw block (a watch stream packs 32 to a block) carry it once,
compressed as the stream sealed it.

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
from typing import IO, Any

_LENGTH = struct.Struct(">I")


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
