"""Objects kept by the hundred thousand, out of sight of CPython's cycle collector."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import compress

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


_is_tracked = gc.is_tracked


def untrack_tracked(objects: Sequence[object]) -> None:
    """:func:`untrack` for those of ``objects`` still tracked: the filter runs in C, so
    objects untracked already (events untracked by the thread that built them) cost
    next to nothing, not a ``ctypes`` call each."""
    untrack(compress(objects, map(_is_tracked, objects)))


_pause_lock = threading.Lock()
_pausers = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection while the block runs (the collector is process-wide: the
    other threads' allocations wait too), then as before. For a short burst of
    allocations that all die or are untracked at its end, such as one list page parsed
    into Events: its ~2,500 dicts, alive until the page is built, set off three young
    collections a page, and promoted, the full collections that walk everything kept
    (20,000 events listed: ~185 collections, 70-130 ms). Nestable and thread-safe: the
    collector is enabled again when the last block ends, if it was when the first began.
    Keep the block short and free of waits (never around a hand-over that may block)."""
    global _pausers, _was_enabled
    with _pause_lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()
