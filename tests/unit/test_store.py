"""The event store: upsert by uid, time order, expiry, counts, histogram, eviction."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from ktui.model.event import Event, ObjectRef
from ktui.model.query import Query, parse_query
from ktui.model.store import EventStore


def ev(uid: str, t: float, *, ns: str = "default", type_: str = "Normal", reason: str = "Started",
       count: int = 1, rv: str = "1") -> Event:
    return Event(uid=uid, namespace=ns, type=type_, reason=reason, time=t, first_seen=t,
                 count=count, resource_version=rv, object=ObjectRef("Pod", f"p-{uid}", ns))


def times(events: list[Event]) -> list[float]:
    return [e.time for e in events]


def test_upsert_by_uid_keeps_one_row_and_time_order() -> None:
    store = EventStore()
    store.apply([ev("a", 10), ev("b", 5), ev("c", 7)])
    assert [e.uid for e in store.visible] == ["b", "c", "a"]
    change = store.apply([ev("b", 20, count=2, rv="2")])
    assert change.updated == 1 and change.added == 0
    assert [e.uid for e in store.visible] == ["c", "a", "b"]
    assert len(store) == 3 and store.get("b").count == 2  # type: ignore[union-attr]


def test_same_uid_twice_in_one_batch_is_one_row() -> None:
    store = EventStore()
    store.apply([ev("a", 1), ev("a", 2, count=2), ev("b", 3)])
    assert [e.uid for e in store.all_events] == ["a", "b"]
    assert store.get("a").count == 2  # type: ignore[union-attr]
    assert store.namespaces["default"].total == 2


def test_deleted_marks_expired_not_dropped() -> None:
    store = EventStore()
    store.apply([ev("a", 1, type_="Warning"), ev("b", 2)])
    change = store.apply(deleted=[ev("a", 1, type_="Warning")])
    assert change.expired == 1
    assert len(store) == 2 and store.get("a").expired  # type: ignore[union-attr]
    assert store.expired == 1 and store.warnings == 1


def test_reset_expires_what_vanished() -> None:
    store = EventStore()
    store.apply([ev("a", 1), ev("b", 2)])
    change = store.apply([ev("b", 2), ev("c", 3)], reset=True)
    assert change.reset
    assert store.get("a").expired and not store.get("c").expired  # type: ignore[union-attr]
    assert len(store) == 3


def test_namespace_and_warning_counts_follow_updates() -> None:
    store = EventStore()
    store.apply([ev("a", 1, ns="test", type_="Warning"), ev("b", 2, ns="test"), ev("c", 3, ns="x")])
    assert (store.namespaces["test"].total, store.namespaces["test"].warnings) == (2, 1)
    store.apply([ev("a", 4, ns="test", type_="Normal")])
    assert store.namespaces["test"].warnings == 0 and store.warnings == 0


def test_query_filters_and_follows_new_events() -> None:
    store = EventStore(query=parse_query("type:Warning"))
    store.apply([ev("a", 1, type_="Warning"), ev("b", 2)])
    assert [e.uid for e in store.visible] == ["a"]
    store.apply([ev("c", 3, type_="Warning"), ev("b", 4, type_="Warning")])
    assert [e.uid for e in store.visible] == ["a", "c", "b"]
    store.apply([ev("a", 5, type_="Normal")])  # an update can leave the filter
    assert [e.uid for e in store.visible] == ["c", "b"]
    store.set_query(Query())
    assert [e.uid for e in store.visible] == ["c", "b", "a"]


def test_bulk_and_incremental_paths_agree() -> None:
    rng = random.Random(4)
    big, small = EventStore(), EventStore()
    batches = [[ev(str(rng.randrange(500)), rng.random() * 1000, rv=str(i))
                for _ in range(rng.choice([3, 400]))] for i in range(40)]
    for batch in batches:
        big.apply(batch)
        for event in batch:
            small.apply([event])
    assert [(e.uid, e.time) for e in big.all_events] == [(e.uid, e.time) for e in small.all_events]
    assert times(big.all_events) == sorted(times(big.all_events))
    assert len({e.uid for e in big.all_events}) == len(big.all_events)


def test_eviction_drops_oldest_and_keeps_counts() -> None:
    store = EventStore(max_events=1000)
    store.apply([ev(str(i), float(i), type_="Warning" if i % 2 else "Normal") for i in range(1500)])
    assert len(store) <= 1000 and store.evicted_total >= 500
    assert store.all_events[0].time >= 500
    assert store.warnings == sum(1 for e in store.all_events if e.type == "Warning")
    assert sum(c.total for c in store.namespaces.values()) == len(store)


def test_histogram_splits_types_and_buckets_by_time() -> None:
    store = EventStore()
    store.apply([ev("a", 0, type_="Warning"), ev("b", 5), ev("c", 9.99), ev("d", 10), ev("e", 59)])
    histogram = store.histogram(0, 60, 6)
    assert histogram.warning == (1, 0, 0, 0, 0, 0)
    assert histogram.normal == (2, 1, 0, 0, 0, 1)
    assert histogram.bucket_of(10) == 1 and histogram.bucket_of(61) is None


def test_index_of_visible_finds_by_uid() -> None:
    store = EventStore()
    events = [ev(str(i), float(i // 3)) for i in range(30)]
    store.apply(events)
    target = replace(events[13])
    assert store.index_of_visible(target) == 13


def test_scoped_reset_expires_only_in_its_namespaces() -> None:
    store = EventStore()
    store.apply([ev("a", 1, ns="test"), ev("b", 2, ns="test"), ev("c", 3, ns="other")])
    change = store.apply([ev("b", 2, ns="test")], reset=True, reset_scope={"test"})
    assert change.reset
    assert store.get("a").expired  # type: ignore[union-attr]
    assert not store.get("b").expired and not store.get("c").expired  # type: ignore[union-attr]
    assert store.expired == 1


def test_reset_after_eviction_expires_what_vanished_and_brings_back_nothing_extra() -> None:
    # The store owns the events: a relist is compared with what it retains, so events
    # it evicted are not needed to find what vanished.
    store = EventStore(max_events=100)
    store.apply([ev(f"e{i}", i) for i in range(300)])
    assert len(store) <= 100 and store.evicted_total >= 200
    retained = {e.uid for e in store.all_events}
    vanished = sorted(retained)[:10]
    still = [ev(f"e{i}", i) for i in range(300) if f"e{i}" not in vanished]
    store.apply(still, reset=True)
    assert len(store) <= 100
    for uid in vanished:
        event = store.get(uid)
        assert event is None or event.expired  # marked, unless evicted by the relist's adds
    live = [e for e in store.all_events if not e.expired]
    assert {e.uid for e in live} <= {e.uid for e in still}
    assert [e.uid for e in live][-5:] == ["e295", "e296", "e297", "e298", "e299"]


def test_text_index_is_swept_after_evictions_and_stays_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ktui.model import text_index

    CHUNK = 1024  # small enough that 2 chunks of slack is less than what was evicted
    monkeypatch.setattr(text_index, "CHUNK", CHUNK)
    store = EventStore(max_events=6000)
    rng = random.Random(5)
    for start in range(0, 14_000, 500):
        batch = [replace(ev(f"e{i}", i), message=f"word{i % 7} text")
                 for i in range(start, start + 500)]
        updates = [replace(ev(f"e{i}", start + 500, rv="2"), message=f"word{i % 5} again")
                   for i in rng.sample(range(max(start - 3000, 0), start + 500), 50)]
        store.apply(batch + updates)
    assert len(store) <= 6000
    assert store.text.entries <= len(store) + 2 * CHUNK
    query = parse_query("word3")
    store.set_query(query)
    assert [e.uid for e in store.visible] == [e.uid for e in query.filter(store.all_events)]


def test_dropped_events_leave_the_text_index_within_a_few_batches() -> None:
    from ktui.model import store as store_module
    from ktui.model.text_index import SWEEP_SHARE

    store = EventStore(max_events=20_000)
    base = replace(ev("x", 0), message="needle here")
    store.apply([replace(base, uid=f"e{i}", time=float(i)) for i in range(30_000)])
    store.apply([replace(base, uid=f"e{i}", time=40_000.0 + i, resource_version="2")
                 for i in range(10_000, 30_000, 3)])  # updates: their old versions drop
    assert store.text.entries > len(store)  # dropped versions, not yet swept
    store.set_query(parse_query("needle"))
    assert store.visible == store.all_events  # ...yet never found
    for _ in range(SWEEP_SHARE + 1):
        store.apply()
    assert store.text.entries == len(store)  # every place of a dropped event emptied
    store.set_query(Query())
    assert len(store) > store_module._SCAN  # the index answers, not a plain pass
    store.set_query(parse_query("needle"))
    assert store.visible == store.all_events


def test_an_event_taken_back_after_it_was_replaced_is_found_once() -> None:
    store = EventStore()
    first = replace(ev("a", 1), message="needle")
    others = [replace(ev(f"o{i}", 2 + i), message="needle") for i in range(6000)]
    store.apply([first, *others])
    store.apply([replace(first, time=9000.0, resource_version="2")])
    store.apply([first])  # the very same object as before the update
    store.set_query(parse_query("needle"))
    assert store.visible == [first, *others] and store.visible[0] is first


# -- expired events (issue 14.9): counted cheaply, and hidden on request -----------------


def _expiring_store(max_events: int = 200_000) -> EventStore:
    store = EventStore(max_events=max_events)
    store.apply([ev(f"n{i}", i, ns="a" if i % 2 else "b") for i in range(10)]
                + [ev(f"w{i}", 10 + i, type_="Warning", ns="a") for i in range(4)])
    store.apply(deleted=[ev("n1", 1), ev("n2", 2), ev("w0", 10, type_="Warning")])
    return store


def _truth(store: EventStore) -> tuple[int, int]:
    visible = store.visible
    return len(visible), sum(1 for e in visible if e.expired)


def test_visible_expired_is_counted_through_queries_updates_and_eviction() -> None:
    store = _expiring_store()
    assert store.expired == 3 and store.visible_expired == 3 and store.live == 11
    for query in (Query().with_types({"Warning"}), Query().with_namespaces({"a"}),
                  parse_query("ns:b"), parse_query("-reason:Pulled"), Query()):
        store.set_query(query)
        assert (len(store.visible), store.visible_expired) == _truth(store), query
        store.apply([ev("x", 30, ns="a")], deleted=[ev("n3", 3)])  # one new, one expiring
        assert (len(store.visible), store.visible_expired) == _truth(store), query
        store.apply([ev("n3", 31, rv="9")])  # an expired uid seen again is live again
        assert (len(store.visible), store.visible_expired) == _truth(store), query
    small = _expiring_store(max_events=12)
    small.apply([ev(f"m{i}", 40 + i) for i in range(6)])  # evicts the oldest (expired) ones
    assert (len(small.visible), small.visible_expired) == _truth(small)
    assert small.expired == sum(1 for e in small.all_events if e.expired)


def test_hiding_expired_events_is_a_query_flag() -> None:
    store = _expiring_store()
    hidden = Query().with_hide_expired(True)
    assert not hidden.is_empty and hidden.describe() == "live only"
    assert hidden.narrows(Query()) and not Query().narrows(hidden)
    store.set_query(hidden)
    assert len(store.visible) == 11 and store.visible_expired == 0
    assert store.visible_warnings() == 3
    # an event that expires while hidden leaves the list; one that comes back returns
    store.apply(deleted=[ev("w1", 11, type_="Warning")])
    assert "w1" not in {e.uid for e in store.visible} and store.visible_warnings() == 2
    store.apply([ev("n1", 50, rv="7")])
    assert "n1" in {e.uid for e in store.visible}
    # with the index paths: one type, one namespace, free words
    for query in (hidden.with_types({"Warning"}), hidden.with_namespaces({"a"}),
                  hidden.with_text("Started")):
        store.set_query(query)
        assert store.visible and not any(e.expired for e in store.visible), query
        assert store.visible == [e for e in store.all_events if query.matches(e)]
    store.set_query(hidden.with_hide_expired(False))
    assert len(store.visible) == len(store) and store.visible_expired == store.expired


def test_a_list_indexed_in_steps_takes_changes_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deferred index built a step at a time (as the live explorer does after a list):
    events updated, taken back (the same object) or added before their turn come out
    once each, in the store's order (ties: one timestamp a hundred events)."""
    from ktui.model import text_index

    monkeypatch.setattr(text_index, "CHUNK", 64)  # many chunks: sweeps reach few per batch
    store = EventStore()
    events = [replace(ev(f"e{i}", i // 100), message="needle") for i in range(6000)]
    store.text.defer()
    store.apply(events)
    store.text.build(4000)
    assert not store.text.ready and store.text.entries == 4000
    early, late = events[3000], events[5000]  # one indexed (its chunk not swept), one waiting
    store.apply([replace(early, time=9000.0, resource_version="2"),
                 replace(late, time=9001.0, resource_version="2")])
    store.apply([replace(ev("new", 9002), message="needle")])  # waits after the rest
    store.apply([early])  # the very same objects back, while the rest waits
    store.apply([late])
    while not store.text.ready:
        store.text.build(1000)
    store.set_query(parse_query("needle"))
    assert store.visible == store.all_events and len(store.visible) == len(store) == 6001


def test_hits_come_in_time_order_when_a_later_chunk_holds_earlier_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each chunk's times rise, but the second's begin before the first's end (a batch of
    older events after newer ones): the hits are sorted, not taken in chunk order."""
    from ktui.model import store as store_module
    from ktui.model import text_index

    monkeypatch.setattr(text_index, "CHUNK", 64)
    monkeypatch.setattr(store_module, "_SCAN", 0)  # the index answers, not a plain pass
    store = EventStore()
    store.apply([replace(ev(f"late{i}", 100 + i), message="needle") for i in range(64)])
    store.apply([replace(ev(f"early{i}", i), message="needle") for i in range(64)])
    store.set_query(parse_query("needle"))
    assert store.visible == store.all_events
    assert [e.time for e in store.visible] == sorted(e.time for e in store.visible)
