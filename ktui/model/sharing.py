"""One copy of the values events repeat, shared by every event that holds it.

A store keeps every event it is given, and most of an event's strings repeat from event to
event: the node (source host, reporting instance), the object (a pod has a handful of
events: scheduled, pulled, created, started, a back-off...), the message (the same text
for every repeat, every replica, every restart). Each event built from JSON holds new
copies; shared, they save about a quarter of what a stored event costs.

Low-cardinality values (namespaces, types, reasons, nodes) are interned where events are
built. The object and the message go through the bounded caches here instead, emptied
when full (as the decoder's timestamp cache): in a busy cluster many messages are unique,
and interning them all would grow the interpreter's table without bound. A value that
missed the cache is merely not shared. Several source threads may call these at once:
each dict operation is atomic, and a race costs at most one more copy.
"""

from __future__ import annotations

import sys

from ktui.model.event import ObjectRef

CACHE = 20_000
_intern = sys.intern
_refs: dict[tuple[str, str, str, str, str, str], ObjectRef] = {}
_messages: dict[str, str] = {}


def shared_ref(kind: str, name: str, namespace: str, uid: str, api_version: str,
               field_path: str) -> ObjectRef:
    """The ObjectRef with these fields, the same object as the last events' if it is."""
    key = (kind, name, namespace, uid, api_version, field_path)
    ref = _refs.get(key)
    if ref is None:
        ref = ObjectRef(kind=_intern(kind), name=name, namespace=_intern(namespace), uid=uid,
                        api_version=_intern(api_version), field_path=field_path)
        if len(_refs) >= CACHE:
            _refs.clear()
        _refs[key] = ref
    return ref


def shared_message(text: str) -> str:
    """``text``, as the same string object as the last events' with this message."""
    shared = _messages.get(text)
    if shared is None:
        if len(_messages) >= CACHE:
            _messages.clear()
        _messages[text] = shared = text
    return shared
