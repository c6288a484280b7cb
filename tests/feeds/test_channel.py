"""The batch channel and the Mirror: coalescing, and relists of every namespace or some."""

from __future__ import annotations

import time

from ktui.feeds.channel import BatchChannel
from ktui.feeds.mirror import Mirror
from ktui.model.event import Event


def ev(uid: str, ns: str, rv: str = "1") -> Event:
    return Event(uid=uid, namespace=ns, resource_version=rv)


def test_full_reset_replaces_everything_pending() -> None:
    channel = BatchChannel()
    channel.put([ev("a", "x"), ev("b", "y")], [ev("c", "y")])
    channel.reset([ev("d", "x")])
    batch = channel.drain()
    assert batch.reset and batch.reset_scope is None
    assert [e.uid for e in batch.upserts] == ["d"] and not batch.deleted
    assert batch.coalesced == 3
    assert not channel.drain().reset  # one reset per relist


def test_scoped_reset_keeps_other_namespaces_pending() -> None:
    channel = BatchChannel()
    channel.put([ev("a", "x"), ev("b", "y")], [ev("c", "y"), ev("e", "x")])
    channel.reset([ev("d", "x")], ["x"])
    batch = channel.drain()
    assert batch.reset and batch.reset_scope == frozenset({"x"})
    assert sorted(e.uid for e in batch.upserts) == ["b", "d"]
    assert [e.uid for e in batch.deleted] == ["c"]
    assert batch.coalesced == 2


def test_scoped_resets_add_up_and_a_pending_full_reset_stays_full() -> None:
    channel = BatchChannel()
    channel.reset([ev("a", "x")], ["x"])
    channel.reset([ev("b", "y")], ["y"])
    batch = channel.drain()
    assert batch.reset_scope == frozenset({"x", "y"})
    assert sorted(e.uid for e in batch.upserts) == ["a", "b"]

    channel.reset([ev("a", "x"), ev("b", "y")])
    channel.reset([ev("c", "y")], ["y"])  # y relisted again before the consumer drained
    batch = channel.drain()
    assert batch.reset and batch.reset_scope is None
    assert sorted(e.uid for e in batch.upserts) == ["a", "c"]


def test_mirror_scoped_reset_replaces_only_its_namespaces() -> None:
    channel = BatchChannel()
    mirror = Mirror()
    channel.put([ev("a", "x"), ev("b", "y"), ev("c", "y")])
    mirror.apply(channel.drain())
    channel.reset([ev("b", "y", rv="2")], ["y"])
    changed = mirror.apply(channel.drain())
    assert sorted(mirror.live()) == ["a", "b"]  # c vanished from y; x untouched
    assert mirror.events["c"].expired  # marked, as a DELETED marks it
    assert sorted((e.uid, e.expired) for e in changed) == [("b", False), ("c", True)]
    channel.reset([ev("b", "y", rv="2")])
    changed = mirror.apply(channel.drain())
    assert sorted(mirror.live()) == ["b"]
    assert [(e.uid, e.expired) for e in changed] == [("a", True)]  # c was already expired


def test_listed_is_said_once_and_wakes_a_waiting_drain() -> None:
    channel = BatchChannel()
    channel.put([ev("a", "x")], [])
    assert not channel.drain().listed
    channel.set_listed()
    started = time.monotonic()
    batch = channel.drain(timeout=5)
    assert batch.listed and batch and time.monotonic() - started < 1
    assert not channel.drain().listed


def test_a_whole_list_waiting_is_said_until_drained() -> None:
    """list_waiting: what the explorer looks at to show a completed list (or a relist) at
    once instead of at its next tick; plain updates do not count."""
    channel = BatchChannel()
    channel.put([ev("a", "x")], [])
    assert not channel.list_waiting
    channel.set_listed()
    assert channel.list_waiting
    channel.drain()
    assert not channel.list_waiting
    channel.reset([ev("b", "x")], ["x"])
    assert channel.list_waiting
    channel.drain()
    assert not channel.list_waiting
