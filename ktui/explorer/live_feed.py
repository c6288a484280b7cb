"""The live feed: the active context's session, as the explorer shows it.

Switching contexts keeps every context's store (:class:`~ktui.explorer.live.Sessions`);
the live session keeps watching while history is shown, so coming back is instant.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from ktui.explorer.feed import Counts, EmptyState, Mode, Summary
from ktui.explorer.live import LiveSession, Sessions, SourceCatalog
from ktui.feeds.errors import ConfigError, Forbidden, SourceError, Unauthorized, Unreachable
from ktui.feeds.status import State
from ktui.model.query import Query
from ktui.model.safe_text import one_line
from ktui.model.store import EventStore, Histogram

MIN_WINDOW = 600.0  # s: the sparkline spans at least ten minutes

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
                 note: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self.sessions = Sessions(catalog, max_events=max_events)
        self.note = note  # e.g. "demo cluster", before the state
        self.clock = clock
        self._seen_generation = -1

    @property
    def session(self) -> LiveSession | None:
        return self.sessions.active

    @property
    def context(self) -> str | None:
        session = self.sessions.active
        return session.context if session is not None else None

    @property
    def store(self) -> EventStore | None:
        session = self.sessions.active
        return session.store if session is not None else None

    def activate(self, context: str, query: Query, namespaces: list[str] | None) -> None:
        """Show ``context`` (starting its source unless it runs already)."""
        self.sessions.activate(context, query, namespaces)
        self._seen_generation = -1

    def watch_namespaces(self, namespaces: list[str]) -> None:
        """Restart the active context's source over just ``namespaces`` (its store kept)."""
        session = self.sessions.active
        if session is not None:
            self.sessions.restart(session.context, namespaces)

    def set_query(self, query: Query) -> None:
        store = self.store
        if store is not None:
            store.set_query(query)

    def refresh(self) -> None:
        """Treat the next pump as a change (the table was pointed elsewhere meanwhile)."""
        self._seen_generation = -1

    def pump(self) -> bool:
        session = self.sessions.active
        if session is None:
            return False
        session.pump()
        if not _frozen and session.status.state is State.WATCHING:
            _freeze_long_lived()
        generation = session.store.generation
        changed = generation != self._seen_generation
        self._seen_generation = generation
        return changed

    def summary(self) -> Summary | None:
        session = self.sessions.active
        if session is None:
            return None
        store, status = session.store, session.status
        is_error = status.state is State.ERROR or (
            status.error is not None and status.state is State.RECONNECTING
        )
        state = status.line(self.clock())
        if self.note:
            state = f"{self.note} · {state}"
        return Summary(
            context=session.context, state=state, state_is_error=is_error,
            shown=len(store.visible), total=len(store), warnings=store.warnings,
            coalesced=session.coalesced, warning=status.warning,
        )

    def counts(self) -> Counts | None:
        store = self.store
        if store is None:
            return None
        return Counts(store.namespaces, len(store), store.warnings)

    def histogram(self, buckets: int, now: float) -> Histogram | None:
        store = self.store
        if store is None or not store.visible:
            return None
        start = min(store.visible[0].time or now, now - MIN_WINDOW)
        end = max(now, store.visible[-1].time) + 1
        return store.histogram(start, end, buckets)

    def empty_state(self, query: Query) -> EmptyState:
        session = self.sessions.active
        if session is None:
            return EmptyState("")
        status = session.status
        if status.state is State.ERROR or status.error is not None:
            advice = hint(status.error)
            text = f"⚠ {one_line(status.text or 'error', 300)}"
            return EmptyState(text + (f" — {advice}" if advice else ""), is_error=True)
        if len(session.store) and not session.store.visible:
            return EmptyState(f"No event matches {query.describe()}. "
                              "a = all types, 0 = all namespaces, / edits the filter.")
        return EmptyState(f"{status.line()}…" if status.state is not State.WATCHING
                          else "No events.")

    def stop_all(self, wait: float = 1.0) -> None:
        self.sessions.stop_all(wait)
