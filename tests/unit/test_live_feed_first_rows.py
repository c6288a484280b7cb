"""While a shown context is still bringing its first events, the explorer pumps every
50 ms (LiveFeed.awaiting_first_rows): with several contexts, also once another context's
rows are in (they used to wait for the quarter-second pump)."""

from __future__ import annotations

from collections.abc import Callable

from ktui.explorer.live import ContextSet
from ktui.explorer.live_feed import LiveFeed
from ktui.feeds.status import SourceStatus, State
from ktui.kube.catalog import KubeCatalog
from ktui.model.event import Event, ObjectRef
from ktui.model.store import EventStore


def _event(uid: str, context: str) -> Event:
    return Event(uid=uid, namespace="default", type="Normal", reason="Started",
                 message="started", time=1.0, first_seen=1.0, resource_version="1",
                 context=context, object=ObjectRef("Pod", "web", "default"))


def _feed(contexts: tuple[str, ...]) -> tuple[LiveFeed, ContextSet]:
    # the set made active by hand: no source is started, the catalog is never asked
    feed = LiveFeed(KubeCatalog("/nonexistent/kubeconfig"))
    group = ContextSet(contexts, EventStore())
    feed.sessions.sets[contexts] = group
    feed.sessions.active_set = group
    return feed, group


def test_each_context_is_awaited_until_its_first_events_are_in() -> None:
    feed, group = _feed(("east", "west", "north"))
    assert feed.awaiting_first_rows  # all connecting
    group.sessions["east"].status = SourceStatus(State.LISTING)
    group.store.apply([_event("1", "east")])
    assert feed.awaiting_first_rows  # west and north have nothing yet
    group.sessions["west"].status = SourceStatus(State.LISTING)
    group.store.apply([_event("2", "west")])
    assert feed.awaiting_first_rows  # north still connecting
    # a context that failed, or watches a cluster without events, is not awaited
    group.sessions["north"].status = SourceStatus(State.ERROR, "forbidden")
    assert not feed.awaiting_first_rows
    group.sessions["north"].status = SourceStatus(State.WATCHING)
    assert not feed.awaiting_first_rows
    group.sessions["north"].status = SourceStatus(State.RECONNECTING)
    assert not feed.awaiting_first_rows


def test_one_context_is_awaited_while_its_store_is_empty_and_it_lists() -> None:
    feed, group = _feed(("east",))
    assert feed.awaiting_first_rows
    group.sessions["east"].status = SourceStatus(State.LISTING)
    assert feed.awaiting_first_rows
    group.store.apply([_event("1", "east")])
    assert not feed.awaiting_first_rows


def _listed_session(contexts: tuple[str, ...] = ("east",)) -> tuple[LiveFeed, ContextSet]:
    """A feed whose one session has its whole list waiting in its channel (still listing:
    no first freeze of the collector in the test process)."""
    from ktui.feeds.channel import BatchChannel

    feed, group = _feed(contexts)
    session = group.sessions[contexts[0]]
    session._channel = channel = BatchChannel()
    group.store.text.defer()  # as LiveSession.start does
    channel.put([_event("1", contexts[0]), _event("2", contexts[0])])
    channel.set_listed()
    return feed, group


def test_what_a_whole_list_leaves_to_do_waits_for_the_ui_s_later_call() -> None:
    """settle_later: the text index of a whole list is built by a call the UI makes a
    little later (once the list's frame is out), not in the pumps before it."""
    feed, group = _listed_session()
    later: list[Callable[[], None]] = []
    feed.settle_later = later.append
    feed.pump()  # shows the list
    feed.pump()  # a pump before the frame
    assert len(group.store) == 2 and not group.store.text.ready
    assert len(later) == 1  # asked once
    later[0]()
    assert group.store.text.ready
    feed.pump()
    assert len(later) == 1  # nothing left to do


def test_without_a_later_call_the_next_pump_settles() -> None:
    feed, group = _listed_session()
    feed.pump()
    assert not group.store.text.ready  # the pump that showed it
    feed.pump()
    assert group.store.text.ready
