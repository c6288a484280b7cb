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
from collections.abc import Callable
from dataclasses import replace

from ktui.explorer.feed import Counts, Summary
from ktui.explorer.history import HistorySession
from ktui.explorer.history_feed import HistoryFeed
from ktui.explorer.live_feed import LiveFeed
from ktui.explorer.timeline_store import TimelineStore
from ktui.feeds.status import State
from ktui.model.event import Event
from ktui.model.query import Query
from ktui.model.store import EventStore, Histogram, NamespaceCount
from ktui.model.timeline import ARCHIVE, LIVE, OPENSEARCH, in_scope, merge, newer, reaches_now

SYNC_LIMIT = 5000  # events merged on the UI thread; more are merged in a thread

def build_store(history: list[Event], live: list[Event], *, since: float,
                scope: frozenset[str] | None, query: Query, origin: str) -> TimelineStore:
    """The merged store of a history snapshot and a live snapshot (any thread)."""
    entries = merge(history, live, origin=origin, live_scope=scope, since=since)
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
                 wall: Callable[[], float] = time.time, sync_limit: int = SYNC_LIMIT) -> None:
        super().__init__(session, clock=clock)
        self.live = live
        self.wall = wall  # the time a relative window ends at
        self.sync_limit = sync_limit
        self._merged: TimelineStore | None = None
        self._basis: tuple[EventStore, EventStore] | None = None  # (history, live) stores
        self._since = 0.0
        self._scope: frozenset[str] | None = None
        self._journal: list[str | None] | None = None
        self._pages: list[list[Event]] = []  # history pages not in the merged store yet
        self._building: _Build | None = None

    @property
    def store(self) -> EventStore:
        return self._merged if self._merged is not None else self.session.store

    @property
    def merging(self) -> bool:
        """Whether the live events are shown with history (or being merged in)."""
        return self._basis is not None

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
            if self.session.take(answer):
                changed = True
                if answer.page is not None and not answer.first and self._basis is not None:
                    self._pages.append(answer.page.events)
        return self._follow() or changed

    def _wanted(self, live: EventStore | None) -> bool:
        session = self.session
        return (live is not None and session.status.state is State.WATCHING
                and reaches_now(session.time_range, self.wall())
                and (self.merging or self.live.listed))

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
        origin = ARCHIVE if self.session.store_name == "archive" else OPENSEARCH
        stored, current = list(history.all_events), list(live.all_events)
        query, since, scope = self._query, self._since, self._scope

        def job() -> TimelineStore:
            return build_store(stored, current, since=since, scope=scope, query=query,
                               origin=origin)

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
                    if not event.expired and in_scope(event.namespace, self._scope):
                        event = event.as_expired()  # not live: gone from the cluster
                    added[uid] = event
            if added:
                merged.apply(list(added.values()))
                changed = True
        return changed

    # -- painting ----------------------------------------------------------------------

    def summary(self) -> Summary:
        base = replace(super().summary(), archiving=self.live.archiving)
        merged = self._merged
        if merged is None:
            return base
        history = self.session.store
        live_only = max(len(merged) - len(history), 0)
        total = self.session.total + live_only
        return replace(
            base, scope=f"{base.scope} + live", shown=len(merged.visible), total=total,
            total_text=f"≥ {total:,}" if self.session.total_is_lower_bound else "",
            warnings=self.session.warnings_total + max(merged.warnings - history.warnings, 0),
            live=merged.live_shown(),
        )

    def counts(self) -> Counts:
        base = super().counts()
        merged = self._merged
        if merged is None:
            return base
        history = self.session.store.namespaces
        namespaces = dict(base.namespaces)
        total, warnings = base.total, base.warnings
        for name, count in merged.namespaces.items():
            stored = history.get(name)
            extra = count.total - (stored.total if stored else 0)
            extra_warnings = count.warnings - (stored.warnings if stored else 0)
            if extra > 0 or extra_warnings > 0:  # live events not among the stored ones
                known = namespaces.get(name) or NamespaceCount()
                namespaces[name] = NamespaceCount(known.total + max(extra, 0),
                                                  known.warnings + max(extra_warnings, 0))
                total += max(extra, 0)
                warnings += max(extra_warnings, 0)
        return Counts(namespaces, total, warnings)

    def histogram(self, buckets: int, now: float) -> Histogram | None:
        """History's own buckets, less what of it is loaded, plus what the merged store
        shows in each: the stored events not loaded yet and every shown one, live
        included (the live ones after the search's end in the last bucket)."""
        base = self.session.histogram
        merged = self._merged
        if merged is None or base is None or not base.normal:
            return base
        n = len(base.normal)
        start, interval = base.start, base.interval
        end = start + n * interval
        shown = merged.histogram(start, end, n)
        loaded = self.session.store.histogram(start, end, n)
        normal = [max(0, b + s - h) for b, s, h in zip(base.normal, shown.normal,
                                                       loaded.normal, strict=True)]
        warning = [max(0, b + s - h) for b, s, h in zip(base.warning, shown.warning,
                                                        loaded.warning, strict=True)]
        later = merged.histogram(end, max(now, end) + 1, 1)
        normal[-1] += later.normal[0]
        warning[-1] += later.warning[0]
        return Histogram(start, interval, tuple(normal), tuple(warning))
