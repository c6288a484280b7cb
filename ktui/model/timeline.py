"""One timeline across the cluster's TTL: a history store's events and the live list,
merged by uid. Pure: ``ktui events --since`` (without ``--history``) and the TUI's
history window that reaches now both follow these rules.

- One entry per uid. The live version wins over any stored one (it is the cluster's
  current truth, and a stored copy is at best as new).
- Between two stored versions of one uid (an OpenSearch index without ``useEventID``
  keeps every send): the higher last-seen time, then the higher count.
- A stored event the live list did not bring back, in the namespaces that list covered,
  is gone from the cluster (its TTL): it is shown expired, as the live view shows the
  events it saw deleted.
- Oldest first by the parsed time (seconds and microseconds compare as numbers), then
  first seen, then name: the order of every ``ktui events`` listing.

Each entry says where it came from (``origin``): ``live``, ``archive`` or ``opensearch``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from ktui.model.event import Event
from ktui.model.timerange import TimeRange

LIVE = "live"
ARCHIVE = "archive"
OPENSEARCH = "opensearch"
ORIGINS = (LIVE, ARCHIVE, OPENSEARCH)

# A window whose end is at most this far behind the clock still reaches now: the
# clock moved on while a range was typed or stepped, not the user's intent.
REACH_SLACK = 60.0


@dataclass(frozen=True, slots=True)
class Entry:
    event: Event
    origin: str


def sort_key(event: Event) -> tuple[float, float, str]:
    """Oldest first, as ``kubectl events``; ties by first seen, then name."""
    return (event.time, event.first_seen, event.name)


def newer(candidate: Event, current: Event) -> bool:
    """Whether ``candidate`` is the later of two stored versions of one event."""
    return (candidate.time, candidate.count) > (current.time, current.count)


def reaches_now(time_range: TimeRange, now: float, slack: float = REACH_SLACK) -> bool:
    """A relative range always ends now; an absolute one when its end is not in the past
    (beyond ``slack``): only then does the live list belong in it."""
    if time_range.relative is not None:
        return True
    return time_range.bounds(now)[1] >= now - slack


def newest_stored(stored: Iterable[Event]) -> dict[str, Event]:
    """Stored versions, one per uid: the newest by :func:`newer`."""
    by_uid: dict[str, Event] = {}
    for event in stored:
        current = by_uid.get(event.uid)
        if current is None or newer(event, current):
            by_uid[event.uid] = event
    return by_uid


def in_scope(namespace: str, scope: Collection[str] | None) -> bool:
    return scope is None or namespace in scope


def merge(
    stored: Iterable[Event],
    live: Iterable[Event] | None,
    *,
    origin: str,
    live_scope: Collection[str] | None = None,
    since: float | None = None,
    matches: Callable[[Event], bool] | None = None,
) -> list[Entry]:
    """The timeline of ``stored`` (from the history store ``origin``) and ``live`` (the
    complete live list of the namespaces ``live_scope``, None: the whole cluster), oldest
    first. ``live=None``: no live part (a window in the past), nothing is marked expired.

    ``since``: live events last seen before it are outside the window (the stored ones
    were searched for that window already). ``matches``: the filter, applied to live
    versions after the merge, so a live version that no longer matches hides its stored
    ones too (the stored events were filtered by their store).
    """
    entries: list[Entry] = []
    live_uids: set[str] = set()
    if live is not None:
        for event in live:
            live_uids.add(event.uid)
            if since is not None and event.time < since:
                continue
            if matches is not None and not matches(event):
                continue
            entries.append(Entry(event, LIVE))
    for uid, event in newest_stored(stored).items():
        if uid in live_uids:
            continue
        if live is not None and not event.expired and in_scope(event.namespace, live_scope):
            event = event.as_expired()
        entries.append(Entry(event, origin))
    entries.sort(key=lambda entry: sort_key(entry.event))
    return entries
