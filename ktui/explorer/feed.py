"""The explorer's mode as a typed object: a feed controller.

The explorer screen shows one feed at a time: the live cluster, or history (with the live
events merged in while its window reaches now: :mod:`ktui.explorer.timeline_feed`). Each
is a controller with the same small interface, so the screen paints whatever feed is
active the same way and never asks which one it is.
No textual here: a controller holds state and runs its threads; the screen renders.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from ktui.model.event import Event
from ktui.model.histogram import Histogram
from ktui.model.query import Query
from ktui.model.store import EventStore, NamespaceCount
from ktui.records import record


class Mode(StrEnum):
    LIVE = "live"
    HISTORY = "history"


@record(slots=True)
class Summary:
    """What the header says of a feed (the screen adds what the table knows)."""

    context: str
    state: str
    state_is_error: bool = False
    scope: str = ""  # e.g. the history's time range
    shown: int = 0
    total: int = 0
    total_text: str = ""  # when the total is not a plain count ("≥ 10,000")
    warnings: int = 0
    coalesced: int = 0
    warning: str = ""  # a standing caveat, e.g. "TLS verification is off"
    archiving: bool = False  # what the context's live sessions watch is archived
    live: int = 0  # a history window reaching now: how many of its events are live


@record(slots=True)
class Counts:
    """The namespace sidebar's numbers."""

    namespaces: dict[str, NamespaceCount]
    total: int
    warnings: int
    by_context: dict[str, dict[str, NamespaceCount]] | None = None  # several contexts


@record(slots=True)
class EmptyState:
    """What the table says when it shows no row."""

    text: str
    is_error: bool = False


class EventView(Protocol):
    """What the event table reads: a feed's store, or one group's events
    (:class:`ktui.explorer.grouping.GroupView`)."""

    @property
    def visible(self) -> list[Event]: ...
    def get(self, uid: str) -> Event | None: ...
    def index_of_visible(self, event: Event) -> int | None: ...


class Feed(Protocol):
    """A mode of the explorer. ``pump`` runs on the UI thread a few times a second."""

    mode: Mode

    @property
    def store(self) -> EventStore | None:
        """The events the table shows (None before there are any)."""
        ...

    def set_query(self, query: Query) -> None:
        """The filter changed: apply it (a history feed searches again)."""
        ...

    def pump(self) -> bool:
        """Take what arrived since the last call; True when the shown events changed."""
        ...

    def summary(self) -> Summary | None: ...

    def counts(self) -> Counts | None: ...

    def histogram(self, buckets: int, now: float) -> Histogram | None: ...

    def empty_state(self, query: Query) -> EmptyState: ...
