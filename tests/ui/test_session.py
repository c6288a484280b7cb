"""A context's session across a switch away and back: what vanished meanwhile is marked
expired once the new list is complete (no Textual: the session is driven by hand)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ktui.explorer.live import LiveSession, Sessions
from ktui.explorer.live_feed import LiveFeed
from ktui.kube.catalog import KubeCatalog
from ktui.model.query import Query
from ktui.sim import SimCluster, write_kubeconfig
from tests.conftest import wait_until


def _pump_until(session: LiveSession, condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.pump()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not reached; status {session.status}")


def _watching(session: LiveSession) -> bool:
    return session.status.state.value == "watching"


def test_a_completed_list_says_it_waits_until_pumped(
    tmp_path: Path, clusters: list[SimCluster]
) -> None:
    """The explorer pumps as soon as a list is complete (LiveFeed.list_waiting), so the
    whole list shows without waiting for the next tick; after the pump it is all there."""
    demo = clusters[0]
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), clusters, token="admin-token", current="demo")
    sessions = Sessions(KubeCatalog(str(path)))
    try:
        session = sessions.activate("demo", Query(), None).sessions["demo"]
        wait_until(lambda: session.list_waiting, timeout=15)  # not pumped yet
        session.pump()
        assert not session.list_waiting
        assert len(session.store) == len(demo.events())
    finally:
        sessions.stop_all()


def test_a_list_coming_in_is_said_until_it_is_complete(tmp_path: Path) -> None:
    """While a list's pages are still coming (the first is shown) the explorer's regular
    pump may wait (LiveFeed.hold_back); its end is pumped at once (pump_soon)."""
    cluster = SimCluster(name="slow", scenario="lifecycle", seed=3).start()
    try:
        cluster.load(1200)  # three pages of 500
        total = len(cluster.events())
        held = cluster.faults.hold_list_pages()
        path = tmp_path / "kubeconfig"
        write_kubeconfig(str(path), [cluster], token="admin-token", current="slow")
        feed = LiveFeed(KubeCatalog(str(path)))
        try:
            feed.activate(["slow"], Query(), None)
            session = feed.session
            assert session is not None
            assert feed.pump_soon(shown=True)  # no event yet: look often for the first rows
            _pump_until(session, lambda: len(session.store) == 500)
            feed.pump()
            assert feed.listing and feed.hold_back() and not feed.pump_soon(shown=True)
            assert session.store.text.deferred  # not indexed while the list comes in
            held.set()
            wait_until(lambda: feed.pump_soon(shown=False), timeout=15)  # the list is in
            feed.pump()
            assert len(session.store) == total
            assert not feed.listing and not feed.hold_back() and not feed.pump_soon(shown=True)
            assert session.store.text.deferred  # the rows first...
            feed.pump()
            assert not session.store.text.deferred  # ...then the index, at the next pump
            word = cluster.events()[-1]["message"].split()[0]
            hits = session.store.text.search([word])  # Hits since 2432752 (three fields)
            assert hits is not None
            assert {e.uid for e in hits.events} >= {e.uid for e in session.store.all_events
                                              if word.lower() in e.message.lower()}
        finally:
            feed.stop_all()
    finally:
        cluster.faults.clear()
        cluster.stop()


def test_coming_back_marks_what_vanished_and_keeps_what_is_still_there(
    tmp_path: Path, clusters: list[SimCluster]
) -> None:
    demo, prod = clusters
    path = tmp_path / "kubeconfig"
    write_kubeconfig(str(path), clusters, token="admin-token", current="demo")
    sessions = Sessions(KubeCatalog(str(path)))
    try:
        first = sessions.activate("demo", Query(), None).sessions["demo"]
        _pump_until(first, lambda: _watching(first) and len(first.store) == len(demo.events()))
        sessions.activate(prod.name, Query(), None)
        assert not first.running

        # While ktui looks at the other context, the cluster expires two events and
        # records a new one.
        gone = [e["metadata"]["uid"] for e in demo.events()[:2]]
        for uid in gone:
            assert demo.expire(uid)
        new = demo.emit(namespace="test", reason="BackOff", message="while away",
                        type="Warning")

        again = sessions.activate("demo", Query(), None).sessions["demo"]
        assert again is first
        _pump_until(again, lambda: _watching(again) and new["metadata"]["uid"] in again.store
                    and all(again.store.get(uid).expired for uid in gone))  # type: ignore[union-attr]
        expired = {e.uid for e in again.store.all_events if e.expired}
        assert expired == set(gone)  # the rest was listed again: not expired
        assert len(again.store) == len(demo.events()) + len(gone)
    finally:
        sessions.stop_all()
