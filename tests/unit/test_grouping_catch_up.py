"""A grouping brought up to date with the store's batches (grouping.catch_up) equals the
events grouped again, whatever the batches did: new events, repeats (a new version moves
to its new time), expiries, evictions past the cap, a relist, events older than the
newest; for each grouping and under a filter."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ktui.model.changelog import ChangeLog
from ktui.model.event import Event, format_time, from_core_v1
from ktui.model.grouping import OBJECT, OWNER, REASON, catch_up, group_events
from ktui.model.owners import OwnerResolver
from ktui.model.query import parse_query
from ktui.model.store import EventStore

T0 = 1_700_000_000.0
OBJECTS = [
    *(("Pod", f"web-7d4b9c8f5-{suffix}") for suffix in ("x2x9k", "bq7zt", "m5n6c")),
    *(("Pod", f"api-5f8b9c7d6-{suffix}") for suffix in ("h8k2s", "w4t9d")),
    ("Pod", "db-0"), ("Pod", "db-1"),
    ("ReplicaSet", "web-7d4b9c8f5"), ("Deployment", "web"), ("StatefulSet", "db"),
    ("Node", "ip-10-42-11-201"),
]
REASONS = [("Normal", "Pulled"), ("Normal", "Started"), ("Warning", "BackOff"),
           ("Warning", "Unhealthy"), ("Normal", "ScalingReplicaSet")]


class Cluster:
    """Events of a few objects, and their later versions."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.next_uid = 0

    def event(self, at: float, uid: str | None = None, count: int = 1) -> Event:
        rng = self.rng
        kind, name = rng.choice(OBJECTS)
        kind_type, reason = rng.choice(REASONS)
        if uid is None:
            self.next_uid += 1
            uid = f"e{self.next_uid}"
        return from_core_v1({
            "metadata": {"namespace": "shop", "name": f"{name}.{uid}", "uid": uid},
            "involvedObject": {"kind": kind, "name": name, "namespace": "shop",
                               "uid": f"u-{kind}-{name}"},
            "reason": reason, "type": kind_type, "message": f"{reason} {name}",
            "count": count, "lastTimestamp": format_time(T0 + at),
        }, context=rng.choice(("prod", "staging")))

    def batch(self, store: EventStore, now: float) -> dict[str, Any]:
        """A batch as a source would hand it over: new events (a few older than the
        newest, many sharing a second), repeats of held events, expiries."""
        rng = self.rng
        held = store.all_events
        ages = (0, 0, 0, 1, 30)  # most share the newest second; some come late
        upserts = [self.event(now - rng.choice(ages)) for _ in range(rng.randint(1, 40))]
        for old in rng.sample(held, min(len(held), rng.randint(0, 8))):
            upserts.append(self.event(now, uid=old.uid, count=old.count + 1))
        deleted = rng.sample(held, min(len(held), rng.randint(0, 4)))
        return {"upserts": upserts, "deleted": deleted}


def rows(groups: list[Any]) -> list[tuple[Any, ...]]:
    return [(g.context, g.key, g.resolved_by, [id(e) for e in g.events]) for g in groups]


@pytest.mark.parametrize("by", [OWNER, OBJECT, REASON])
@pytest.mark.parametrize("query", ["", "type:Warning", "web"])
@pytest.mark.parametrize("seed", range(4))
def test_a_grouping_caught_up_with_the_batches_equals_the_events_grouped_again(
    by: str, query: str, seed: int
) -> None:
    cluster = Cluster(seed)
    store = EventStore(max_events=300)  # evictions past the cap, in chunks
    store.apply(cluster.event(at) for at in range(0, 200, 1))
    store.set_query(parse_query(query))
    resolver = OwnerResolver()
    matches = None if store.query.is_empty else store.query.matches
    groups = group_events(store.visible, by, resolver)
    generation = store.data_generation
    now = 200.0
    caught_up = 0
    for step in range(12):
        now += cluster.rng.choice((0.0, 1.0, 5.0))
        if step == 7:  # a relist: what it does not bring back expires
            store.apply(cluster.batch(store, now)["upserts"], reset=True)
        else:
            store.apply(**cluster.batch(store, now))
        if cluster.rng.random() < 0.5:
            continue  # several batches before the next catch-up
        batches = store.changes.since(generation)
        assert batches, "the log holds every batch since the grouping"
        added = [e for batch in batches for e in batch.added
                 if matches is None or matches(e)]
        before = resolver.invalidated
        resolver.learn(added)
        if resolver.invalidated != before:  # an answer changed: group again (the lens's way)
            groups = group_events(store.visible, by, resolver)
        else:
            caught = catch_up(groups, batches, by, resolver, matches=matches)
            caught_up += 1
            again = group_events(store.visible, by, resolver)
            assert rows(caught) == rows(again)
            # the groups the batches did not touch are the very same objects
            touched = {(e.context, e.object.kind, e.object.name) for b in batches
                       for e in (*b.removed, *b.added, *b.dropped)}
            if by == OBJECT:
                kept = [g for g in groups
                        if not any((g.context, g.kind, g.name) == t for t in touched)]
                assert all(any(g is c for c in caught) for g in kept)
            groups = caught
        generation = store.data_generation
    assert caught_up and store.evicted_total > 0  # evictions were caught up too


def test_the_log_says_when_it_no_longer_holds_every_batch_since() -> None:
    log = ChangeLog(max_events=10)
    events = [Cluster(1).event(float(i)) for i in range(12)]
    assert log.since(0) == []
    log.record(1, [], events[:4], [])
    log.record(2, [], events[4:8], [])
    assert [b.generation for b in log.since(0) or []] == [1, 2]
    assert [b.generation for b in log.since(1) or []] == [2]
    assert log.since(2) == []
    log.record(3, [], events[8:12], [])  # 12 events: the first batch goes
    assert log.since(0) is None
    assert [b.generation for b in log.since(1) or []] == [2, 3]
    assert log.since(5) is None  # a generation the log never saw


def test_a_group_that_loses_its_weakest_evidence_says_the_stronger_one() -> None:
    # deployment/web holds a Pod's and a ReplicaSet's events (tied by their names) and the
    # Deployment's own; once theirs are evicted, only the Deployment itself is left:
    # "self", as grouping again says.
    def event(kind: str, name: str, at: float, uid: str) -> Event:
        return from_core_v1({
            "metadata": {"namespace": "shop", "name": f"{name}.{uid}", "uid": uid},
            "involvedObject": {"kind": kind, "name": name, "namespace": "shop"},
            "reason": "Seen", "type": "Normal", "lastTimestamp": format_time(T0 + at),
        }, context="prod")

    store = EventStore(max_events=100)
    store.apply([event("Pod", "web-7d4b9c8f5-x2x9k", 0, "pod"),
                 event("ReplicaSet", "web-7d4b9c8f5", 0, "rs"),
                 *(event("Deployment", "web", at, f"d{at}") for at in range(1, 50))])
    resolver = OwnerResolver()
    resolver.learn(store.visible)
    groups = group_events(store.visible, OWNER, resolver)
    assert [(g.display, g.resolved_by) for g in groups] == [("deployment/web", "name")]
    generation = store.data_generation
    store.apply(event("Node", "node-1", at, f"n{at}") for at in range(50, 110))
    batches = store.changes.since(generation)
    assert batches is not None and store.get("pod") is None and store.get("rs") is None
    caught = catch_up(groups, batches, OWNER, resolver)
    assert rows(caught) == rows(group_events(store.visible, OWNER, resolver))
    assert [g.resolved_by for g in caught if g.display == "deployment/web"] == ["self"]
