"""The live feed: the active context's session, as the explorer shows it.

Switching contexts keeps every context's store (:class:`~ktui.explorer.live.Sessions`);
the live session keeps watching while history is shown, so coming back is instant.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence

from ktui.explorer.feed import Counts, EmptyState, Mode, Summary
from ktui.explorer.live import ContextSet, LiveArchive, LiveSession, Sessions, SourceCatalog
from ktui.feeds.errors import ConfigError, Forbidden, SourceError, Unauthorized, Unreachable
from ktui.feeds.status import SourceStatus, State
from ktui.model.event import Event
from ktui.model.histogram import Histogram
from ktui.model.query import Query
from ktui.model.safe_text import one_line
from ktui.model.store import EventStore

MIN_WINDOW = 600.0  # s: the sparkline spans at least ten minutes
LISTING_INTERVAL = 1.0  # s: a list's progress shows this often while it streams in
_STARTING = (State.CONNECTING, State.LISTING)

_frozen = False


def _freeze_long_lived() -> None:
    """Once per process, when the first list is in: move everything alive (Textual's
    widgets and caches, imported modules, the listed events) out of the collector's
    generations. A full collection then walks ~13k objects instead of ~75k (5 ms, not
    60 ms: the worst UI stalls under a storm were these). Only once: freezing after every
    batch would also freeze render garbage that later becomes collectable."""
    global _frozen
    _frozen = True
    gc.collect()
    gc.freeze()


def hint(error: SourceError | None) -> str:
    """What to do about ``error``, when the error does not say it itself."""
    if error is None or error.hint:
        return ""
    if isinstance(error, Unreachable):
        return "check the address, VPN or tunnel; ktui keeps retrying. c switches context."
    if isinstance(error, Unauthorized):
        return "credentials missing or expired: log in again (e.g. aws sso login), then wait."
    if isinstance(error, Forbidden):
        return "RBAC denies events cluster-wide: :ns NAME watches a namespace you may read."
    if isinstance(error, ConfigError):
        return "fix the kubeconfig, or start with --kubeconfig PATH (or --demo)."
    return "press c to pick another context."


class LiveFeed:
    """The live mode: the active context's store, status and counts."""

    mode = Mode.LIVE

    def __init__(self, catalog: SourceCatalog, *, max_events: int = 200_000,
                 note: str = "", clock: Callable[[], float] = time.monotonic,
                 archive: LiveArchive | None = None) -> None:
        self.sessions = Sessions(catalog, max_events=max_events, archive=archive)
        self.archive = archive
        self.note = note  # e.g. "demo cluster", before the state
        self.clock = clock
        self._seen_generation = -1
        self._pumped_at = -1.0  # time.monotonic() of the last pump
        self._histogram: tuple[tuple[object, ...], Histogram] | None = None
        # The UI's "call this a little later" (a timer): what a whole list leaves to do
        # (the first freeze, the text index) then runs once that list is on screen, not
        # in the next pump, which may come before its frame (a 50 ms look, or the 250 ms
        # pump's tick: 20-40 ms of work ahead of the frame). None: at the next pump.
        self.settle_later: Callable[[Callable[[], None]], object] | None = None
        self._settling = False

    @property
    def session(self) -> LiveSession | None:
        """The session of the one context shown (None when several are)."""
        return self.sessions.active

    @property
    def contexts(self) -> tuple[str, ...]:
        active = self.sessions.active_set
        return active.contexts if active is not None else ()

    @property
    def context(self) -> str | None:
        """The context shown, or several joined with commas."""
        return ",".join(self.contexts) or None

    @property
    def store(self) -> EventStore | None:
        active = self.sessions.active_set
        return active.store if active is not None else None

    def activate(self, contexts: str | Sequence[str], query: Query,
                 namespaces: list[str] | None) -> None:
        """Show ``contexts`` (starting their sources unless they run already)."""
        if not _frozen:
            # Before the first list streams in, keep what start-up left alive (Textual's
            # widgets, modules) out of the collections its ~200k allocations set off: the
            # list's full collections walked it at ~35 ms each, 2-3 per 20,000 events.
            # No gc.collect() first (tens of ms on the UI thread): start-up garbage is
            # small and collected already by the young collections.
            gc.freeze()
        self.sessions.activate(contexts, query, namespaces)
        self._seen_generation = -1

    def watch_namespaces(self, namespaces: list[str]) -> None:
        """Restart the shown contexts' sources over just ``namespaces`` (stores kept)."""
        for context in self.contexts:
            self.sessions.restart(context, namespaces)

    def retry_now(self) -> None:
        """r: every shown context that waits to retry tries again now."""
        active = self.sessions.active_set
        if active is not None:
            for session in active.sessions.values():
                session.retry_now()

    def set_query(self, query: Query) -> None:
        store = self.store
        if store is not None:
            store.set_query(query)

    @property
    def archiving(self) -> bool:
        """Whether what the live sessions watch is being archived."""
        return self.archive is not None and self.archive.active

    def archive_notice(self) -> str:
        """What went wrong with the archive, once ("" when nothing new)."""
        return self.archive.notice() if self.archive is not None else ""

    # -- for a feed that merges the live events (ktui.explorer.timeline_feed) ------------

    @property
    def listed(self) -> bool:
        """Whether every shown context's source has its list in (it is watching)."""
        active = self.sessions.active_set
        return active is not None and all(s.status.state is State.WATCHING
                                          for s in active.sessions.values())

    @property
    def watched(self) -> frozenset[str] | None:
        """The namespaces the shown contexts' sources cover, None for whole clusters."""
        active = self.sessions.active_set
        scopes = [s.watched for s in active.sessions.values()] if active is not None else []
        if not scopes or any(scope is None for scope in scopes):
            return None
        return frozenset().union(*(scope for scope in scopes if scope is not None))

    @property
    def settled(self) -> bool:
        """Whether every shown context has its list in or has failed for good (a failing
        context never holds the others back), and at least one has its list in."""
        active = self.sessions.active_set
        if active is None:
            return False
        states = [s.status.state for s in active.sessions.values()]
        return State.WATCHING in states and all(
            state in (State.WATCHING, State.ERROR) for state in states)

    @property
    def watched_by_context(self) -> dict[str, frozenset[str] | None]:
        """Each shown context's covered namespaces (None: its whole cluster), for the
        contexts whose list is in (a failed one has no live part to merge)."""
        active = self.sessions.active_set
        if active is None:
            return {}
        return {context: session.watched for context, session in active.sessions.items()
                if session.status.state is State.WATCHING}

    def follow_changes(self) -> list[str | None]:
        """From now on, the shown contexts' sessions note the uids they change in the
        returned list (None: a relist, everything); drain it, and call
        :meth:`unfollow_changes` when done."""
        self.unfollow_changes()
        journal: list[str | None] = []
        active = self.sessions.active_set
        if active is not None:
            for session in active.sessions.values():
                session.journal = journal
        return journal

    def unfollow_changes(self) -> None:
        for group in self.sessions.sets.values():
            for session in group.sessions.values():
                session.journal = None

    @property
    def list_waiting(self) -> bool:
        """A shown context's list is complete (or it relisted) and not yet in the store:
        worth a pump now rather than at the next tick."""
        active = self.sessions.active_set
        return active is not None and active.list_waiting

    @property
    def listing(self) -> bool:
        """Every shown context is in its initial list, far from filling its channel."""
        active = self.sessions.active_set
        return active is not None and active.listing

    def hold_back(self) -> bool:
        """Whether the explorer's regular pump may wait: while a list streams in after its
        first rows, its progress shows once a second, since each repaint takes the
        interpreter from the thread that reads the list (its end shows at once:
        :meth:`pump_soon`)."""
        return self.listing and time.monotonic() - self._pumped_at < LISTING_INTERVAL

    def pump_soon(self, *, shown: bool) -> bool:
        """Whether a pump is worth it now rather than at the next tick: a context's first
        rows (``shown``: this feed is the one on screen; see :attr:`awaiting_first_rows`),
        and a completed list or a relist, as soon as it is in."""
        return (shown and self.awaiting_first_rows) or self.list_waiting

    @property
    def awaiting_first_rows(self) -> bool:
        """Whether a shown context is still bringing its first events: connecting or
        listing, none of its events in the store yet. (Each context's first rows should
        show as soon as its first page is in, not at the next quarter-second pump, even
        when another context's rows are already shown.)"""
        active = self.sessions.active_set
        if active is None:
            return False
        held = active.store.context_namespaces
        return any(context not in held and session.status.state in _STARTING
                   for context, session in active.sessions.items())

    def refresh(self) -> None:
        """Treat the next pump as a change (the table was pointed elsewhere meanwhile)."""
        self._seen_generation = -1

    def pump(self) -> bool:
        self._pumped_at = time.monotonic()
        active = self.sessions.active_set
        if active is None:
            return False
        # At the pump after the one that showed the first whole list (statuses as that
        # one left them): the collection takes tens of ms, and the list's rows come first.
        later = self.settle_later
        if later is None and self._freeze_due(active):
            _freeze_long_lived()
        for session in active.sessions.values():
            session.settle_in_pump = later is None
        active.pump()
        self._settle_after_frame(active)
        generation = active.store.generation
        changed = generation != self._seen_generation
        self._seen_generation = generation
        return changed

    @staticmethod
    def _freeze_due(active: ContextSet) -> bool:
        return not _frozen and any(session.status.state is State.WATCHING
                                   for session in active.sessions.values())

    def _settle(self) -> None:
        """After the frame that showed a whole list: the first freeze, the text index (a
        step, and again a pump interval later until it is all built)."""
        self._settling = False
        active = self.sessions.active_set
        if active is None:
            return
        if self._freeze_due(active):
            _freeze_long_lived()
        for session in active.sessions.values():
            session.settle()
        self._settle_after_frame(active)

    def _settle_after_frame(self, active: ContextSet) -> None:
        """Ask the UI for :meth:`_settle` a little later, once, when there is work for it."""
        later = self.settle_later
        if later is not None and not self._settling and (
            self._freeze_due(active) or any(s.settle_due for s in active.sessions.values())
        ):
            self._settling = True
            later(self._settle)

    def summary(self) -> Summary | None:
        active = self.sessions.active_set
        if active is None:
            return None
        store = active.store
        sessions = list(active.sessions.values())
        if len(sessions) == 1:
            status = sessions[0].status
            is_error = _is_error(status)
            state = status.line(self.clock())
            warning = status.warning
        else:  # one compact mark per context; a failing one never hides the others
            now = self.clock()
            state = " · ".join(f"{s.context} {_mark(s.status, now)}" for s in sessions)
            is_error = all(_is_error(s.status) for s in sessions)
            warning = " · ".join(dict.fromkeys(s.status.warning for s in sessions
                                               if s.status.warning))
        if self.note:
            state = f"{self.note} · {state}"
        return Summary(
            context=",".join(active.contexts), state=state, state_is_error=is_error,
            shown=len(store.visible), total=len(store), warnings=store.warnings,
            coalesced=active.coalesced, warning=warning, archiving=self.archiving,
        )

    def counts(self) -> Counts | None:
        store = self.store
        if store is None:
            return None
        several = len(self.contexts) > 1
        return Counts(store.namespaces, len(store), store.warnings,
                      store.context_namespaces if several else None)

    def histogram(self, buckets: int, now: float, selected: Event | None = None
                  ) -> Histogram | None:
        """The visible events over the window; with several contexts shown and an event
        ``selected``, its context's alone (over the same window as all of them). Stacking
        the contexts was tried: in the sparkline's three rows of cells a context with few
        events vanishes under a busy one, and the warnings' red with it."""
        store = self.store
        if store is None or not store.visible:
            return None
        start = min(store.visible[0].time or now, now - MIN_WINDOW)
        end = max(now, store.visible[-1].time) + 1
        one = selected.context if selected is not None and len(self.contexts) > 1 else None
        # A filter change asks three times (its pump, its repaint, the cursor it moved):
        # the same events in the same second give the same counts.
        key = (id(store), store.generation, buckets, one, int(now))
        if self._histogram is not None and self._histogram[0] == key:
            return self._histogram[1]
        histogram = store.histogram(start, end, buckets, one)
        self._histogram = (key, histogram)
        return histogram

    def empty_state(self, query: Query) -> EmptyState:
        active = self.sessions.active_set
        if active is None:
            return EmptyState("")
        store = active.store
        sessions = list(active.sessions.values())
        failed = [s for s in sessions if s.status.state is State.ERROR
                  or s.status.error is not None]
        if failed and (len(failed) == len(sessions) or not len(store)):
            lines = []
            for session in failed:
                status = session.status
                advice = hint(status.error)
                where = f"{session.context}: " if len(sessions) > 1 else ""
                lines.append(f"⚠ {where}{one_line(status.text or 'error', 300)}"
                             + (f" — {advice}" if advice else ""))
            return EmptyState(" ".join(lines), is_error=True)
        if len(store) and not store.visible:
            return EmptyState(f"No event matches {query.describe()}. esc clears the filter; "
                              "a = all types, 0 = all namespaces, / edits it.")
        waiting = [s for s in sessions if s.status.state is not State.WATCHING]
        if waiting:
            return EmptyState(f"{waiting[0].status.line()}…")
        return EmptyState("No events.")

    def stop_all(self, wait: float = 1.0) -> None:
        self.sessions.stop_all(wait)


def _is_error(status: SourceStatus) -> bool:
    return status.state is State.ERROR or (
        status.error is not None and status.state is State.RECONNECTING
    )


def _mark(status: SourceStatus, now: float) -> str:
    """One context's state in a few characters, for the header of several contexts."""
    if status.state is State.WATCHING:
        return "✓"
    if status.state is State.ERROR:
        error = status.error
        kind = ("unauthorized" if isinstance(error, Unauthorized) else
                "forbidden" if isinstance(error, Forbidden) else "error")
        return f"✗ {kind}"
    if status.retry_at is not None:
        return f"⟳ {max(0.0, status.retry_at - now):.0f}s"
    return f"… {status.state.value}"
