"""One copy of an event message, shared by every event that holds it.

A store keeps every event it is given, and many of an event's strings repeat from event
to event. The node (source host, reporting instance) and the other low-cardinality values
are interned where events are built; the object is shared through
:func:`ktui.model.refs.object_ref`. The message (the same text for every repeat, every
replica, every restart) goes through the bounded cache here instead, emptied when full
(as the decoder's timestamp cache): in a busy cluster many messages are unique, and
interning them all would grow the interpreter's table without bound. A message that
missed the cache is merely not shared. Several source threads may call this at once: each
dict operation is atomic, and a race costs at most one more copy.
"""

from __future__ import annotations

CACHE = 20_000
_messages: dict[str, str] = {}


def shared_message(text: str) -> str:
    """``text``, as the same string object as the last events' with this message."""
    shared = _messages.get(text)
    if shared is None:
        if len(_messages) >= CACHE:
            _messages.clear()
        _messages[text] = shared = text
    return shared
