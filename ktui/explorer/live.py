"""One context's live state: its store, its source thread and its last status.

Switching contexts stops the old session's thread and keeps its store, so coming back
shows what was seen; once the new list is complete, what it did not bring back (expired
by the cluster's TTL while we were away, usually) is marked expired.
No textual here: the explorer screen drives :meth:`LiveSession.pump` from a timer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ktui.feeds.channel import BatchChannel
from ktui.feeds.contract import EventSource
from ktui.feeds.runner import FeedRunner
from ktui.feeds.status import SourceStatus, State
from ktui.model.query import Query
from ktui.model.store import Change, EventStore


class SourceCatalog(Protocol):
    """Where the app gets its contexts and their sources (kubeconfig, or the demo)."""

    def contexts(self) -> tuple[list[str], str | None]:
        """Context names and the current one; raises SourceError on a bad kubeconfig."""
        ...

    def live(self, context: str, namespaces: list[str] | None) -> EventSource:
        """A live source for ``context`` (not started)."""
        ...


@dataclass
class LiveSession:
    context: str
    store: EventStore
    status: SourceStatus = field(default_factory=lambda: SourceStatus(State.CONNECTING))
    coalesced: int = 0
    _channel: BatchChannel | None = None
    _runner: FeedRunner | None = None
    # After a restart: the uids kept from before that the new list has not brought back.
    _unconfirmed: set[str] | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.running

    def start(self, make_source: Callable[[], EventSource],
              scope: list[str] | None = None) -> None:
        """Start the source in a daemon thread (building it there too, so a slow client
        import or kubeconfig read never blocks the UI). ``scope``: the namespaces the
        source lists (None: the whole cluster)."""
        self.stop()
        self._unconfirmed = {
            event.uid for event in self.store.all_events
            if not event.expired and (scope is None or event.namespace in scope)
        } or None
        channel = BatchChannel()
        self._channel = channel
        self.status = SourceStatus(State.CONNECTING, "connecting")
        self._runner = FeedRunner(make_source, channel, name=f"live-{self.context}",
                                  restart=True).start()

    def stop(self, wait: float = 0.0) -> None:
        if self._runner is not None:
            self._runner.stop(wait)
        self._runner = None
        if self.status.state is not State.ERROR:
            self.status = SourceStatus(State.STOPPED, "stopped")

    def pump(self) -> Change | None:
        """Apply whatever the source produced since the last call (UI thread)."""
        if self._channel is None:
            return None
        batch = self._channel.drain()
        if batch.status is not None:
            self.status = batch.status
        self.coalesced += batch.coalesced
        change = None
        if batch.upserts or batch.deleted or batch.reset:
            change = self.store.apply(
                batch.upserts, batch.deleted, reset=batch.reset, reset_scope=batch.reset_scope
            )
        unconfirmed = self._unconfirmed
        if unconfirmed is not None:
            unconfirmed.difference_update(event.uid for event in batch.upserts)
            unconfirmed.difference_update(event.uid for event in batch.deleted)
            if batch.listed:
                self._unconfirmed = None
                vanished = [event for uid in unconfirmed
                            if (event := self.store.get(uid)) is not None and not event.expired]
                if vanished:
                    change = self.store.apply(deleted=vanished)
        return change


class Sessions:
    """Every context's session; only the active one has a running source."""

    def __init__(self, catalog: SourceCatalog, *, max_events: int = 200_000) -> None:
        self.catalog = catalog
        self.max_events = max_events
        self.by_context: dict[str, LiveSession] = {}
        self.active: LiveSession | None = None

    def activate(self, context: str, query: Query, namespaces: list[str] | None) -> LiveSession:
        if self.active is not None and self.active.context != context:
            self.active.stop()
        session = self.by_context.get(context)
        if session is None:
            session = LiveSession(context, EventStore(self.max_events, query))
            self.by_context[context] = session
        else:
            session.store.set_query(query)
        self.active = session
        if not session.running:
            self.restart(context, namespaces)
        return session

    def restart(self, context: str, namespaces: list[str] | None) -> LiveSession:
        """(Re)start ``context``'s source over ``namespaces`` (its store is kept)."""
        session = self.by_context[context]
        catalog = self.catalog
        session.start(lambda: catalog.live(context, namespaces), namespaces)
        return session

    def stop_all(self, wait: float = 1.0) -> None:
        deadline = time.monotonic() + wait
        for session in self.by_context.values():
            session.stop(max(deadline - time.monotonic(), 0.0))
