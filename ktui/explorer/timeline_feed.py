"""History that reaches now, with the live events merged in: one timeline across the TTL.

A :class:`TimelineFeed` is the history feed (a :class:`HistorySession`'s searches and
pages, in threads) composed with the live feed. While the window reaches now
(:func:`ktui.model.timeline.reaches_now`) and every shown context's list is in, the table
shows a :class:`TimelineStore`: the loaded history and the live store's events of the
window, one per uid, as :func:`ktui.model.timeline.merge` says (the live version wins;
history-only events in the watched namespaces are gone from the cluster and show as
expired rows do). Stepping the window back in time leaves live behind: the table shows
history alone again. No Textual here.

Building the merged store costs what storing its events costs (a few microseconds each):
up to :data:`SYNC_LIMIT` events are merged at once, more in a thread from snapshots of
both stores (events are immutable) while the table keeps showing history. From the
snapshot on, the live sessions note the uids they change (a journal, see
:meth:`LiveFeed.follow_changes`); each pump applies those versions, and the history pages
that arrived meanwhile. A relist in the live feed merges again from scratch.

The header counts the live events apart; the sparkline and the sidebar add what is live
and not stored to history's own aggregations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

from ktui.explorer.feed import Counts, Summary
from ktui.explorer.history import HistorySession
from ktui.explorer.history_feed import HistoryFeed
from ktui.explorer.live_feed import LiveFeed
from ktui.explorer.timeline_clusters import ClusterNames
from ktui.explorer.timeline_counts import union_histogram, union_namespaces, union_totals
from ktui.explorer.timeline_store import TimelineStore
from ktui.feeds.status import State
from ktui.model.event import Event
from ktui.model.histogram import Histogram
from ktui.model.query import Query
from ktui.model.store import EventStore
from ktui.model.timeline import (
    ARCHIVE,
    LIVE,
    OPENSEARCH,
    in_scope,
    merge,
    newer,
    reaches_now,
    sort_key,
)

SYNC_LIMIT = 5000  # events merged on the UI thread; more are merged in a thread
# While merging, the window's remaining history pages are loaded in the background up to
# this many events, so the counts are the exact union; beyond it they are approximate.
LOAD_LIMIT = 50_000


def build_store(history: list[Event], live: list[Event], *, since: float,
                scope: frozenset[str] | None, query: Query, origin: str,
                scopes: dict[str, frozenset[str] | None] | None = None) -> TimelineStore:
    """The merged store of a history snapshot and a live snapshot (any thread).
    ``scopes``: with several contexts, each one's watched namespaces: each context's
    history is merged with its own live events (keyed by context and uid)."""
    if scopes is None:
        entries = merge(history, live, origin=origin, live_scope=scope, since=since)
    else:
        stored: dict[str, list[Event]] = {}
        current: dict[str, list[Event]] = {}
        for event in history:
            stored.setdefault(event.context, []).append(event)
        for event in live:
            current.setdefault(event.context, []).append(event)
        entries = []
        for context in stored.keys() | current.keys():
            events = current.get(context)
            if context in scopes:  # its list is in: what it lacks is gone from the cluster
                entries += merge(stored.get(context, ()), events or [], origin=origin,
                                 live_scope=scopes[context], since=since)
            else:  # failed, or no context's: nothing to compare with, nothing expired
                entries += merge(stored.get(context, ()), events, origin=origin,
                                 live_scope=frozenset(), since=since)
        entries.sort(key=lambda entry: sort_key(entry.event))
    store = TimelineStore(query=query)
    store.apply([entry.event for entry in entries])
    store.live_uids = {entry.event.uid for entry in entries if entry.origin == LIVE}
    return store


class _Build:
    """One merge in a daemon thread; its result (None until done, or if it failed)."""

    def __init__(self, job: Callable[[], TimelineStore]) -> None:
        self.done = threading.Event()
        self.store: TimelineStore | None = None

        def run() -> None:
            try:
                self.store = job()
            except Exception:  # a bug: history alone is still shown, never a crash
                self.store = None
            finally:
                self.done.set()

        threading.Thread(target=run, daemon=True, name="ktui-timeline").start()


class TimelineFeed(HistoryFeed):
    """The history mode, with the live feed's events while the window reaches now."""

    def __init__(self, session: HistorySession | None, live: LiveFeed, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, sync_limit: int = SYNC_LIMIT,
                 clusters: Mapping[str, str] | None = None,
                 cluster_name: Callable[[str], str] | None = None) -> None:
        super().__init__(session, clock=clock)
        self.live = live
        # [clusters] of settings.toml, and the kubeconfig's cluster names: which OpenSearch
        # documents are the shown contexts'
        if cluster_name is None:  # the kubeconfig's (a KubeCatalog knows them)
            cluster_name = getattr(live.sessions.catalog, "cluster_name", None)
        self.clusters = ClusterNames(clusters, cluster_name)
        self.wall = wall  # the time a relative window ends at
        self.sync_limit = sync_limit
        self._merged: TimelineStore | None = None
        self._basis: tuple[EventStore, EventStore] | None = None  # (history, live) stores
        self._since = 0.0
        self._scope: frozenset[str] | None = None
        self._scopes: dict[str, frozenset[str] | None] | None = None  # several contexts
        self._journal: list[str | None] | None = None
        self._pages: list[list[Event]] = []  # history pages not in the merged store yet
        self._building: _Build | None = None
        self._counted: tuple[object, Counts] | None = None
        self.load_limit = LOAD_LIMIT

    @property
    def store(self) -> EventStore:
        return self._merged if self._merged is not None else self.session.store

    @property
    def merging(self) -> bool:
        """Whether the live events are shown with history (or being merged in)."""
        return self._basis is not None

    @property
    def context(self) -> str:
        return self._context

    @context.setter
    def context(self, context: str) -> None:
        before = self.store_query()
        searched = self.session.generation
        HistoryFeed.context.fset(self, context)  # type: ignore[attr-defined]
        if searched and self.session.generation == searched and self.store_query() != before:
            self.search()  # another context, another clusterName: what was shown is not its

    def store_query(self) -> Query:
        """The filter, and for OpenSearch the shown contexts' cluster names
        (:class:`~ktui.explorer.timeline_clusters.ClusterNames`)."""
        if self.session.store_name != "OpenSearch":
            return self._query  # the archive is kept per cluster already
        return self.clusters.query(self._query, self.context)

    # -- following both feeds ----------------------------------------------------------

    def set_query(self, query: Query) -> None:
        super().set_query(query)
        if self._merged is not None:  # the live rows filter at once; history searches
            self._merged.set_query(query)

    def pump(self) -> bool:
        with self._lock:
            answers, self._answers = self._answers, []
        changed = False
        for answer in answers:
            page = answer.page
            if page is not None and self.session.store_name == "OpenSearch":
                page.events = self.clusters.relabel(page.events, self.context)
            if self.session.take(answer):
                changed = True
                if answer.page is not None and not answer.first and self._basis is not None:
                    self._pages.append(answer.page.events)
        changed = self._follow() or changed
        if self._basis is not None:
            self._load_rest()
        return changed

    def _load_rest(self) -> None:
        """Fetch the window's next history page, one at a time, while merging: the union
        by uid needs every stored copy of the live events (up to ``load_limit``)."""
        session = self.session
        page, generation = session.cursor, session.generation
        if (page is None or session.page_loading or session.loading_since is not None
                or len(session.store) >= self.load_limit):
            return
        session.page_loading = True
        self._run(lambda: session.more(generation, page), generation, False)

    def _wanted(self, live: EventStore | None) -> bool:
        session = self.session
        return (live is not None and session.status.state is State.WATCHING
                and reaches_now(session.time_range, self.wall())
                and (self.merging or self.live.listed
                     or (len(self.live.contexts) > 1 and self.live.settled)))

    def _follow(self) -> bool:
        """Merge, keep merged, or stop merging; True when what the table shows changed."""
        if self.session.loading_since is not None:
            return False  # a search is on its way: keep showing what is shown until then
        live = self.live.store
        if not self._wanted(live):
            if self._basis is None:
                return False
            shown = self._merged is not None
            self._stop()
            return shown
        assert live is not None
        basis = self._basis
        relisted = self._journal is not None and None in self._journal
        if basis is None or basis[0] is not self.session.store or basis[1] is not live \
                or relisted:
            return self._start(self.session.store, live)
        changed = False
        if self._building is not None:
            if not self._building.done.is_set():
                return False
            self._merged, self._building = self._building.store, None
            if self._merged is None:  # the merge failed: history alone
                self._stop()
                return False
            changed = True
        return self._catch_up() or changed

    def _start(self, history: EventStore, live: EventStore) -> bool:
        shown = self._merged is not None
        self._journal = self.live.follow_changes()
        self._basis = (history, live)
        self._pages = []
        self._since = self.session.time_range.bounds(self.wall())[0]
        self._scope = self.live.watched
        self._scopes = self.live.watched_by_context if len(self.live.contexts) > 1 else None
        origin = ARCHIVE if self.session.store_name == "archive" else OPENSEARCH
        stored, current = list(history.all_events), list(live.all_events)
        query, since, scope, scopes = self._query, self._since, self._scope, self._scopes

        def job() -> TimelineStore:
            return build_store(stored, current, since=since, scope=scope, query=query,
                               origin=origin, scopes=scopes)

        if len(stored) + len(current) <= self.sync_limit:
            self._building = None
            self._merged = job()
            self._catch_up()
            return True
        self._merged = None  # history alone until the merge is done
        self._building = _Build(job)
        return shown

    def _stop(self) -> None:
        self.live.unfollow_changes()
        self._journal = None
        self._merged = None
        self._basis = None
        self._building = None
        self._pages = []

    def _watched(self, event: Event) -> bool:
        """Whether the live lists cover ``event`` (its context's, with several)."""
        scopes = self._scopes
        if scopes is None:
            return in_scope(event.namespace, self._scope)
        return event.context in scopes and in_scope(event.namespace, scopes[event.context])

    def _catch_up(self) -> bool:
        """Apply the live changes and the history pages since the snapshot."""
        merged, basis = self._merged, self._basis
        assert merged is not None and basis is not None
        changed = False
        journal = self._journal
        if journal:
            uids = set(journal)
            journal.clear()
            live = basis[1]
            upserts = [event for uid in uids if isinstance(uid, str)
                       and (event := live.get(uid)) is not None and event.time >= self._since]
            if upserts:
                merged.live_uids.update(event.uid for event in upserts)
                merged.apply(upserts)
                changed = True
        if self._pages:
            pages, self._pages = self._pages, []
            added: dict[str, Event] = {}
            for page in pages:
                for event in page:
                    uid = event.uid
                    if uid in merged.live_uids:
                        continue
                    known = added.get(uid) or merged.get(uid)
                    if known is not None and not newer(event, known):
                        continue
                    if not event.expired and self._watched(event):
                        event = event.as_expired()  # not live: gone from the cluster
                    added[uid] = event
            if added:
                merged.apply(list(added.values()))
                changed = True
        return changed

    # -- painting ----------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """Whether every page of the window is loaded: the merged numbers are then exact
        (see :mod:`ktui.explorer.timeline_counts`)."""
        return self.session.cursor is None

    def summary(self) -> Summary:
        base = replace(super().summary(), archiving=self.live.archiving)
        merged = self._merged
        if merged is None:
            return base
        session = self.session
        total, warnings = union_totals(session.total, session.warnings_total, session.store,
                                       merged)
        state = base.state
        if not self.complete and session.loading_since is None \
                and " · counts approximate" not in state:
            state += " · counts approximate"  # history beyond what is loaded
        live = self.live.summary()
        if live is not None and len(self.live.contexts) > 1 and not self.live.listed:
            state += f" · live: {live.state}"  # a context down: its live events are missing
        return replace(
            base, scope=f"{base.scope} + live", shown=len(merged.visible), total=total,
            total_text=f"≥ {total:,}" if session.total_is_lower_bound else "",
            warnings=warnings, live=merged.live_shown(), state=state,
        )

    def counts(self) -> Counts:
        base = super().counts()
        merged = self._merged
        if merged is None:
            return base
        session = self.session
        key = (merged.generation, session.store, session.generation, len(session.store))
        if self._counted is not None and self._counted[0] == key:
            return self._counted[1]
        total, warnings = union_totals(session.total, session.warnings_total, session.store,
                                       merged)
        namespaces = union_namespaces(base.namespaces, session.store, merged,
                                      merged.live_uids, self._query)
        counts = Counts(namespaces, total, warnings)
        self._counted = (key, counts)
        return counts

    def histogram(self, buckets: int, now: float) -> Histogram | None:
        """History's own buckets, its loaded events replaced by what the merged store
        shows (the live ones after the search's end in the last bucket)."""
        base = self.session.histogram
        merged = self._merged
        if merged is None or base is None or not base.normal:
            return base
        return union_histogram(base, self.session.store, merged, now)
