"""One context's live state: its store, its source thread and its last status.

Switching contexts stops the old session's thread and keeps its store, so coming back
shows what was seen; once the new list is complete, what it did not bring back (expired
by the cluster's TTL while we were away, usually) is marked expired.
No textual here: the explorer screen drives :meth:`LiveSession.pump` from a timer.

With a :class:`LiveArchive` (the launcher's, unless archiving is off or the clusters are
the demo's), every session's channel also archives what its source brings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Protocol

from ktui.feeds.status import SourceStatus, State
from ktui.model.query import Query
from ktui.model.store import Change, EventStore
from ktui.records import record

if TYPE_CHECKING:  # the channel and the runner load when a source starts: after the first paint
    from ktui.feeds.channel import BatchChannel
    from ktui.feeds.contract import EventSource
    from ktui.feeds.runner import FeedRunner

# A journal nobody drains (the history window was left) stops growing here: it says
# "everything" instead, and the next reader merges again from scratch.
JOURNAL_LIMIT = 100_000
# Events of a finished list indexed for free-text search per pump (~1.5 us each: ~50 ms),
# so that indexing a million never holds the UI for more than that at a time.
INDEX_STEP = 32_768


class LiveArchive(Protocol):
    """Where live sessions archive what they watch (``ktui.cli.tui_archive``)."""

    def channel(self, context: str) -> BatchChannel:
        """The channel for one run of ``context``'s source (UI thread: no I/O)."""
        ...

    def bind(self, channel: BatchChannel, context: str, source: EventSource) -> None:
        """Called in the source's thread once ``source`` is built, before it runs: from
        now on ``channel`` archives what it carries. Never raises."""
        ...

    @property
    def active(self) -> bool:
        """Whether events are being archived (the header says so)."""
        ...

    def notice(self) -> str:
        """A problem not told yet (a damaged or locked archive), once; else ""."""
        ...


class SourceCatalog(Protocol):
    """Where the app gets its contexts and their sources (kubeconfig, or the demo)."""

    def contexts(self) -> tuple[list[str], str | None]:
        """Context names and the current one; raises SourceError on a bad kubeconfig."""
        ...

    def live(self, context: str, namespaces: list[str] | None) -> EventSource:
        """A live source for ``context`` (not started)."""
        ...


@record(frozen=False)
class LiveSession:
    context: str
    store: EventStore
    status: SourceStatus = field(default_factory=lambda: SourceStatus(State.CONNECTING))
    coalesced: int = 0
    _channel: BatchChannel | None = None
    _runner: FeedRunner | None = None
    _scope: list[str] | None = None
    # After a restart: the uids kept from before that the new list has not brought back.
    _unconfirmed: set[str] | None = None
    # While someone follows this session's changes (a history window merging the live
    # events): the uids each pump changed in the store; None for a relist (everything).
    journal: list[str | None] | None = None
    # The source's initial list is all in the store (a batch said ``listed``).
    _listed: bool = False
    # Whether pump() settles (see settle); False: its owner calls settle() itself.
    settle_in_pump: bool = True

    @property
    def scoped(self) -> bool:
        """Whether the source reads chosen namespaces, not the whole cluster."""
        runner = self._runner
        source = runner.source if runner is not None else None
        return self._scope is not None or (source is not None and source.namespace_scoped)

    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.running

    @property
    def source(self) -> EventSource | None:
        """The running source (the owner reader uses its connection), if any."""
        return self._runner.source if self._runner is not None else None

    @property
    def list_waiting(self) -> bool:
        """The source's list is complete (or it relisted) and waits for :meth:`pump`."""
        return self._channel is not None and self._channel.list_waiting

    @property
    def listing(self) -> bool:
        """The source's initial list is coming in (as fast as it can be read) and its
        channel is far from full: a consumer may take it less often (the thread reading
        the list needs the interpreter more than a repaint does)."""
        channel = self._channel
        return (not self._listed and self.status.state is State.LISTING
                and channel is not None and channel.pending < channel.capacity // 4)

    def retry_now(self) -> None:
        if self._runner is not None:
            self._runner.retry_now()

    @property
    def watched(self) -> frozenset[str] | None:
        """The namespaces the source covers (RBAC fallbacks included, when the source
        says), None for the whole cluster."""
        source = self._runner.source if self._runner is not None else None
        watched = getattr(source, "watched", None)  # KubeSource's, once it runs
        if isinstance(watched, frozenset):
            return watched
        return frozenset(self._scope) if self._scope is not None else None

    def start(self, make_source: Callable[[], EventSource],
              scope: list[str] | None = None, archive: LiveArchive | None = None) -> None:
        """Start the source in a daemon thread (building it there too, so a slow client
        import or kubeconfig read never blocks the UI). ``scope``: the namespaces the
        source lists (None: the whole cluster). ``archive``: archive what it brings (the
        archive learns the source's cluster in that thread too)."""
        from ktui.feeds.channel import BatchChannel
        from ktui.feeds.runner import FeedRunner

        self.stop()
        self._scope = scope
        context = self.context
        self._unconfirmed = {
            event.uid for event in self.store.all_events
            if not event.expired and event.context == context
            and (scope is None or event.namespace in scope)
        } or None
        if archive is None:
            channel = BatchChannel()
            build = make_source
        else:
            channel = archive.channel(context)

            def build() -> EventSource:
                source = make_source()
                archive.bind(channel, context, source)
                return source

        self._channel = channel
        self._listed = False
        # The list is indexed for free-text search once it is in (see pump), not while
        # its rows wait to be shown.
        self.store.text.defer()
        self.status = SourceStatus(State.CONNECTING, "connecting")
        self._runner = FeedRunner(build, channel, name=f"live-{self.context}",
                                  restart=True).start()

    def stop(self, wait: float = 0.0) -> None:
        if self._runner is not None:
            self._runner.stop(wait)
        self._runner = None
        if self.status.state is not State.ERROR:
            self.status = SourceStatus(State.STOPPED, "stopped")

    @property
    def settle_due(self) -> bool:
        """Its whole list is in the store, and its text index is not all built (see
        start)."""
        return self._listed and not self.store.text.ready

    def settle(self) -> None:
        """What waits for the whole list to be shown: its text index, a step at a time."""
        if self.settle_due:
            self.store.text.build(INDEX_STEP)

    def pump(self) -> Change | None:
        """Apply whatever the source produced since the last call (UI thread); first,
        unless its owner settles it after a frame (``settle_in_pump`` False),
        :meth:`settle` (at the pump after the one that showed the whole list)."""
        if self._channel is None:
            return None
        if self.settle_in_pump:
            self.settle()  # from the pump after the one that showed the whole list
        batch = self._channel.drain()
        if batch.status is not None:
            self.status = batch.status
        if batch.listed:
            self._listed = True
        self.coalesced += batch.coalesced
        change = None
        if batch.upserts or batch.deleted or batch.reset:
            change = self.store.apply(
                batch.upserts, batch.deleted, reset=batch.reset, reset_scope=batch.reset_scope,
                reset_context=self.context,
            )
        journal = self.journal
        if journal is not None and change is not None:
            if batch.reset or len(journal) > JOURNAL_LIMIT:
                journal.clear()
                journal.append(None)
            journal.extend(event.uid for event in batch.upserts)
            journal.extend(event.uid for event in batch.deleted)
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
                    if journal is not None:
                        journal.extend(event.uid for event in vanished)
        return change


class ContextSet:
    """The contexts shown together, one session each, all into one store (a single
    context is a set of one). Each context's relists replace only its own events."""

    def __init__(self, contexts: Sequence[str], store: EventStore) -> None:
        self.contexts = tuple(contexts)
        self.store = store
        self.sessions = {context: LiveSession(context, store) for context in self.contexts}

    @property
    def running(self) -> bool:
        return all(session.running for session in self.sessions.values())

    @property
    def coalesced(self) -> int:
        return sum(session.coalesced for session in self.sessions.values())

    @property
    def list_waiting(self) -> bool:
        return any(session.list_waiting for session in self.sessions.values())

    @property
    def listing(self) -> bool:
        """Every context is in its list (one that watches keeps the usual pace)."""
        return all(session.listing for session in self.sessions.values())

    def pump(self) -> None:
        for session in self.sessions.values():
            session.pump()

    def stop(self, wait: float = 0.0) -> None:
        deadline = time.monotonic() + wait
        for session in self.sessions.values():
            session.stop(max(deadline - time.monotonic(), 0.0))


class Sessions:
    """Every context set shown so far, each keeping its store; only the active set runs.

    Switching back to a set shows what it kept; once its lists are in again, what they
    did not bring back is marked expired (see :meth:`LiveSession.start`)."""

    def __init__(self, catalog: SourceCatalog, *, max_events: int = 200_000,
                 archive: LiveArchive | None = None) -> None:
        self.catalog = catalog
        self.max_events = max_events  # per context
        self.archive = archive
        self.sets: dict[tuple[str, ...], ContextSet] = {}
        self.active_set: ContextSet | None = None

    @property
    def active(self) -> LiveSession | None:
        """The active context's session when one context is shown (else None)."""
        active = self.active_set
        if active is None or len(active.contexts) != 1:
            return None
        return active.sessions[active.contexts[0]]

    @property
    def by_context(self) -> dict[str, LiveSession]:
        """The sessions of single contexts shown so far, by context."""
        return {key[0]: group.sessions[key[0]] for key, group in self.sets.items()
                if len(key) == 1}

    def activate(self, contexts: str | Sequence[str], query: Query,
                 namespaces: list[str] | None) -> ContextSet:
        key = (contexts,) if isinstance(contexts, str) else tuple(dict.fromkeys(contexts))
        if self.active_set is not None and self.active_set.contexts != key:
            self.active_set.stop()
        group = self.sets.get(key)
        if group is None:
            group = ContextSet(key, EventStore(self.max_events * len(key), query))
            self.sets[key] = group
        else:
            group.store.set_query(query)
        self.active_set = group
        for context, session in group.sessions.items():
            if not session.running:
                self._start(session, context, namespaces)
        return group

    def _start(self, session: LiveSession, context: str, namespaces: list[str] | None) -> None:
        catalog = self.catalog
        session.start(lambda: catalog.live(context, namespaces), namespaces, self.archive)

    def restart(self, context: str, namespaces: list[str] | None) -> LiveSession:
        """(Re)start ``context``'s source in the active set over ``namespaces`` (its
        store is kept)."""
        assert self.active_set is not None
        session = self.active_set.sessions[context]
        self._start(session, context, namespaces)
        return session

    def stop_all(self, wait: float = 1.0) -> None:
        deadline = time.monotonic() + wait
        for group in self.sets.values():
            group.stop(max(deadline - time.monotonic(), 0.0))
