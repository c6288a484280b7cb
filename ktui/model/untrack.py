"""Objects kept by the hundred thousand, out of sight of CPython's cycle collector."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

_untrack_one: Callable[[object], None] | None = None


def _ignore(obj: object) -> None:
    pass


def _untracker() -> Callable[[object], None]:
    global _untrack_one
    if _untrack_one is None:
        _untrack_one = _ignore
        if sys.implementation.name == "cpython":
            try:
                import ctypes

                function = ctypes.pythonapi.PyObject_GC_UnTrack
                function.argtypes = [ctypes.py_object]
                function.restype = None
                _untrack_one = function
            except (ImportError, AttributeError):
                pass
    return _untrack_one


def untrack(objects: Iterable[object]) -> None:
    """Take objects out of sight of CPython's cycle collector (``PyObject_GC_UnTrack``,
    what CPython itself does to tuples and dicts of plain values).

    Why: a full collection visits every tracked object and every reference it holds, so
    with 200,000 events kept (an Event and an ObjectRef each, plus the lists holding
    them) each one paused the whole app for 0.3-1 s, several times a minute during an
    event storm. Reference counting still frees these objects as usual; only a reference
    cycle through an untracked object would never be collected. So pass only objects that
    cannot be part of a cycle: Events (whose fields are strings, numbers, ObjectRefs and
    raw blocks), ObjectRefs (strings and tuples of OwnerRefs, which hold strings), raw
    blocks (which refer to bytes only), and lists of them. A dict is tracked again by the
    next insertion of an Event. Elsewhere than CPython this does nothing.
    """
    untrack_one = _untracker()
    for obj in objects:
        untrack_one(obj)
