"""Keeping objects out of the cycle collector's sight, and pausing it for a burst."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from ktui.model.event import Event
from ktui.model.untrack import collection_paused, untrack, untrack_tracked


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_untrack_tracked_untracks_what_is_still_tracked() -> None:
    events = [Event(uid=str(i)) for i in range(4)]
    untrack(events[:2])
    untrack_tracked(events)
    assert not any(map(gc.is_tracked, events))


@pytest.mark.usefixtures("collector")
def test_a_paused_collection_resumes_when_the_last_block_ends() -> None:
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()


@pytest.mark.usefixtures("collector")
def test_a_paused_collection_resumes_after_an_error() -> None:
    with pytest.raises(ValueError), collection_paused():
        raise ValueError("a malformed page")
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector")
def test_blocks_of_two_threads_overlapping() -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collection_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(5)
    with collection_paused():
        pass
    assert not gc.isenabled()  # the other thread's block still runs
    leave.set()
    thread.join(5)
    assert gc.isenabled()
