"""The store's shortcuts (type, namespace and context indexes, narrowing filters, the
bisected histogram, tail-only list edits, the expired events counted through the query)
give exactly what the plain definitions give."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from ktui.model import store as store_module
from ktui.model import text_index
from ktui.model.event import Event, ObjectRef
from ktui.model.query import Query, parse_query
from ktui.model.store import EventStore

TYPES = ["Normal", "Warning", "warning", "WARNING", "", "Odd"]
NAMESPACES = ["a", "b", "c", "kube-system", ""]
MESSAGES = ["Back-off restarting web", "kelvin K", "\u212aelvin", "éclair pod", "plain", "ſtuff",
            "line\nbreak web", "nul\x00pod", "long " * 900 + "tail"]
TEXTS = ["", "web", "back pod", "reason~Back", "-reason:Pulled", "kind:Pod web", "\u212a", "é",
         "ſ s", "type:warning", "ns:A,b", "type:Normal,Warning web", "namespace:a", "tail",
         "k", "1", '"k b"', "ctx:east", "ctx:East,west", "-ctx:west", "context:prod web",
         "ctx:nowhere", "back-off web", "back-off web restarting"]
CONTEXTS = ["east", "west", "prod"]


def _event(rng: random.Random, uid: str, time: float) -> Event:
    namespace = rng.choice(NAMESPACES)
    return Event(
        uid=uid, namespace=namespace, type=rng.choice(TYPES),
        reason=rng.choice(["BackOff", "Pulled", "Started"]),
        message=rng.choice(MESSAGES) + str(rng.randrange(5)), time=time, first_seen=time,
        resource_version=str(rng.randrange(10**6)), context=rng.choice(CONTEXTS),
        object=ObjectRef("Pod", rng.choice(["web-1", "api-2", "Kelvin-\u212a"]), namespace),
    )


def _naive_histogram(store: EventStore, start: float, end: float, buckets: int,
                     context: str | None = None) -> tuple:
    interval = max((end - start) / buckets, 1e-9)
    normal, warning = [0] * buckets, [0] * buckets
    for event in store.visible:
        if start <= event.time < end and context in (None, event.context):
            index = min(int((event.time - start) / interval), buckets - 1)
            (warning if event.type == "Warning" else normal)[index] += 1
    return tuple(normal), tuple(warning)


def _check(store: EventStore) -> None:
    everything = store.all_events
    assert [e.time for e in everything] == sorted(e.time for e in everything)
    assert store.visible == [e for e in everything if store.query.matches(e)]
    assert store.visible_warnings() == sum(1 for e in store.visible if e.type == "Warning")
    assert store.visible_expired == sum(1 for e in store.visible if e.expired)
    if store.visible:
        low, high = store.visible[0].time - 3, store.visible[-1].time + 3
        for buckets in (1, 7, 100):
            for start, end in ((low, high), (low + 5, high - 5)):
                histogram = store.histogram(start, end, buckets)
                expected = _naive_histogram(store, start, end, buckets)
                assert (histogram.normal, histogram.warning) == expected
        for context in CONTEXTS:  # the sparkline of the selected event's context
            histogram = store.histogram(low, high, 7, context)
            expected = _naive_histogram(store, low, high, 7, context)
            assert (histogram.normal, histogram.warning) == expected


@pytest.mark.parametrize(("small", "deferring"), [(False, False), (True, False), (True, True)],
                         ids=["as-shipped", "text-index-always", "text-index-deferred-at-times"])
def test_indexes_agree_with_plain_filtering_under_random_changes(
    small: bool, deferring: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``deferring``, the text index is deferred now and then (as while a list comes
    in: batches leave it alone) and built again now and then, or by the next search."""
    if small:  # every free-text filter through the text index, in chunks of 7
        monkeypatch.setattr(store_module, "_SCAN", 0)
        monkeypatch.setattr(text_index, "CHUNK", 7)
    built_by_search = 0
    for seed in range(6):
        rng = random.Random(seed)
        store = EventStore(max_events=rng.choice([60, 100_000]))
        uids = [str(i) for i in range(40)]
        seen: list[Event] = []
        for step in range(60):
            seen += rng.sample(store.all_events, min(len(store.all_events), 5))
            if deferring and rng.random() < 0.15:
                store.text.defer()
            elif deferring and rng.random() < 0.1:
                store.text.build()
            elif deferring and rng.random() < 0.3:
                store.text.build(rng.choice([1, 7, 64]))  # a step: the rest waits
            roll = rng.random()
            if roll < 0.05 and store.all_events:
                # the very same objects again (a source may send one back): taken back
                # whether their place is indexed, waits, or was already let go
                store.apply(rng.sample(store.all_events, min(len(store.all_events), 3)))
                earlier = {e.uid: e for e in seen if store.get(e.uid) is not e}  # one a uid,
                store.apply(rng.sample(list(earlier.values()), min(len(earlier), 3)))  # as sources
                _check(store)
                continue
            if roll < 0.55:
                # ties are common (one-second timestamps): times repeat on purpose
                batch = [
                    _event(rng, rng.choice(uids) if rng.random() < 0.5 else f"{step}-{i}",
                           float(rng.choice([rng.randrange(50), 50 + step])))
                    for i in range(rng.choice([1, 20, 300]))
                ]
                store.apply(batch)
            elif roll < 0.65 and store.all_events:
                gone = rng.sample(store.all_events, min(len(store), rng.choice([1, 300])))
                store.apply(deleted=[replace(e) for e in gone])
            elif roll < 0.68:
                keep = rng.sample(store.all_events, len(store) // 2)
                store.apply([replace(e) for e in keep], reset=True)
            else:
                query = parse_query(rng.choice(TEXTS)) if rng.random() < 0.7 else Query()
                query = query.with_types(rng.choice([set(), {"Warning"}, {"normal"}, {"Odd"}]))
                query = query.with_hide_expired(rng.random() < 0.2)
                deferred = store.text.deferred
                store.set_query(query.with_namespaces(rng.choice([set(), {"a"}, {"a", "c"}])))
                built_by_search += deferred and not store.text.deferred
            _check(store)
    assert built_by_search or not deferring  # searches did find a deferred index


def test_a_narrower_query_filters_what_is_shown() -> None:
    store = EventStore()
    rng = random.Random(1)
    store.apply([_event(rng, str(i), float(i)) for i in range(500)])
    store.set_query(parse_query("web"))
    wide = list(store.visible)
    store.set_query(parse_query("web back"))
    assert store.visible == [e for e in wide if parse_query("web back").matches(e)]
    assert parse_query("web back").narrows(parse_query("web"))
    assert not parse_query("web").narrows(parse_query("web back"))
    assert Query().with_types({"Warning"}).narrows(Query())
    assert not Query().narrows(Query().with_types({"Warning"}))
    # a longer word narrows a word it holds (typing "Back" after "Bac")
    assert parse_query("BackOff").narrows(parse_query("back"))
    assert parse_query("backoff web").narrows(parse_query("Back"))
    assert not parse_query("back").narrows(parse_query("backoff"))
    assert not parse_query("\u212aelvin").narrows(parse_query("kelvin"))
    store.set_query(parse_query("we"))
    store.set_query(parse_query("web"))
    assert store.visible == [e for e in store.all_events if parse_query("web").matches(e)]


def test_histogram_buckets_agree_with_the_bucket_formula_at_float_edges() -> None:
    # times on multiples of an interval that floating point cannot hold exactly: the
    # search by time lands on the wrong side of some edges; the formula decides
    rng = random.Random(3)
    store = EventStore()
    # 16.9 = 0.1 + 24 x 0.7 exactly, but int((16.9 - 0.1) / 0.7) is 23; likewise
    # 1e9 + 9.4 with start 1e9 + 0.1 and 0.3
    moments = ([i * 0.1 for i in range(3000)] + [16.9] * 5 + [1e9 + 9.4] * 5
               + [1e9 + 0.1 + i * 0.01 for i in range(3000)])
    store.apply([replace(_event(rng, str(i), moment), type="Normal")
                 for i, moment in enumerate(moments)])
    for start, end, buckets in ((0.0, 300.0, 30), (0.1, 299.9, 7), (0.3, 0.9, 6),
                                (0.0, 30.0, 300), (0.1, 0.1 + 0.7 * 100, 100),
                                (1e9 + 0.1, 1e9 + 0.1 + 0.3 * 100, 100)):
        histogram = store.histogram(start, end, buckets)
        assert (histogram.normal, histogram.warning) == _naive_histogram(store, start, end,
                                                                         buckets)


@pytest.mark.parametrize("unique", [False, True], ids=["texts-repeat", "texts-unique"])
def test_full_chunks_of_repeated_or_unique_texts_give_the_plain_filter(unique: bool) -> None:
    """Sealed chunks keep each distinct text once where texts repeat (and every text
    where they do not): either way a search finds exactly what the plain filter finds, in
    the store's order, with the events of equal times in insertion order."""
    rng = random.Random(3)
    events = []
    for i in range(2 * text_index.CHUNK + 500):
        event = _event(rng, f"e{i}", float(rng.randrange(3000)))
        message = f"Back-off web {i}" if unique else rng.choice(["Back-off web", "plain",
                                                                 "pod web started"])
        name = rng.choice(["web-1", "api-2"])  # ASCII: every event has a key
        events.append(replace(event, message=message,
                              object=ObjectRef("Pod", name, event.namespace)))
    store = EventStore(max_events=len(events))
    for start in range(0, len(events), 5000):  # batches: the index's times go back and forth
        store.apply(events[start : start + 5000])
    sealed = store.text._chunks[:-1]
    assert len(sealed) == 2 and all((c.ids is None) == unique for c in sealed)
    for text in ["web", "back-off web", "started pod", "zzqx", "web-1", "k"]:
        query = parse_query(text)
        store.set_query(query)
        assert store.visible == [e for e in store.all_events if query.matches(e)], text
        _check(store)  # the warnings among them (listed by the index), the histograms
